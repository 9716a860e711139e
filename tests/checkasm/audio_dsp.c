/* checkasm tests for audio_dsp: every kernel against its C reference, bit-exact, at every frame
 * size, on random input and on the extremes where SIMD shortcuts break. */
#include <stdint.h>
#include <string.h>

#include "audio_dsp.h"
#include "checkasm.h"

/* 10/20/40/60 ms at 8/16/48 kHz (80..2880 samples), plus 16 (the smallest n the contract allows)
 * and 48: n is only a multiple of 16, so loops that take 32 at a time must handle the rest. */
static const int sizes[] = {16, 48, 80, 160, 320, 480, 640, 960, 1920, 2880};
#define NSIZES    (int)(sizeof(sizes) / sizeof(sizes[0]))
#define BENCH_N   960 /* 20 ms at 48 kHz: the mixer's tick */
#define NELEMS(a) (int)(sizeof(a) / sizeof((a)[0]))

/* int16 inputs: -32768 is where pmaddwd pairs overflow, 32767 * 32767 the largest product. */
enum { S16_RANDOM, S16_MAX, S16_MIN, S16_MIN1, S16_ZERO, S16_EXTREMES, S16_NFILLS };
static const char *const s16_names[] = {"random", "32767", "-32768", "-32767", "zero", "extremes"};

static void fill_s16(int16_t *p, int n, int fill)
{
    static const int16_t ext[] = {-32768, -32767, -1, 0, 1, 32767};
    for (int i = 0; i < n; i++) {
        uint32_t r = checkasm_rand();
        switch (fill) {
        case S16_RANDOM:
            p[i] = (int16_t)((int32_t)(r >> 16) - 32768);
            break;
        case S16_MAX:
            p[i] = 32767;
            break;
        case S16_MIN:
            p[i] = -32768;
            break;
        case S16_MIN1:
            p[i] = -32767;
            break;
        case S16_ZERO:
            p[i] = 0;
            break;
        default:
            p[i] = ext[r % NELEMS(ext)];
            break;
        }
    }
}

/* Mix-bus values: |x| <= 2^30 leaves room for any scaled sample without int32 overflow. */
static void fill_bus(int32_t *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (int32_t)(checkasm_rand() >> 1) - (1 << 30);
}

static int diff_s32(const int32_t *a, const int32_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return i;
    return -1;
}

/* Q14 gains: 0, the smallest, 0.5, unity, just above unity, the largest, and a random one. */
static const int gains[] = {0, 1, 8192, 16384, 16385, 32767, -1};

static int pick_gain(int g)
{
    return gains[g] < 0 ? (int)(checkasm_rand() % 32768) : gains[g];
}

/* Output buffers come in pairs (C, SIMD) with canaries after n elements. */
static void check_out(const void *ref, const void *out, size_t bytes, int n)
{
    if (!checkasm_canary_ok(ref, bytes) || !checkasm_canary_ok(out, bytes))
        fail("n=%d: wrote past the end of the output", n);
}

static void check_accumulate(const struct audio_dsp *dsp)
{
    declare_func(void, int32_t *acc, const int16_t *in, int gain_q14, int n);
    if (!check_func(dsp->accumulate_s16, "accumulate_s16"))
        return;
    for (int s = 0; s < NSIZES; s++) {
        const int n = sizes[s];
        const size_t bytes = (size_t)n * sizeof(int32_t);
        int16_t *in = checkasm_alloc((size_t)n * sizeof(*in));
        int32_t *bus = checkasm_alloc(bytes), *ref = checkasm_alloc(bytes);
        int32_t *out = checkasm_alloc(bytes);
        for (int f = 0; f < S16_NFILLS; f++) {
            for (int g = 0; g < NELEMS(gains); g++) {
                const int gain = pick_gain(g);
                fill_s16(in, n, f);
                fill_bus(bus, n);
                memcpy(ref, bus, bytes);
                memcpy(out, bus, bytes);
                checkasm_canary_set(ref, bytes);
                checkasm_canary_set(out, bytes);
                call_ref(ref, in, gain, n);
                call_new(out, in, gain, n);
                int d = diff_s32(ref, out, n);
                if (d >= 0)
                    fail("n=%d in=%s gain=%d: [%d] in %d acc %d: c %d, simd %d", n, s16_names[f],
                         gain, d, in[d], bus[d], ref[d], out[d]);
                check_out(ref, out, bytes, n);
            }
        }
        checkasm_free(in);
        checkasm_free(bus);
        checkasm_free(ref);
        checkasm_free(out);
    }
    if (checkasm_bench_wanted()) {
        int16_t *in = checkasm_alloc(BENCH_N * sizeof(*in));
        int32_t *acc = checkasm_alloc(BENCH_N * sizeof(*acc)); /* zeroed */
        fill_s16(in, BENCH_N, S16_RANDOM);
        /* Every call adds into acc: (1 + ROUNDS) * 2 * CALLS unity-gain calls of |x| <= 32768
         * stay far below 2^31. */
        bench_new(BENCH_N, acc, in, 16384, BENCH_N);
        checkasm_free(in);
        checkasm_free(acc);
    }
    report("accumulate_s16");
}

