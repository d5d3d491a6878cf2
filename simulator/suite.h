/* suite.h: `naccs-sim suite`, the conformance suite runner, see suite.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs `naccs-sim suite ...`; @argv[0] is "suite".  Returns the exit status:
 * 0 every scenario passed, 1 some failed, 2 the suite could not run. */
int naccs_sim_suite_main (int argc, char **argv);

G_END_DECLS
