/* server.h: the naccs-sim listener and its sessions, see server.c. */
#pragma once

#include <gio/gio.h>

#include "session.h"
#include "sim-config.h"

G_BEGIN_DECLS

#define NACCS_SIM_SERVER_ERROR (naccs_sim_server_error_quark ())
GQuark naccs_sim_server_error_quark (void);

typedef enum {
  NACCS_SIM_SERVER_ERROR_ADDRESS, /* --listen is not ADDRESS:PORT */
  NACCS_SIM_SERVER_ERROR_BIND,    /* bind or listen failed (port in use) */
  NACCS_SIM_SERVER_ERROR_CONFIG,  /* an out-of-range setting */
} NaccsSimServerError;

/* Parses "ADDRESS:PORT" or "[IPV6]:PORT", where ADDRESS is an IP address
 * and PORT is 0 to 65535 (0: any free port). */
gboolean naccs_sim_parse_listen_address (const char *text,
                                         GInetSocketAddress **address,
                                         GError **error);

/* Checks the limits of @config; sets @error naming the bad setting. */
gboolean naccs_sim_config_validate (const NaccsSimConfig *config,
                                    GError **error);

typedef struct _NaccsSimServer NaccsSimServer;

/* Opens the spool, binds the listen address and starts accepting in the
 * thread-default main context.  @hooks (nullable) is copied. */
NaccsSimServer *naccs_sim_server_new (const NaccsSimConfig *config,
                                      const NaccsSimHooks *hooks,
                                      GError **error);

/* Returns the bound address as "127.0.0.1:40123" or "[::1]:40123". */
char *naccs_sim_server_get_address (const NaccsSimServer *server);
guint16 naccs_sim_server_get_port (const NaccsSimServer *server);

/* Sessions open now (turned-away connections included). */
guint naccs_sim_server_get_session_count (const NaccsSimServer *server);

/* Connections accepted since the start. */
guint naccs_sim_server_get_connection_count (const NaccsSimServer *server);

/* Stops accepting and closes every session (each calls the end hook). */
void naccs_sim_server_stop (NaccsSimServer *server);

/* Stops accepting and shuts the server down as RFC 5321 section 3.8
 * requires: every session that waits for a command or receives a message gets
 * "421 <greeting> service shutting down" (see
 * naccs_sim_session_shut_down()), then the function runs the server's
 * main context until the sessions have closed or @timeout_ms have passed,
 * and closes the rest as naccs_sim_server_stop() does.  Call it from the
 * thread that runs that context, outside any of the server's callbacks,
 * e.g. after g_main_loop_run() has returned. */
void naccs_sim_server_shut_down (NaccsSimServer *server, guint timeout_ms);

/* Stops the server if it runs, and frees it. */
void naccs_sim_server_free (NaccsSimServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NaccsSimServer, naccs_sim_server_free)

G_END_DECLS
