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
