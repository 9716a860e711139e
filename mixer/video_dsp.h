/* Video scaling kernels behind a table of function pointers: a C reference for each, overridden
 * by SSE2 then AVX2 versions from the CPU flags (the pattern of audio_dsp.h). vscale.c builds
 * the filter tables and runs these one row at a time.
 *
 * Contract for every pointer: n >= 1 output pixels; no alignment required (rows of a canvas
 * cell start anywhere); dst never overlaps an input; a kernel writes dst[0..n-1] and NOTHING
 * past it (the bytes after a cell's row belong to its neighbour); integer results bit-exact with
 * the C reference. What each may read is written on it: the vertical kernels read the source
 * planes, which may be a decoder's view without padding, so they read exactly n bytes of each
 * row; the horizontal kernels read the scaler's own padded row buffer.
 *
 * Fixed point: *_q8 weights are in 1/256, non-negative, and each pair sums to at most 256, so
 * every result is in 0..255 without clamping.
 *
 * There are no N-tap kernels: vscale.c shrinks past 2x by halvings (hdown2, and vlerp at 128 on
 * rows) before the bilinear step. Gathered N-tap area filters were tried first: horizontally
 * (four taps per 32-bit load) 0.39 ns an output per four taps with AVX2, 4-5x slower than the
 * halvings plus hlerp; vertically (pmaddwd on row pairs, Q14) a 3-tap row cost as much as a
 * 4-tap one, and the whole 1280x720 -> 426x240 took 85 us a frame, 72-77 us with halvings. */
#ifndef MCU_VIDEO_DSP_H
#define MCU_VIDEO_DSP_H

#include <stdint.h>

/* Outputs of hlerp share one source window per group of this many pixels. */
#define VIDEO_HLERP_GROUP 8
/* The window: base[g] + off[i] + 1 <= base[g] + VIDEO_HLERP_WINDOW - 1. */
#define VIDEO_HLERP_WINDOW 16

/* The one definition of each output pixel, shared by the C references and the SIMD tails. */
static inline uint8_t video_lerp_q8(unsigned a, unsigned b, unsigned wa_q8, unsigned wb_q8)
{
    return (uint8_t)((a * wa_q8 + b * wb_q8 + 128) >> 8);
}

static inline uint8_t video_hlerp_px(const uint8_t *src, const int32_t *base, const uint8_t *off,
                                     const int16_t *w_q8, int i)
{
    const uint8_t *p = src + base[i / VIDEO_HLERP_GROUP] + off[i];
    return video_lerp_q8(p[0], p[1], (unsigned)w_q8[2 * i], (unsigned)w_q8[2 * i + 1]);
}

struct video_dsp {
    /* Vertical 2-tap: dst[i] = (a[i] * (256 - f_q8) + b[i] * f_q8 + 128) >> 8, f_q8 in
     * [0, 256]. Reads exactly a[0..n-1] and b[0..n-1]. At f_q8 = 128 this is (a + b + 1) >> 1,
     * which the SIMD versions compute with one pavgb (an exact 2:1 reduction hits it on every
     * row). */
    void (*vlerp)(uint8_t *dst, const uint8_t *a, const uint8_t *b, int f_q8, int n);
    /* Horizontal 2-tap: with p = base[i / 8] + off[i], off[i] in [0, 14],
     * dst[i] = (src[p] * w_q8[2i] + src[p + 1] * w_q8[2i + 1] + 128) >> 8, the pair
     * non-negative with sum <= 256. May read src[base[g] .. base[g] + 15] for every group
     * g < ceil(n / 8): one 16-byte window serves eight outputs (so the scale factor is <= 2). */
    void (*hlerp)(uint8_t *dst, const uint8_t *src, const int32_t *base, const uint8_t *off,
                  const int16_t *w_q8, int n);
    /* Horizontal 2:1, the hlerp of an exact halving (output i at source 2i + 0.5, weights
     * 128/128): dst[i] = (src[2i] + src[2i + 1] + 1) >> 1. Reads exactly src[0..2n-1]. */
    void (*hdown2)(uint8_t *dst, const uint8_t *src, int n);
};

/* C references, then the best overrides `cpu_flags` allows (see cpu.h). */
void video_dsp_init(struct video_dsp *dsp, unsigned cpu_flags);
/* Overrides in ascending ISA order; called by video_dsp_init. */
void video_dsp_init_x86(struct video_dsp *dsp, unsigned cpu_flags);

#endif
