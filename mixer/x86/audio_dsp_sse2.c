/* SSE2 versions of the audio_dsp kernels (this file alone is built with -msse2). */
#include <emmintrin.h>

#include "audio_dsp_x86.h"

/* audio_scale_q14 for four samples in one pmaddwd: each 32-bit lane holds the word pair (x, 1),
 * multiplied by the pair (gain_q14, 8192), giving x * gain_q14 + 8192 exactly (|x * g| < 2^30,
 * so the pair sum cannot overflow); then the same arithmetic shift as the C reference. */
static inline __m128i gain_pair(int gain_q14)
{
    return _mm_set1_epi32((8192 << 16) | gain_q14); /* gain_q14 <= 32767: a positive int16 */
}

static inline __m128i scale_lo(__m128i x, __m128i gk)
{
    return _mm_srai_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(x, _mm_set1_epi16(1)), gk), 14);
}

static inline __m128i scale_hi(__m128i x, __m128i gk)
{
    return _mm_srai_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(x, _mm_set1_epi16(1)), gk), 14);
}

void accumulate_s16_sse2(int32_t *acc, const int16_t *in, int gain_q14, int n)
{
    const __m128i gk = gain_pair(gain_q14);
    for (int i = 0; i < n; i += 8) {
        __m128i x = _mm_load_si128((const __m128i *)(in + i));
        __m128i *a = (__m128i *)(acc + i);
        _mm_store_si128(a, _mm_add_epi32(_mm_load_si128(a), scale_lo(x, gk)));
        _mm_store_si128(a + 1, _mm_add_epi32(_mm_load_si128(a + 1), scale_hi(x, gk)));
    }
}

void sub_s16_sse2(int32_t *out, const int32_t *total, const int16_t *self, int gain_q14, int n)
{
    const __m128i gk = gain_pair(gain_q14);
    for (int i = 0; i < n; i += 8) {
        __m128i x = _mm_load_si128((const __m128i *)(self + i));
        const __m128i *t = (const __m128i *)(total + i);
        __m128i *o = (__m128i *)(out + i);
        _mm_store_si128(o, _mm_sub_epi32(_mm_load_si128(t), scale_lo(x, gk)));
        _mm_store_si128(o + 1, _mm_sub_epi32(_mm_load_si128(t + 1), scale_hi(x, gk)));
    }
}

/* -|x|, which unlike |x| is representable for every int32 (-|INT32_MIN| == INT32_MIN). */
static inline __m128i nabs_epi32(__m128i x)
{
    __m128i s = _mm_srai_epi32(x, 31);
    return _mm_sub_epi32(s, _mm_xor_si128(x, s));
}

/* SSE2 has no pminsd (SSE4.1): select through the compare mask. */
static inline __m128i min_epi32(__m128i a, __m128i b)
{
    __m128i gt = _mm_cmpgt_epi32(a, b);
    return _mm_xor_si128(a, _mm_and_si128(_mm_xor_si128(a, b), gt));
}

/* Exact for every int32. */
static uint32_t peak_exact(const int32_t *in, int n)
{
    /* The peak is the most negative -|x|; four independent chains hide the select's latency. */
    __m128i m0 = _mm_setzero_si128(), m1 = m0, m2 = m0, m3 = m0;
    for (int i = 0; i < n; i += 16) {
        const __m128i *p = (const __m128i *)(in + i);
        m0 = min_epi32(m0, nabs_epi32(_mm_load_si128(p)));
        m1 = min_epi32(m1, nabs_epi32(_mm_load_si128(p + 1)));
        m2 = min_epi32(m2, nabs_epi32(_mm_load_si128(p + 2)));
        m3 = min_epi32(m3, nabs_epi32(_mm_load_si128(p + 3)));
    }
    __m128i m = min_epi32(min_epi32(m0, m1), min_epi32(m2, m3));
    m = min_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = min_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return 0u - (uint32_t)_mm_cvtsi128_si32(m);
}

uint32_t peak_s32_sse2(const int32_t *in, int n)
{
    /* SSE2 has no 32-bit integer abs or max, so the exact loop costs 7 operations per vector.
     * The mix bus normally stays far below 2^24, where int32 -> float is exact and convert, abs
     * and max cost 3: take the float peak first. Rounding to float is monotonic, so a float peak
     * below 2^24 means every |x| is below 2^24, every conversion was exact and the float peak is
     * the answer; otherwise (loud or hostile input) redo it exactly. */
    const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    __m128 f0 = _mm_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
    for (int i = 0; i < n; i += 16) {
        const __m128i *p = (const __m128i *)(in + i);
        f0 = _mm_max_ps(f0, _mm_and_ps(_mm_cvtepi32_ps(_mm_load_si128(p)), abs_mask));
        f1 = _mm_max_ps(f1, _mm_and_ps(_mm_cvtepi32_ps(_mm_load_si128(p + 1)), abs_mask));
        f2 = _mm_max_ps(f2, _mm_and_ps(_mm_cvtepi32_ps(_mm_load_si128(p + 2)), abs_mask));
        f3 = _mm_max_ps(f3, _mm_and_ps(_mm_cvtepi32_ps(_mm_load_si128(p + 3)), abs_mask));
    }
    __m128 f = _mm_max_ps(_mm_max_ps(f0, f1), _mm_max_ps(f2, f3));
    f = _mm_max_ps(f, _mm_shuffle_ps(f, f, _MM_SHUFFLE(1, 0, 3, 2)));
    f = _mm_max_ps(f, _mm_shuffle_ps(f, f, _MM_SHUFFLE(2, 3, 0, 1)));
    const float peak = _mm_cvtss_f32(f);
    if (peak < 16777216.f)
        return (uint32_t)peak;
    return peak_exact(in, n);
}

