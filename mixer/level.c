/* Level and noise-floor tracking. The floor follows quiet frames down at once and creeps up
 * slowly, so steady background noise stops counting as speech within a few seconds while a
 * talker's pauses keep pulling it back down. */
#include "level.h"

#include <math.h>

#define SILENCE_DB    -96.0f
#define FLOOR_MIN_DB  -80.0f
#define FLOOR_RISE_DB 0.04f /* per frame: 2 dB/s at 20 ms frames */
#define SMOOTH_UP     0.6f  /* weight of a louder frame: fast attack */
#define SMOOTH_DOWN   0.15f /* weight of a quieter frame: slower release */

void level_init(struct level *l)
{
    l->floor_db = FLOOR_MIN_DB;
    l->smooth_db = SILENCE_DB;
    l->init = 0;
}

static float update_db(struct level *l, float db)
{
    if (db < SILENCE_DB)
        db = SILENCE_DB;
    if (!l->init) {
        /* The floor starts at the bottom: a participant who is already talking in its first
         * frame must count as talking, not as a loud noise floor. */
        l->smooth_db = db;
        l->init = 1;
    }
    float w = db > l->smooth_db ? SMOOTH_UP : SMOOTH_DOWN;
    l->smooth_db += w * (db - l->smooth_db);
    if (db < l->floor_db)
        l->floor_db = db < FLOOR_MIN_DB ? FLOOR_MIN_DB : db;
    else
        l->floor_db += FLOOR_RISE_DB;
    float score = l->smooth_db - l->floor_db;
    return score > 0 ? score : 0;
}

float level_update_energy(struct level *l, uint64_t energy, int n)
{
    /* Relative to a full-scale sine (mean square 0.5 * 32768^2), like dBov in RFC 6464. */
    double ms = n > 0 ? (double)energy / n : 0;
    float db = ms > 0 ? (float)(10.0 * log10(ms / (0.5 * 32768.0 * 32768.0))) : SILENCE_DB;
    return update_db(l, db);
}

float level_update_rfc6464(struct level *l, int dbov)
{
    if (dbov < 0)
        dbov = 0;
    if (dbov > 127)
        dbov = 127;
    return update_db(l, (float)-dbov);
}

float level_update_quiet(struct level *l)
{
    /* Not update_db(floor): a floor fed its own value would creep up 2 dB/s for as long as the
     * sender stays quiet, and its next words would then score too low to count. */
    l->smooth_db += SMOOTH_DOWN * (l->floor_db - l->smooth_db);
    float score = l->smooth_db - l->floor_db;
    return score > 0 ? score : 0;
}

float level_update_silent(struct level *l)
{
    return update_db(l, SILENCE_DB);
}

float level_db(const struct level *l)
{
    return l->smooth_db;
}
