/* SpeexDSP around the mixer: a resampler (e.g. G.711's 8 kHz to and from the 48 kHz mix) and a
 * preprocessor (denoise, automatic gain control) per participant. Mono int16 frames.
 * Its VAD is not used for talker selection (it calls almost every frame speech: DESIGN.md). */
#ifndef MCU_PREPROC_H
#define MCU_PREPROC_H

#include <stdint.h>

struct resampler;
/* quality 0-10 (SpeexDSP's); e.g. 3 for real time. -EINVAL for unsupported rates (outside
 * 8000-192000 Hz). */
int resampler_create(struct resampler **out, uint32_t in_rate, uint32_t out_rate, int quality);
void resampler_destroy(struct resampler **rp);
/* Resample exactly in_samples into out (capacity out_cap); returns samples written or -errno.
 * For a 20 ms frame from 8 kHz to 48 kHz: 160 in, 960 out (the filter delay is kept inside).
 * -ENOBUFS, with the state untouched, if out_cap < ceil(in_samples * out_rate / in_rate): a
 * call yields that many samples or one fewer (always that many when it is a whole number, as
 * for 160 -> 960). */
int resampler_process(struct resampler *r, const int16_t *in, int in_samples, int16_t *out,
                      int out_cap);

struct preproc;
struct preproc_params {
    uint32_t rate;     /* 48000 (8000-192000) */
    int frame_samples; /* 960 (2.5 to 100 ms); SpeexDSP takes 960 at 48 kHz in one call */
    int denoise;       /* on/off */
    int agc;           /* on/off */
    int agc_level;     /* target, e.g. 24000 (SpeexDSP's float scale as int); 0 = its
                        * default (8000); up to 32768 */
};
int preproc_create(struct preproc **out, const struct preproc_params *p);
void preproc_destroy(struct preproc **pp);
/* In place on one frame of frame_samples. 0 or -errno. The output lags the input by one frame
 * (SpeexDSP's overlap-add), 20 ms at 960 samples. The denoiser treats a steady tone as noise
 * and fades it out over about a second; speech is not steady. */
int preproc_run(struct preproc *p, int16_t *frame);

#endif
