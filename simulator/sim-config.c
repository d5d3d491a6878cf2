/* sim-config.c: defaults and copies of NaccsSimConfig, see sim-config.h. */
#include "sim-config.h"

void
naccs_sim_config_init (NaccsSimConfig *config)
{
  *config = (NaccsSimConfig) {
    .listen = g_strdup (NACCS_SIM_DEFAULT_LISTEN),
    .spool_dir = NULL,
    .center_address = g_strdup (NACCS_SIM_DEFAULT_CENTER_ADDRESS),
    .greeting = g_strdup (NACCS_SIM_DEFAULT_GREETING),
    .max_line_length = NACCS_SIM_DEFAULT_MAX_LINE_LENGTH,
    .max_message_size = NACCS_SIM_DEFAULT_MAX_MESSAGE_SIZE,
    .max_connections = NACCS_SIM_DEFAULT_MAX_CONNECTIONS,
    .idle_timeout_ms = NACCS_SIM_DEFAULT_IDLE_TIMEOUT_S * 1000,
    .command_timeout_ms = NACCS_SIM_DEFAULT_COMMAND_TIMEOUT_S * 1000,
    .keep_bodies = FALSE,
  };
}

void
naccs_sim_config_clear (NaccsSimConfig *config)
{
  g_clear_pointer (&config->listen, g_free);
  g_clear_pointer (&config->spool_dir, g_free);
  g_clear_pointer (&config->center_address, g_free);
  g_clear_pointer (&config->greeting, g_free);
}

void
naccs_sim_config_copy (NaccsSimConfig *dest, const NaccsSimConfig *src)
{
  *dest = *src;
  dest->listen = g_strdup (src->listen);
  dest->spool_dir = g_strdup (src->spool_dir);
  dest->center_address = g_strdup (src->center_address);
  dest->greeting = g_strdup (src->greeting);
}
