/* AVX2 versions of the audio_dsp kernels (this file alone is built with -mavx2). */
#include <immintrin.h>

#include "audio_dsp_x86.h"

/* audio_scale_q14 for eight samples: zero-extend each int16 into a 32-bit lane, set the high word
 * to 1, and one vpmaddwd against the word pair (gain_q14, 8192) gives x * gain_q14 + 8192 exactly
 * (the low word is still read as signed); then the reference's arithmetic shift. */
static inline __m256i scale8(const int16_t *in, __m256i gk)
{
    __m256i x = _mm256_cvtepu16_epi32(_mm_load_si128((const __m128i *)in));
    x = _mm256_or_si256(x, _mm256_set1_epi32(1 << 16));
    return _mm256_srai_epi32(_mm256_madd_epi16(x, gk), 14);
}

void accumulate_s16_avx2(int32_t *acc, const int16_t *in, int gain_q14, int n)
{
    const __m256i gk = _mm256_set1_epi32((8192 << 16) | gain_q14); /* gain_q14 <= 32767 */
    for (int i = 0; i < n; i += 16) {
        __m256i *a = (__m256i *)(acc + i);
        _mm256_store_si256(a, _mm256_add_epi32(_mm256_load_si256(a), scale8(in + i, gk)));
        _mm256_store_si256(a + 1,
                           _mm256_add_epi32(_mm256_load_si256(a + 1), scale8(in + i + 8, gk)));
    }
}

void sub_s16_avx2(int32_t *out, const int32_t *total, const int16_t *self, int gain_q14, int n)
{
    const __m256i gk = _mm256_set1_epi32((8192 << 16) | gain_q14);
    for (int i = 0; i < n; i += 16) {
        const __m256i *t = (const __m256i *)(total + i);
        __m256i *o = (__m256i *)(out + i);
        _mm256_store_si256(o, _mm256_sub_epi32(_mm256_load_si256(t), scale8(self + i, gk)));
        _mm256_store_si256(o + 1,
                           _mm256_sub_epi32(_mm256_load_si256(t + 1), scale8(self + i + 8, gk)));
    }
}

uint32_t peak_s32_avx2(const int32_t *in, int n)
{
    /* vpabsd leaves INT32_MIN as 0x80000000, which is 2^31 read unsigned: compare unsigned.
     * Pairs are reduced before they reach the two loop-carried chains: on the Zen 5 test machine
     * that shape ran at the same speed wherever the linker put the loop, while one chain per load
     * ran up to 1.6x slower for some loop alignments. */
    __m256i m0 = _mm256_setzero_si256(), m1 = m0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i *p = (const __m256i *)(in + i);
        __m256i a0 = _mm256_abs_epi32(_mm256_load_si256(p));
        __m256i a1 = _mm256_abs_epi32(_mm256_load_si256(p + 1));
        __m256i a2 = _mm256_abs_epi32(_mm256_load_si256(p + 2));
        __m256i a3 = _mm256_abs_epi32(_mm256_load_si256(p + 3));
        m0 = _mm256_max_epu32(m0, _mm256_max_epu32(a0, a1));
        m1 = _mm256_max_epu32(m1, _mm256_max_epu32(a2, a3));
    }
    if (i < n) { /* n is a multiple of 16: at most half an iteration left */
        const __m256i *p = (const __m256i *)(in + i);
        m0 = _mm256_max_epu32(m0, _mm256_abs_epi32(_mm256_load_si256(p)));
        m1 = _mm256_max_epu32(m1, _mm256_abs_epi32(_mm256_load_si256(p + 1)));
    }
    __m256i m = _mm256_max_epu32(m0, m1);
    __m128i h = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, _MM_SHUFFLE(1, 0, 3, 2)));
    h = _mm_max_epu32(h, _mm_shuffle_epi32(h, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(h);
}

/* One gain block of sixteen samples: exact conversion (|in| < 2^24), multiply, clamp, then
 * cvtps2dq rounds to nearest even like lrintf. vpackssdw packs within 128-bit lanes, so vpermq
 * restores sample order; the values are in int16 range, so its saturation changes nothing. */
static inline void scale_block(int16_t *out, const int32_t *in, __m256 g)
{
    const __m256 lo = _mm256_set1_ps(-32768.f), hi = _mm256_set1_ps(32767.f);
    __m256 v0 = _mm256_cvtepi32_ps(_mm256_load_si256((const __m256i *)in));
    __m256 v1 = _mm256_cvtepi32_ps(_mm256_load_si256((const __m256i *)(in + 8)));
    v0 = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v0, g), lo), hi);
    v1 = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v1, g), lo), hi);
    __m256i p = _mm256_packs_epi32(_mm256_cvtps_epi32(v0), _mm256_cvtps_epi32(v1));
    _mm256_store_si256((__m256i *)out, _mm256_permute4x64_epi64(p, _MM_SHUFFLE(3, 1, 2, 0)));
}