static void check_sub(const struct audio_dsp *dsp)
{
    declare_func(void, int32_t *out, const int32_t *total, const int16_t *self, int gain_q14,
                 int n);
    if (!check_func(dsp->sub_s16, "sub_s16"))
        return;
    for (int s = 0; s < NSIZES; s++) {
        const int n = sizes[s];
        const size_t bytes = (size_t)n * sizeof(int32_t);
        int16_t *self = checkasm_alloc((size_t)n * sizeof(*self));
        int32_t *total = checkasm_alloc(bytes), *ref = checkasm_alloc(bytes);
        int32_t *out = checkasm_alloc(bytes);
        for (int f = 0; f < S16_NFILLS; f++) {
            for (int g = 0; g < NELEMS(gains); g++) {
                const int gain = pick_gain(g);
                fill_s16(self, n, f);
                fill_bus(total, n);
                memset(ref, 0x55, bytes);
                memset(out, 0xaa, bytes);
                checkasm_canary_set(ref, bytes);
                checkasm_canary_set(out, bytes);
                call_ref(ref, total, self, gain, n);
                call_new(out, total, self, gain, n);
                int d = diff_s32(ref, out, n);
                if (d >= 0)
                    fail("n=%d self=%s gain=%d: [%d] self %d total %d: c %d, simd %d", n,
                         s16_names[f], gain, d, self[d], total[d], ref[d], out[d]);
                check_out(ref, out, bytes, n);
            }
        }
        checkasm_free(self);
        checkasm_free(total);
        checkasm_free(ref);
        checkasm_free(out);
    }
    if (checkasm_bench_wanted()) {
        int16_t *self = checkasm_alloc(BENCH_N * sizeof(*self));
        int32_t *total = checkasm_alloc(BENCH_N * sizeof(*total));
        int32_t *out = checkasm_alloc(BENCH_N * sizeof(*out));
        fill_s16(self, BENCH_N, S16_RANDOM);
        fill_bus(total, BENCH_N);
        bench_new(BENCH_N, out, total, self, 16384, BENCH_N);
        checkasm_free(self);
        checkasm_free(total);
        checkasm_free(out);
    }
    report("sub_s16");
}

/* int32 inputs for peak: INT32_MIN has no int32 absolute value. */
enum {
    S32_RANDOM,
    S32_MIN,
    S32_MIN1,
    S32_MAX,
    S32_ZERO,
    S32_EXTREMES,
    S32_SMALL, /* |x| <= 2^24, the limiter's range */
    S32_BUS,   /* |x| <= 2^18: three talkers at gain 2.0 reach 3 * 65534 */
    S32_NFILLS
};
static const char *const s32_names[] = {"random", "INT32_MIN", "INT32_MIN+1", "INT32_MAX",
                                        "zero",   "extremes",  "small",       "bus"};

