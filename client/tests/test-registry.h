/* test-registry.h: registers a table of CUnit tests as one suite, shared
 * by the client test programs. */
#pragma once

#include <CUnit/Basic.h>
#include <glib.h>

typedef struct {
  const char *name;
  void (*func) (void);
} TestEntry;

/* Adds a suite named @suite_name holding @count tests from @tests;
 * returns FALSE when CUnit cannot register one of them. */
static inline gboolean
add_suite (const char *suite_name, const TestEntry *tests, gsize count)
{
  CU_pSuite suite = CU_add_suite (suite_name, NULL, NULL);

  if (suite == NULL)
    return FALSE;
  for (gsize i = 0; i < count; i++)
    if (CU_add_test (suite, tests[i].name, tests[i].func) == NULL)
      return FALSE;
  return TRUE;
}
