/* x86 versions of the video_dsp kernels; contracts in video_dsp.h. Each ISA's file is built with
 * its own -m flag, so only call these after checking the matching CPU_FLAG_*. */
#ifndef MCU_VIDEO_DSP_X86_H
#define MCU_VIDEO_DSP_X86_H

#include <stdint.h>

void vlerp_sse2(uint8_t *dst, const uint8_t *a, const uint8_t *b, int f_q8, int n);
void hlerp_sse2(uint8_t *dst, const uint8_t *src, const int32_t *base, const uint8_t *off,
                const int16_t *w_q8, int n);
void hdown2_sse2(uint8_t *dst, const uint8_t *src, int n);

void vlerp_avx2(uint8_t *dst, const uint8_t *a, const uint8_t *b, int f_q8, int n);
void hlerp_avx2(uint8_t *dst, const uint8_t *src, const int32_t *base, const uint8_t *off,
                const int16_t *w_q8, int n);
void hdown2_avx2(uint8_t *dst, const uint8_t *src, int n);

#endif
