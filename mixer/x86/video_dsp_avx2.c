/* AVX2 versions of the video_dsp kernels (this file alone is built with -mavx2). Rows shorter
 * than one 256-bit vector go to the SSE2 versions, which handle their own short tails. */
#include <immintrin.h>
#include <string.h>

#include "video_dsp.h"
#include "video_dsp_x86.h"

/* vlerp_sse2's lerp16 on 32 pixels. unpack and pack both work within 128-bit lanes, so the
 * pixels come back in order. */
static inline __m256i lerp32(__m256i a, __m256i b, __m256i wa, __m256i wb)
{
    const __m256i z = _mm256_setzero_si256(), r = _mm256_set1_epi16(128);
    __m256i lo = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpacklo_epi8(a, z), wa),
                                  _mm256_mullo_epi16(_mm256_unpacklo_epi8(b, z), wb));
    __m256i hi = _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpackhi_epi8(a, z), wa),
                                  _mm256_mullo_epi16(_mm256_unpackhi_epi8(b, z), wb));
    lo = _mm256_srli_epi16(_mm256_add_epi16(lo, r), 8);
    hi = _mm256_srli_epi16(_mm256_add_epi16(hi, r), 8);
    return _mm256_packus_epi16(lo, hi);
}

void vlerp_avx2(uint8_t *dst, const uint8_t *a, const uint8_t *b, int f_q8, int n)
{
    if (n < 32) {
        vlerp_sse2(dst, a, b, f_q8, n);
        return;
    }
    const __m256i wa = _mm256_set1_epi16((short)(256 - f_q8)), wb = _mm256_set1_epi16((short)f_q8);
    const int half = f_q8 == 128; /* (a * 128 + b * 128 + 128) >> 8 == pavgb(a, b) */
    for (int i = 0;; i += 32) {
        if (i > n - 32) /* the last vector ends at n: no read or write past the row */
            i = n - 32;
        __m256i va = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i vb = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i v = half ? _mm256_avg_epu8(va, vb) : lerp32(va, vb, wa, wb);
        _mm256_storeu_si256((__m256i *)(dst + i), v);
        if (i == n - 32)
            break;
    }
}

void hdown2_avx2(uint8_t *dst, const uint8_t *src, int n)
{
    if (n < 32) {
        hdown2_sse2(dst, src, n);
        return;
    }
    const __m256i lo8 = _mm256_set1_epi16(0x00ff);
    for (int i = 0;; i += 32) {
        if (i > n - 32)
            i = n - 32;
        /* hdown2_sse2's even/odd split on 64 bytes; packus works within lanes, so the 8-byte
         * quarters come out as 0, 2, 1, 3 and vpermq puts them back in order. */
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(src + 2 * i));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(src + 2 * i + 32));
        __m256i even = _mm256_packus_epi16(_mm256_and_si256(x0, lo8), _mm256_and_si256(x1, lo8));
        __m256i odd = _mm256_packus_epi16(_mm256_srli_epi16(x0, 8), _mm256_srli_epi16(x1, 8));
        __m256i v = _mm256_permute4x64_epi64(_mm256_avg_epu8(even, odd), _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_si256((__m256i *)(dst + i), v);
        if (i == n - 32)
            break;
    }
}

/* The pshufb control that turns a group's 16-byte window into the pairs (src[p], src[p + 1]) of
 * its eight outputs: the word off | (off + 1) << 8 per output (off <= 14, so no byte carries). */
static inline __m256i pair_mask(__m256i off_w)
{
    return _mm256_or_si256(off_w,
                           _mm256_slli_epi16(_mm256_add_epi16(off_w, _mm256_set1_epi16(1)), 8));
}

/* Eight outputs of one group with 128-bit vectors (the tail after the 16-wide loop). */
static inline void hlerp8(uint8_t *dst, const uint8_t *win, const uint8_t *off, const int16_t *w)
{
    const __m128i z = _mm_setzero_si128(), r = _mm_set1_epi32(128);
    __m128i o = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)off));
    __m128i m = _mm_or_si128(o, _mm_slli_epi16(_mm_add_epi16(o, _mm_set1_epi16(1)), 8));
    __m128i p = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)win), m);
    __m128i m0 = _mm_madd_epi16(_mm_unpacklo_epi8(p, z), _mm_loadu_si128((const __m128i *)w));
    __m128i m1 = _mm_madd_epi16(_mm_unpackhi_epi8(p, z), _mm_loadu_si128((const __m128i *)(w + 8)));
    m0 = _mm_srli_epi32(_mm_add_epi32(m0, r), 8);
    m1 = _mm_srli_epi32(_mm_add_epi32(m1, r), 8);
    __m128i pk = _mm_packs_epi32(m0, m1);
    _mm_storel_epi64((__m128i *)dst, _mm_packus_epi16(pk, pk));
}

void hlerp_avx2(uint8_t *dst, const uint8_t *src, const int32_t *base, const uint8_t *off,
                const int16_t *w_q8, int n)
{
    const __m256i z = _mm256_setzero_si256(), r = _mm256_set1_epi32(128);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        /* Two groups, one per lane: each lane's window is its group's 16 source bytes, and
         * vpshufb (which works within lanes) gathers the pixel pairs of its eight outputs. */
        const int g = i / VIDEO_HLERP_GROUP;
        __m256i win = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(src + base[g]))),
            _mm_loadu_si128((const __m128i *)(src + base[g + 1])), 1);
        __m256i off_w = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(off + i)));
        __m256i p = _mm256_shuffle_epi8(win, pair_mask(off_w));
        /* Widening within lanes puts outputs 0-3 and 8-11 in lo, 4-7 and 12-15 in hi: the
         * weights, stored in output order, are regrouped to match. */
        __m256i w07 = _mm256_loadu_si256((const __m256i *)(w_q8 + 2 * i));
        __m256i w815 = _mm256_loadu_si256((const __m256i *)(w_q8 + 2 * i + 16));
        __m256i mlo = _mm256_madd_epi16(_mm256_unpacklo_epi8(p, z),
                                        _mm256_permute2x128_si256(w07, w815, 0x20));
        __m256i mhi = _mm256_madd_epi16(_mm256_unpackhi_epi8(p, z),
                                        _mm256_permute2x128_si256(w07, w815, 0x31));
        mlo = _mm256_srli_epi32(_mm256_add_epi32(mlo, r), 8);
        mhi = _mm256_srli_epi32(_mm256_add_epi32(mhi, r), 8);
        __m256i pk = _mm256_packs_epi32(mlo, mhi); /* words: outputs 0-7 | 8-15 */
        __m128i out = _mm_packus_epi16(_mm256_castsi256_si128(pk), _mm256_extracti128_si256(pk, 1));
        _mm_storeu_si128((__m128i *)(dst + i), out);
    }
    if (i + VIDEO_HLERP_GROUP <= n) {
        hlerp8(dst + i, src + base[i / VIDEO_HLERP_GROUP], off + i, w_q8 + 2 * i);
        i += VIDEO_HLERP_GROUP;
    }
    for (; i < n; i++) /* the tail: never store past n */
        dst[i] = video_hlerp_px(src, base, off, w_q8, i);
}
