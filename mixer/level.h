/* Speech activity of one input, as a score in dB above its own noise floor. Fed either with the
 * frame's energy (decoded audio) or with the client's RFC 6464 level. Pure; no clock. */
#ifndef MCU_LEVEL_H
#define MCU_LEVEL_H

#include <stdint.h>

struct level {
    float floor_db;  /* tracked noise floor, dBFS */
    float smooth_db; /* smoothed frame level, dBFS */
    int init;
};

void level_init(struct level *l);
/* One frame of `n` samples whose sum of squares is `energy`. Returns the score (dB over the
 * floor, >= 0). */
float level_update_energy(struct level *l, uint64_t energy, int n);
/* One frame as the client measured it: RFC 6464 `dbov` in 0..127 (0 is loudest). */
float level_update_rfc6464(struct level *l, int dbov);
/* A frame not measured because its sender flagged it as no speech: the level settles onto the
 * floor, and the floor stays where it is (it has not been measured either). */
float level_update_quiet(struct level *l);
/* A frame with no audio at all (nothing received, DTX): decays the level. */
float level_update_silent(struct level *l);
/* dBFS of a frame, for display (e.g. -20.0). */
float level_db(const struct level *l);

#endif
