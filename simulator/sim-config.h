/* sim-config.h: the settings of one naccs-sim server, with their defaults.
 *
 * The defaults are the default center: the address and reply text of the
 * NACCS specification, the SMTP line limit, a message size limit sized for
 * the largest NACCS EDI message, and the one-hour idle timeout that the
 * specification states for a user system that never sends QUIT.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NACCS_SIM_DEFAULT_LISTEN "127.0.0.1:2525"
#define NACCS_SIM_DEFAULT_CENTER_ADDRESS "NACCS@EDIFACT.PROD.NACCS6"
#define NACCS_SIM_DEFAULT_GREETING "EDIFACT.PROD.NACCS6"

/* RFC 5321 section 4.5.3.1.6: a text line is at most 1000 octets with its
 * CRLF.  The same limit applies to command lines, which RFC 5321 section
 * 4.5.3.1.4 limits to 512 octets: the center's own command limit is not
 * in our copy of the specification, so the simulator accepts the longer
 * one and leaves stricter judgement to the checks. */
#define NACCS_SIM_DEFAULT_MAX_LINE_LENGTH 1000

/* A NACCS EDI message is at most 700,000 octets.  The processing-request
 * message also carries a communication-protocol header, whose layout is
 * not in our copy of the specification, so the limit adds 16,800 octets of
 * room and comes to 716,800 octets (700 KiB).
 * NOTE: the room is an estimate, large enough for a header of a few
 * hundred octets many times over; set --max-message-size to the center's
 * real limit when it is known. */
#define NACCS_SIM_DEFAULT_MAX_MESSAGE_SIZE 716800

#define NACCS_SIM_DEFAULT_MAX_CONNECTIONS 1000

/* The NACCS specification: the center closes a connection on which QUIT
 * never comes after one hour. */
#define NACCS_SIM_DEFAULT_IDLE_TIMEOUT_S 3600

/* RFC 5321 section 4.5.3.2.7: a server should wait at least 5 minutes for
 * a command. */
#define NACCS_SIM_DEFAULT_COMMAND_TIMEOUT_S 300

typedef struct {
  char *listen;            /* "HOST:PORT" or "[IPV6]:PORT" */
  char *spool_dir;         /* nullable: no spool and no transcripts */
  char *center_address;    /* the only recipient accepted, compared without
                              regard to ASCII case */
  char *greeting;          /* text of the 220 greeting and the HELO reply */
  guint max_line_length;   /* octets, CRLF included */
  guint max_message_size;  /* octets of a message as received, dummy dots
                              included, final ".\r\n" excluded */
  guint max_connections;   /* sessions served at once */
  guint idle_timeout_ms;   /* after the last reply with nothing received */
  guint command_timeout_ms;/* to receive a whole command line, and between
                              reads of a message */
  gboolean keep_bodies;    /* put decoded bodies into MESSAGE events */
} NaccsSimConfig;

/* Fills @config with the defaults; free the strings with
 * naccs_sim_config_clear(). */
void naccs_sim_config_init (NaccsSimConfig *config);
void naccs_sim_config_clear (NaccsSimConfig *config);

/* Copies @src into @dest, duplicating its strings. */
void naccs_sim_config_copy (NaccsSimConfig *dest, const NaccsSimConfig *src);

G_END_DECLS
