/* Meeting enums and their names. */
#include "meeting.h"

#include <errno.h>
#include <string.h>

static const char *const state_names[] = {"scheduled", "open", "ended", "cancelled"};
static const char *const mode_names[] = {"forward", "mix"};

const char *meeting_state_name(enum meeting_state s)
{
    return (unsigned)s < 4 ? state_names[s] : "unknown";
}

const char *meeting_mode_name(enum meeting_mode m)
{
    return (unsigned)m < 2 ? mode_names[m] : "unknown";
}

int meeting_mode_parse(const char *s, enum meeting_mode *m)
{
    for (unsigned i = 0; i < 2; i++) {
        if (!strcmp(s, mode_names[i])) {
            *m = (enum meeting_mode)i;
            return 0;
        }
    }
    return -EINVAL;
}

static const char *const repeat_names[] = {"none", "daily", "weekly"};

const char *meeting_repeat_name(enum meeting_repeat r)
{
    return (unsigned)r < 3 ? repeat_names[r] : "none";
}

int meeting_repeat_parse(const char *s, enum meeting_repeat *r)
{
    for (unsigned i = 0; i < 3; i++) {
        if (!strcmp(s, repeat_names[i])) {
            *r = (enum meeting_repeat)i;
            return 0;
        }
    }
    return -EINVAL;
}

int meeting_next_occurrence(struct meeting *m, int64_t now)
{
    static const int64_t period[] = {0, 86400, 7 * 86400};
    int64_t step = period[m->repeat];
    if (!step)
        return 0;
    int64_t start = m->start_unix, len = m->end_unix - m->start_unix;
    /* Skip the occurrences the server slept through: the next one still ahead counts. */
    while (start + len <= now)
        start += step;
    if (m->until_unix && start > m->until_unix)
        return 0;
    m->start_unix = start;
    m->end_unix = start + len;
    return 1;
}

int meeting_state_parse(const char *s, enum meeting_state *st)
{
    for (unsigned i = 0; i < 4; i++) {
        if (!strcmp(s, state_names[i])) {
            *st = (enum meeting_state)i;
            return 0;
        }
    }
    return -EINVAL;
}