/* Sixteen samples of one gain block: convert (exact, |in| < 2^24), multiply, clamp, then
 * cvtps2dq rounds to nearest even like lrintf in the default rounding mode. The values are
 * already in int16 range, so packssdw's saturation never changes them. */
static inline __m128i scale4(const int32_t *in, __m128 g)
{
    __m128 v = _mm_mul_ps(_mm_cvtepi32_ps(_mm_load_si128((const __m128i *)in)), g);
    return _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(v, _mm_set1_ps(-32768.f)), _mm_set1_ps(32767.f)));
}

static inline void scale_block(int16_t *out, const int32_t *in, __m128 g)
{
    /* Written out rather than looped: GCC -O2 kept a 4-step loop and spilled its results. */
    __m128i r0 = scale4(in, g), r1 = scale4(in + 4, g);
    __m128i r2 = scale4(in + 8, g), r3 = scale4(in + 12, g);
    _mm_store_si128((__m128i *)out, _mm_packs_epi32(r0, r1));
    _mm_store_si128((__m128i *)(out + 8), _mm_packs_epi32(r2, r3));
}

void scale_sat_s32_sse2(int16_t *out, const int32_t *in, float g0, float g1, int n)
{
    /* The gains of four blocks at once, with the reference's operations in its order,
     * g0 + ((g1 - g0) * b) / nb: mulps, divps and addps round exactly like their scalar forms,
     * and keeping them in vectors also keeps x87 excess precision out on 32-bit x86. A division
     * per block, or gains sent through memory, cost about a third of the run time. */
    const int nb = n / 16;
    const __m128 vg0 = _mm_set1_ps(g0), vd = _mm_sub_ps(_mm_set1_ps(g1), vg0);
    const __m128 vnb = _mm_set1_ps((float)nb), four = _mm_set1_ps(4.f);
    __m128 k = _mm_setr_ps(0.f, 1.f, 2.f, 3.f); /* block numbers: exact in float below 2^24 */
    int b = 0;
    for (; b + 4 <= nb; b += 4) {
        const __m128 g = _mm_add_ps(vg0, _mm_div_ps(_mm_mul_ps(vd, k), vnb));
        k = _mm_add_ps(k, four);
        scale_block(out + b * 16, in + b * 16, _mm_shuffle_ps(g, g, 0x00));
        scale_block(out + b * 16 + 16, in + b * 16 + 16, _mm_shuffle_ps(g, g, 0x55));
        scale_block(out + b * 16 + 32, in + b * 16 + 32, _mm_shuffle_ps(g, g, 0xaa));
        scale_block(out + b * 16 + 48, in + b * 16 + 48, _mm_shuffle_ps(g, g, 0xff));
    }
    if (b < nb) { /* one to three blocks left */
        float gs[4];
        _mm_storeu_ps(gs, _mm_add_ps(vg0, _mm_div_ps(_mm_mul_ps(vd, k), vnb)));
        for (int j = 0; b + j < nb; j++)
            scale_block(out + (b + j) * 16, in + (b + j) * 16, _mm_set1_ps(gs[j]));
    }
}

uint64_t energy_s16_sse2(const int16_t *in, int n)
{
    /* pmaddwd gives x0^2 + x1^2 <= 2^31, which wraps to INT32_MIN as a signed lane only when
     * both are -32768. Read the lanes as unsigned (zero-extend, never sign-extend) and the sum
     * is exact: widen to 64 bits right away, even lanes by masking, odd lanes by shifting. */
    const __m128i lo32 = _mm_set1_epi64x(0xffffffff);
    __m128i e0 = _mm_setzero_si128(), e1 = e0, e2 = e0, e3 = e0;
    for (int i = 0; i < n; i += 16) {
        __m128i x0 = _mm_load_si128((const __m128i *)(in + i));
        __m128i x1 = _mm_load_si128((const __m128i *)(in + i + 8));
        __m128i p0 = _mm_madd_epi16(x0, x0), p1 = _mm_madd_epi16(x1, x1);
        e0 = _mm_add_epi64(e0, _mm_and_si128(p0, lo32));
        e1 = _mm_add_epi64(e1, _mm_srli_epi64(p0, 32));
        e2 = _mm_add_epi64(e2, _mm_and_si128(p1, lo32));
        e3 = _mm_add_epi64(e3, _mm_srli_epi64(p1, 32));
    }
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)lanes, _mm_add_epi64(_mm_add_epi64(e0, e1), _mm_add_epi64(e2, e3)));
    return lanes[0] + lanes[1];
}
