/* The audio mixer of one conference: per tick, pick the talkers, sum them once, give each talker
 * the sum minus itself, and give everyone else one shared full mix, so the work (and, outside,
 * the encoding) grows with the number of talkers, not the number of inputs.
 *
 * Inputs are slots. Each tick, the owner writes each slot's decoded 48 kHz frame (or marks it
 * silent), calls amix_run(), then reads the outputs. Gains and mutes are resolved into the
 * per-tick plan before the sample loops; the loops are audio_dsp kernels. A soft limiter (gain
 * ramping down at once, back up slowly) replaces hard clipping where a sum overflows.
 * Pure: no I/O, no threads, no clock. */
#ifndef MCU_AMIX_H
#define MCU_AMIX_H

#include <stdint.h>

#include "speaker.h"

struct amix;

struct amix_params {
    unsigned max_inputs;
    unsigned frame_samples; /* per tick, a multiple of 16: 960 for 20 ms at 48 kHz */
    unsigned max_talkers;   /* N */
    unsigned cpu_flags;     /* for the DSP kernels (cpu_flags()) */
};

int amix_create(struct amix **out, const struct amix_params *p);
void amix_destroy(struct amix **ap);

/* A free slot index, or -ENOSPC. The slot starts silent, unmuted, gain 1.0. */
int amix_input_add(struct amix *a);
void amix_input_remove(struct amix *a, unsigned idx);
void amix_input_set_gain(struct amix *a, unsigned idx, int gain_q14);
void amix_input_set_mute(struct amix *a, unsigned idx, int muted);

/* This tick's frame buffer for the slot (frame_samples, 32-byte aligned): write the decoded
 * audio into it, then call amix_input_ready. */
int16_t *amix_input_buffer(struct amix *a, unsigned idx);
/* The level that goes with a frame, when it is not RFC 6464's 0..127 (the client's own level,
 * used for selection instead of the measured energy). */
#define AMIX_LEVEL_MEASURE (-1) /* measure the buffer; without audio, the frame is silence */
#define AMIX_LEVEL_QUIET   (-2) /* not decoded: the sender flagged it as no speech (level.h) */

/* has_audio 0: nothing to mix this tick (the buffer is ignored), but `level` still counts:
 * a known level (a frame left undecoded because the client said it was quiet), QUIET, or
 * MEASURE for silence. */
void amix_input_ready(struct amix *a, unsigned idx, int has_audio, int level);

/* Select talkers and mix. Inputs not marked ready this tick count as silent. */
void amix_run(struct amix *a);

/* After amix_run: what slot `idx` should hear. Talkers get their own mix (all talkers but
 * themselves); everyone else gets the one shared mix (same pointer for all). */
const int16_t *amix_output(const struct amix *a, unsigned idx);
const int16_t *amix_shared_output(const struct amix *a);
int amix_is_mixed(const struct amix *a, unsigned idx);
int amix_is_talking(const struct amix *a, unsigned idx);
unsigned amix_talkers(const struct amix *a, const unsigned **idx);
int amix_active_speaker(const struct amix *a);
/* Level of the slot's last frame, dBFS. */
float amix_input_level_db(const struct amix *a, unsigned idx);

#endif