/* Lane j of v in every lane. */
static inline __m256 lane(__m256 v, int j)
{
    return _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(j));
}

void scale_sat_s32_avx2(int16_t *out, const int32_t *in, float g0, float g1, int n)
{
    /* Eight blocks' gains at once in the reference's order, g0 + ((g1 - g0) * b) / nb, each
     * operation rounding like its scalar form (no FMA: this file is not built with -mfma, and
     * ISO C mode keeps contraction off); vpermps hands each block its lane (written out: GCC -O2
     * leaves a loop of eight that rebuilds the lane index every time). */
    const int nb = n / 16;
    const __m256 vg0 = _mm256_set1_ps(g0), vd = _mm256_sub_ps(_mm256_set1_ps(g1), vg0);
    const __m256 vnb = _mm256_set1_ps((float)nb), eight = _mm256_set1_ps(8.f);
    __m256 k = _mm256_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f); /* exact below 2^24 */
    int b = 0;
    for (; b + 8 <= nb; b += 8) {
        const __m256 g = _mm256_add_ps(vg0, _mm256_div_ps(_mm256_mul_ps(vd, k), vnb));
        k = _mm256_add_ps(k, eight);
        scale_block(out + b * 16, in + b * 16, lane(g, 0));
        scale_block(out + b * 16 + 16, in + b * 16 + 16, lane(g, 1));
        scale_block(out + b * 16 + 32, in + b * 16 + 32, lane(g, 2));
        scale_block(out + b * 16 + 48, in + b * 16 + 48, lane(g, 3));
        scale_block(out + b * 16 + 64, in + b * 16 + 64, lane(g, 4));
        scale_block(out + b * 16 + 80, in + b * 16 + 80, lane(g, 5));
        scale_block(out + b * 16 + 96, in + b * 16 + 96, lane(g, 6));
        scale_block(out + b * 16 + 112, in + b * 16 + 112, lane(g, 7));
    }
    if (b < nb) { /* one to seven blocks left */
        float gs[8];
        _mm256_storeu_ps(gs, _mm256_add_ps(vg0, _mm256_div_ps(_mm256_mul_ps(vd, k), vnb)));
        for (int j = 0; b + j < nb; j++)
            scale_block(out + (b + j) * 16, in + (b + j) * 16, _mm256_set1_ps(gs[j]));
    }
}

uint64_t energy_s16_avx2(const int16_t *in, int n)
{
    /* vpmaddwd gives x0^2 + x1^2 <= 2^31, which only (-32768, -32768) pushes past INT32_MAX:
     * read the lanes as unsigned and widen to 64 bits (even lanes masked, odd lanes shifted). */
    const __m256i lo32 = _mm256_set1_epi64x(0xffffffff);
    __m256i e0 = _mm256_setzero_si256(), e1 = e0;
    for (int i = 0; i < n; i += 16) {
        __m256i x = _mm256_load_si256((const __m256i *)(in + i));
        __m256i p = _mm256_madd_epi16(x, x);
        e0 = _mm256_add_epi64(e0, _mm256_and_si256(p, lo32));
        e1 = _mm256_add_epi64(e1, _mm256_srli_epi64(p, 32));
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi64(e0, e1));
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
