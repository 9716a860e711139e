/* Talker selection: which inputs are talking (with hysteresis and a hangover, so a talker's
 * short pauses do not drop it), the top N of them that get mixed, and the active speaker.
 * A talker keeps its slot until another input is louder by a margin, so the set does not
 * flicker. Pure state machine over per-frame scores (dB above the input's noise floor). */
#ifndef MCU_SPEAKER_H
#define MCU_SPEAKER_H

#include <stdint.h>

#define SPEAKER_MAX_TALKERS 16

struct speaker_params {
    unsigned max_inputs;
    unsigned max_talkers;         /* N, 1..SPEAKER_MAX_TALKERS (3 by default) */
    float on_db;                  /* score that starts talking (e.g. 12) */
    float off_db;                 /* score under which talking may stop (e.g. 6) */
    unsigned hangover_frames;     /* frames under off_db before it stops (e.g. 20 = 400 ms) */
    float switch_margin_db;       /* a newcomer must beat the weakest talker by this (e.g. 6) */
    unsigned speaker_hold_frames; /* active speaker changes after leading this long (e.g. 15) */
};

struct speaker;

void speaker_params_default(struct speaker_params *p, unsigned max_inputs);
int speaker_create(struct speaker **out, const struct speaker_params *p);
void speaker_destroy(struct speaker **sp);

/* Input slots: a new input starts silent. */
void speaker_reset_input(struct speaker *s, unsigned idx);

/* One frame: score[i] for every slot < n (ignored where present[i] is 0). Afterwards the
 * queries below describe this frame. */
void speaker_update(struct speaker *s, const float *score, const uint8_t *present, unsigned n);

/* Mixed talkers (at most max_talkers), as slot indices. */
unsigned speaker_talkers(const struct speaker *s, const unsigned **idx);
int speaker_is_mixed(const struct speaker *s, unsigned idx);
/* Talking (above threshold or in hangover), whether mixed or not. */
int speaker_is_talking(const struct speaker *s, unsigned idx);
/* The active speaker's slot, or -1. */
int speaker_active(const struct speaker *s);

#endif
