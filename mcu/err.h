/* Error convention: functions return 0 (or a count) on success and a negative errno on failure.
 * Library codes (libsrtp, SQLite, libevent) are mapped to these at the wrapper. Codes with a
 * meaning of their own here:
 *   -EACCES   SRTP/SRTCP authentication failed (wrong key, forged or corrupted packet)
 *   -EALREADY SRTP replay (a packet index already seen, or too old for the window)
 *   -EBADMSG  malformed bytes from the network or a client
 *   -EAGAIN   no output yet
 * Codes become text only at the edge: HTTP, CLI, one log line. */
#ifndef MCU_ERR_H
#define MCU_ERR_H

#include <string.h>

static inline const char *mcu_strerror(int err)
{
    return strerror(err < 0 ? -err : err);
}

#endif