static void fill_s32(int32_t *p, int n, int fill)
{
    static const int32_t ext[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX};
    for (int i = 0; i < n; i++) {
        uint32_t r = checkasm_rand();
        switch (fill) {
        case S32_RANDOM:
            p[i] = (int32_t)r;
            break;
        case S32_MIN:
            p[i] = INT32_MIN;
            break;
        case S32_MIN1:
            p[i] = INT32_MIN + 1;
            break;
        case S32_MAX:
            p[i] = INT32_MAX;
            break;
        case S32_ZERO:
            p[i] = 0;
            break;
        case S32_EXTREMES:
            p[i] = ext[r % NELEMS(ext)];
            break;
        case S32_SMALL:
            p[i] = (int32_t)(r % ((1u << 25) + 1)) - (1 << 24);
            break;
        default:
            p[i] = (int32_t)(r >> 13) - (1 << 18);
            break;
        }
    }
}

static void check_peak(const struct audio_dsp *dsp)
{
    declare_func(uint32_t, const int32_t *in, int n);
    if (!check_func(dsp->peak_s32, "peak_s32"))
        return;
    /* Around 2^24 too, where int32 -> float stops being exact. */
    static const int32_t spikes[] = {INT32_MIN,     INT32_MIN + 1, INT32_MAX,      -2,        1,
                                     (1 << 24) + 1, (1 << 24) - 1, -(1 << 24) - 1, -(1 << 24)};
    for (int s = 0; s < NSIZES; s++) {
        const int n = sizes[s];
        int32_t *in = checkasm_alloc((size_t)n * sizeof(*in));
        for (int f = 0; f < S32_NFILLS; f++) {
            fill_s32(in, n, f);
            uint32_t r = call_ref(in, n), o = call_new(in, n);
            if (r != o)
                fail("n=%d in=%s: c %u, simd %u", n, s32_names[f], r, o);
        }
        /* One peak on a small background, in every lane and every unrolled accumulator for the
         * short sizes, at the ends and at random places for the long ones. */
        for (int k = 0; k < NELEMS(spikes); k++) {
            const int npos = n <= 80 ? n : 6;
            for (int p = 0; p < npos; p++) {
                int pos = n <= 80 ? p : p == 0 ? 0 : p == 1 ? n - 1 : (int)(checkasm_rand() % n);
                for (int i = 0; i < n; i++)
                    in[i] = (int32_t)(checkasm_rand() % 3) - 1;
                in[pos] = spikes[k];
                uint32_t r = call_ref(in, n), o = call_new(in, n);
                if (r != o)
                    fail("n=%d spike %d at [%d]: c %u, simd %u", n, spikes[k], pos, r, o);
            }
        }
        checkasm_free(in);
    }
    if (checkasm_bench_wanted()) {
        int32_t *in = checkasm_alloc(BENCH_N * sizeof(*in));
        /* Mix-bus levels, as the limiter sees them (see peak_s32_sse2 for why it matters). */
        fill_s32(in, BENCH_N, S32_BUS);
        bench_new(BENCH_N, in, BENCH_N);
        checkasm_free(in);
    }
    report("peak_s32");
}

/* Limiter inputs, all with |x| < 2^24 (the contract): the ends of that range, values around the
 * int16 clamp, and odd values that gain 0.5 puts exactly halfway (round to even). */
enum { L_RANDOM, L_MAX, L_MIN, L_ZERO, L_NEAR_CLIP, L_HALVES, L_EXTREMES, L_NFILLS };
static const char *const l_names[] = {"random",    "2^24-1", "-(2^24-1)", "zero",
                                      "near-clip", "halves", "extremes"};

static void fill_lim(int32_t *p, int n, int fill)
{
    static const int32_t ext[] = {(1 << 24) - 1, -(1 << 24) + 1, 65536, -65536, 65535, -65535,
                                  32768,         -32768,         32767, -32767, 0};
    for (int i = 0; i < n; i++) {
        uint32_t r = checkasm_rand();
        switch (fill) {
        case L_RANDOM:
            p[i] = (int32_t)(r % ((1u << 25) - 1)) - ((1 << 24) - 1);
            break;
        case L_MAX:
            p[i] = (1 << 24) - 1;
            break;
        case L_MIN:
            p[i] = -(1 << 24) + 1;
            break;
        case L_ZERO:
            p[i] = 0;
            break;
        case L_NEAR_CLIP:
            p[i] = (int32_t)(r % 80001) - 40000;
            break;
        case L_HALVES:
            p[i] = ((int32_t)(r % 131072) - 65536) | 1;
            break;
        default:
            p[i] = ext[r % NELEMS(ext)];
            break;
        }
    }
}

