/* Times as users write them: "now", relative ("+90s", "+15m", "+2h", "+1d"), or ISO-8601
 * ("2026-11-24T10:00", seconds optional, "Z" or "+01:00" offsets; no offset = UTC). Fields are
 * digits only, without signs or spaces; seconds 00-59. Pure. */
#ifndef MCU_TIMEFMT_H
#define MCU_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* 0 and *out (Unix seconds) or -EINVAL. `now` anchors "now" and relative forms. */
int time_parse(const char *s, int64_t now, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ"; buf of at least 21 bytes. */
const char *time_format_utc(int64_t t, char *buf, size_t cap);

#endif
