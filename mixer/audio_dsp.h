/* Audio DSP kernels behind a table of function pointers: a C reference for each, overridden by
 * SSE2 then AVX2 versions from the CPU flags (the pattern of FFmpeg's DSP contexts).
 *
 * Contract for every pointer: buffers 32-byte aligned; n > 0 and a multiple of 16 (the frame
 * allocator pads); integer results bit-exact with the C reference. Gains: gain_q14 in
 * [0, 32767] (0 to ~2.0); limiter gains are floats in [0, 1]. */
#ifndef MCU_AUDIO_DSP_H
#define MCU_AUDIO_DSP_H

#include <stdint.h>

/* The one definition of a scaled sample, shared by accumulate and sub so that "total minus self"
 * removes exactly what was added: (x * gain_q14 + 8192) >> 14 (arithmetic shift). */
static inline int32_t audio_scale_q14(int16_t x, int gain_q14)
{
    return ((int32_t)x * gain_q14 + 8192) >> 14;
}

struct audio_dsp {
    /* acc[i] += audio_scale_q14(in[i], gain_q14). acc cannot overflow for fewer than 32769
     * inputs at any gain (a scaled sample is at most 65534 in magnitude). */
    void (*accumulate_s16)(int32_t *acc, const int16_t *in, int gain_q14, int n);
    /* out[i] = total[i] - audio_scale_q14(self[i], gain_q14): the mix without one talker. */
    void (*sub_s16)(int32_t *out, const int32_t *total, const int16_t *self, int gain_q14, int n);
    /* max |in[i]| (as uint32, so |INT32_MIN| fits). */
    uint32_t (*peak_s32)(const int32_t *in, int n);
    /* The limiter's output stage: out[i] = (int16_t)lrintf(clamp((float)in[i] * g, -32768.f,
     * 32767.f)) with the gain stepping from g0 toward g1 once per block of 16 samples:
     * g = g0 + (g1 - g0) * (float)(i / 16) / (float)(n / 16), evaluated in exactly that order in
     * float (no FMA), round to nearest even. Precondition |in[i]| < 2^24 (exact as float). */
    void (*scale_sat_s32)(int16_t *out, const int32_t *in, float g0, float g1, int n);
    /* sum of in[i]^2 (energy for levels). */
    uint64_t (*energy_s16)(const int16_t *in, int n);
};

/* C references, then the best overrides `cpu_flags` allows (see cpu.h). */
void audio_dsp_init(struct audio_dsp *dsp, unsigned cpu_flags);
/* Overrides in ascending ISA order; called by audio_dsp_init. */
void audio_dsp_init_x86(struct audio_dsp *dsp, unsigned cpu_flags);

#endif