static float rand_unit(void)
{
    return (float)(checkasm_rand() >> 8) / 16777216.f; /* [0, 1), exact in float */
}

static void check_scale_sat(const struct audio_dsp *dsp)
{
    declare_func(void, int16_t *out, const int32_t *in, float g0, float g1, int n);
    if (!check_func(dsp->scale_sat_s32, "scale_sat_s32"))
        return;
    /* Fixed ramps (none, full up and down, halves) and two random ones (-1: draw). */
    static const float ramps[][2] = {{1.f, 1.f}, {0.f, 0.f}, {1.f, 0.f}, {0.f, 1.f},
                                     {.5f, .5f}, {.5f, 1.f}, {1.f, .5f}, {.999999f, .1f},
                                     {-1, -1},   {-1, -1}};
    for (int s = 0; s < NSIZES; s++) {
        const int n = sizes[s];
        const size_t bytes = (size_t)n * sizeof(int16_t);
        int32_t *in = checkasm_alloc((size_t)n * sizeof(*in));
        int16_t *ref = checkasm_alloc(bytes), *out = checkasm_alloc(bytes);
        for (int f = 0; f < L_NFILLS; f++) {
            for (int g = 0; g < NELEMS(ramps); g++) {
                float g0 = ramps[g][0] < 0 ? rand_unit() : ramps[g][0];
                float g1 = ramps[g][1] < 0 ? rand_unit() : ramps[g][1];
                fill_lim(in, n, f);
                memset(ref, 0x55, bytes);
                memset(out, 0xaa, bytes);
                checkasm_canary_set(ref, bytes);
                checkasm_canary_set(out, bytes);
                call_ref(ref, in, g0, g1, n);
                call_new(out, in, g0, g1, n);
                for (int i = 0; i < n; i++) {
                    if (ref[i] != out[i]) {
                        fail("n=%d in=%s g0=%.9g g1=%.9g: [%d] in %d: c %d, simd %d", n, l_names[f],
                             g0, g1, i, in[i], ref[i], out[i]);
                        break;
                    }
                }
                check_out(ref, out, bytes, n);
            }
        }
        checkasm_free(in);
        checkasm_free(ref);
        checkasm_free(out);
    }
    if (checkasm_bench_wanted()) {
        int32_t *in = checkasm_alloc(BENCH_N * sizeof(*in));
        int16_t *out = checkasm_alloc(BENCH_N * sizeof(*out));
        fill_lim(in, BENCH_N, L_NEAR_CLIP); /* a loud mix: some samples clip */
        bench_new(BENCH_N, out, in, 0.9f, 0.6f, BENCH_N);
        checkasm_free(in);
        checkasm_free(out);
    }
    report("scale_sat_s32");
}

static void check_energy(const struct audio_dsp *dsp)
{
    declare_func(uint64_t, const int16_t *in, int n);
    if (!check_func(dsp->energy_s16, "energy_s16"))
        return;
    for (int s = 0; s < NSIZES; s++) {
        const int n = sizes[s];
        int16_t *in = checkasm_alloc((size_t)n * sizeof(*in));
        for (int f = 0; f < S16_NFILLS; f++) {
            fill_s16(in, n, f);
            uint64_t r = call_ref(in, n), o = call_new(in, n);
            if (r != o)
                fail("n=%d in=%s: c %llu, simd %llu", n, s16_names[f], (unsigned long long)r,
                     (unsigned long long)o);
        }
        checkasm_free(in);
    }
    if (checkasm_bench_wanted()) {
        int16_t *in = checkasm_alloc(BENCH_N * sizeof(*in));
        fill_s16(in, BENCH_N, S16_RANDOM);
        bench_new(BENCH_N, in, BENCH_N);
        checkasm_free(in);
    }
    report("energy_s16");
}

void checkasm_check_audio_dsp(void)
{
    struct audio_dsp dsp;
    audio_dsp_init(&dsp, checkasm_cpu_flags());
    check_accumulate(&dsp);
    check_sub(&dsp);
    check_peak(&dsp);
    check_scale_sat(&dsp);
    check_energy(&dsp);
}
