/* x86 versions of the audio_dsp kernels; contracts in audio_dsp.h. Each ISA's file is built with
 * its own -m flag, so only call these after checking the matching CPU_FLAG_*. */
#ifndef MCU_AUDIO_DSP_X86_H
#define MCU_AUDIO_DSP_X86_H

#include <stdint.h>

void accumulate_s16_sse2(int32_t *acc, const int16_t *in, int gain_q14, int n);
void sub_s16_sse2(int32_t *out, const int32_t *total, const int16_t *self, int gain_q14, int n);
uint32_t peak_s32_sse2(const int32_t *in, int n);
void scale_sat_s32_sse2(int16_t *out, const int32_t *in, float g0, float g1, int n);
uint64_t energy_s16_sse2(const int16_t *in, int n);

void accumulate_s16_avx2(int32_t *acc, const int16_t *in, int gain_q14, int n);
void sub_s16_avx2(int32_t *out, const int32_t *total, const int16_t *self, int gain_q14, int n);
uint32_t peak_s32_avx2(const int32_t *in, int n);
void scale_sat_s32_avx2(int16_t *out, const int32_t *in, float g0, float g1, int n);
uint64_t energy_s16_avx2(const int16_t *in, int n);

#endif
