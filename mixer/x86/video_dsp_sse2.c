/* SSE2 versions of the video_dsp kernels (this file alone is built with -msse2). */
#include <emmintrin.h>
#include <string.h>

#include "video_dsp.h"
#include "video_dsp_x86.h"

/* Unaligned scalar loads without breaking strict aliasing (each is one mov). */
static inline int load_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Sixteen pixels of vlerp in 16-bit lanes: a * wa + b * wb + 128 is at most 255 * 256 + 128,
 * which fits an unsigned word, so pmullw (low half) and paddw (mod 2^16) are exact and psrlw
 * gives the reference's >> 8. */
static inline __m128i lerp16(__m128i a, __m128i b, __m128i wa, __m128i wb)
{
    const __m128i z = _mm_setzero_si128(), r = _mm_set1_epi16(128);
    __m128i lo = _mm_add_epi16(_mm_mullo_epi16(_mm_unpacklo_epi8(a, z), wa),
                               _mm_mullo_epi16(_mm_unpacklo_epi8(b, z), wb));
    __m128i hi = _mm_add_epi16(_mm_mullo_epi16(_mm_unpackhi_epi8(a, z), wa),
                               _mm_mullo_epi16(_mm_unpackhi_epi8(b, z), wb));
    lo = _mm_srli_epi16(_mm_add_epi16(lo, r), 8);
    hi = _mm_srli_epi16(_mm_add_epi16(hi, r), 8);
    return _mm_packus_epi16(lo, hi);
}

void vlerp_sse2(uint8_t *dst, const uint8_t *a, const uint8_t *b, int f_q8, int n)
{
    if (n < 16) { /* too short for one vector: the source rows may end right there */
        for (int i = 0; i < n; i++)
            dst[i] = video_lerp_q8(a[i], b[i], 256u - (unsigned)f_q8, (unsigned)f_q8);
        return;
    }
    const __m128i wa = _mm_set1_epi16((short)(256 - f_q8)), wb = _mm_set1_epi16((short)f_q8);
    const int half = f_q8 == 128; /* (a * 128 + b * 128 + 128) >> 8 == pavgb(a, b) */
    /* The last vector is moved back to end at n: it recomputes a few pixels with the same
     * result instead of reading or writing past the row. */
    for (int i = 0;; i += 16) {
        if (i > n - 16)
            i = n - 16;
        __m128i va = _mm_loadu_si128((const __m128i *)(a + i));
        __m128i vb = _mm_loadu_si128((const __m128i *)(b + i));
        __m128i v = half ? _mm_avg_epu8(va, vb) : lerp16(va, vb, wa, wb);
        _mm_storeu_si128((__m128i *)(dst + i), v);
        if (i == n - 16)
            break;
    }
}

/* Sixteen outputs of hdown2 from 32 source bytes: the even and the odd bytes of each word,
 * packed back to bytes, then pavgb rounds their mean up exactly as the reference does. */
static inline __m128i down2_16(const uint8_t *src)
{
    const __m128i lo8 = _mm_set1_epi16(0x00ff);
    __m128i x0 = _mm_loadu_si128((const __m128i *)src);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(src + 16));
    __m128i even = _mm_packus_epi16(_mm_and_si128(x0, lo8), _mm_and_si128(x1, lo8));
    __m128i odd = _mm_packus_epi16(_mm_srli_epi16(x0, 8), _mm_srli_epi16(x1, 8));
    return _mm_avg_epu8(even, odd);
}

void hdown2_sse2(uint8_t *dst, const uint8_t *src, int n)
{
    if (n < 16) {
        for (int i = 0; i < n; i++)
            dst[i] = (uint8_t)((src[2 * i] + src[2 * i + 1] + 1) >> 1);
        return;
    }
    for (int i = 0;; i += 16) {
        if (i > n - 16) /* overlap the last vector, as in vlerp */
            i = n - 16;
        _mm_storeu_si128((__m128i *)(dst + i), down2_16(src + 2 * i));
        if (i == n - 16)
            break;
    }
}

void hlerp_sse2(uint8_t *dst, const uint8_t *src, const int32_t *base, const uint8_t *off,
                const int16_t *w_q8, int n)
{
    const __m128i z = _mm_setzero_si128(), r = _mm_set1_epi32(128);
    int i = 0;
    for (; i + VIDEO_HLERP_GROUP <= n; i += VIDEO_HLERP_GROUP) {
        /* SSE2 has no byte shuffle: gather each output's pixel pair as one word (pinsrw). The
         * little-endian word is (src[p], src[p + 1]), so widening the bytes gives the pairs that
         * pmaddwd weighs. */
        const uint8_t *s = src + base[i / VIDEO_HLERP_GROUP];
        const uint8_t *o = off + i;
        __m128i v = _mm_cvtsi32_si128(load_u16(s + o[0]));
        v = _mm_insert_epi16(v, load_u16(s + o[1]), 1);
        v = _mm_insert_epi16(v, load_u16(s + o[2]), 2);
        v = _mm_insert_epi16(v, load_u16(s + o[3]), 3);
        v = _mm_insert_epi16(v, load_u16(s + o[4]), 4);
        v = _mm_insert_epi16(v, load_u16(s + o[5]), 5);
        v = _mm_insert_epi16(v, load_u16(s + o[6]), 6);
        v = _mm_insert_epi16(v, load_u16(s + o[7]), 7);
        __m128i m0 = _mm_madd_epi16(_mm_unpacklo_epi8(v, z),
                                    _mm_loadu_si128((const __m128i *)(w_q8 + 2 * i)));
        __m128i m1 = _mm_madd_epi16(_mm_unpackhi_epi8(v, z),
                                    _mm_loadu_si128((const __m128i *)(w_q8 + 2 * i + 8)));
        m0 = _mm_srli_epi32(_mm_add_epi32(m0, r), 8);
        m1 = _mm_srli_epi32(_mm_add_epi32(m1, r), 8);
        __m128i p = _mm_packs_epi32(m0, m1);
        _mm_storel_epi64((__m128i *)(dst + i), _mm_packus_epi16(p, p));
    }
    for (; i < n; i++) /* the tail: never store past n */
        dst[i] = video_hlerp_px(src, base, off, w_q8, i);
}
