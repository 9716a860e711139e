/* checkasm tests for video_dsp: every scaling kernel against its C reference, bit-exact, at every
 * row length from 1 up past two vectors and at picture widths, from misaligned rows that end
 * right at a canary (so a read past what the contract allows shows under ASan, and a write past
 * n shows in the canary check). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "checkasm.h"
#include "video_dsp.h"

#define NELEMS(a) (int)(sizeof(a) / sizeof((a)[0]))

/* Every length through 70 (tails of 16- and 32-pixel vectors, groups of 4, 8 and 16), then
 * chroma and luma widths of common cells and cameras, odd ones included. */
static const int long_sizes[] = {95, 127, 160, 213, 320, 321, 426, 640, 641, 1280, 1920};
#define SHORT_MAX 70

static int size_at(int s)
{
    return s < SHORT_MAX ? s + 1 : long_sizes[s - SHORT_MAX];
}
#define NSIZES (SHORT_MAX + NELEMS(long_sizes))

enum { PX_RANDOM, PX_WHITE, PX_BLACK, PX_EXTREMES, PX_NFILLS };
static const char *const px_names[] = {"random", "255", "0", "0/255"};

static void fill_px(uint8_t *p, int n, int fill)
{
    for (int i = 0; i < n; i++) {
        uint32_t r = checkasm_rand();
        p[i] = fill == PX_RANDOM  ? (uint8_t)r
               : fill == PX_WHITE ? 255
               : fill == PX_BLACK ? 0
                                  : (uint8_t)(r & 1 ? 255 : 0);
    }
}

/* A buffer of n bytes that starts `mis` bytes past a 32-byte boundary and ends at the canary. */
struct buf {
    uint8_t *mem, *p;
    size_t n;
};

static struct buf buf_get(size_t n)
{
    size_t mis = checkasm_rand() % 32;
    struct buf b = {checkasm_alloc(mis + n), NULL, n};
    b.p = b.mem + mis;
    return b;
}

/* Output pair: both poisoned with different bytes, canaries right after n. */
static void out_prepare(struct buf *ref, struct buf *out)
{
    memset(ref->p, 0x55, ref->n);
    memset(out->p, 0xaa, out->n);
    checkasm_canary_set(ref->p, ref->n);
    checkasm_canary_set(out->p, out->n);
}

static void out_check(const struct buf *ref, const struct buf *out, const char *what)
{
    for (size_t i = 0; i < ref->n; i++) {
        if (ref->p[i] != out->p[i]) {
            fail("%s n=%zu: [%zu] c %u, simd %u", what, ref->n, i, ref->p[i], out->p[i]);
            break;
        }
    }
    if (!checkasm_canary_ok(ref->p, ref->n))
        fail("%s n=%zu: the C reference wrote past n", what, ref->n);
    if (!checkasm_canary_ok(out->p, out->n))
        fail("%s n=%zu: wrote past n", what, out->n);
}

/* hlerp's weight pair for one output: >= 0 and summing to 256 (so a flat row keeps its value)
 * or, every third draw, to less. */
static void rand_pair(int16_t *w)
{
    int total = checkasm_rand() % 3 ? 256 : (int)(checkasm_rand() % 257);
    w[0] = (int16_t)(checkasm_rand() % (unsigned)(total + 1));
    w[1] = (int16_t)(total - w[0]);
}

static void check_vlerp(const struct video_dsp *dsp)
{
    declare_func(void, uint8_t *dst, const uint8_t *a, const uint8_t *b, int f_q8, int n);
    if (!check_func(dsp->vlerp, "vlerp"))
        return;
    static const int fracs[] = {0, 1, 64, 128, 255, 256, -1};
    for (int s = 0; s < NSIZES; s++) {
        const int n = size_at(s);
        struct buf a = buf_get((size_t)n), b = buf_get((size_t)n);
        struct buf ref = buf_get((size_t)n), out = buf_get((size_t)n);
        for (int fill = 0; fill < PX_NFILLS; fill++) {
            for (int fi = 0; fi < NELEMS(fracs); fi++) {
                int f = fracs[fi] < 0 ? (int)(checkasm_rand() % 257) : fracs[fi];
                fill_px(a.p, n, fill);
                fill_px(b.p, n, fill == PX_EXTREMES ? PX_EXTREMES : PX_RANDOM);
                out_prepare(&ref, &out);
                call_ref(ref.p, a.p, b.p, f, n);
                call_new(out.p, a.p, b.p, f, n);
                char what[48];
                snprintf(what, sizeof(what), "a=%s f=%d", px_names[fill], f);
                out_check(&ref, &out, what);
            }
        }
        checkasm_free(a.mem);
        checkasm_free(b.mem);
        checkasm_free(ref.mem);
        checkasm_free(out.mem);
    }
    if (checkasm_bench_wanted()) {
        /* A 720p row at a general weight (77/256: an upscale's blend); f = 128, every row of a
         * 2:1 reduction, takes the pavgb path and costs less. */
        enum { N = 1280 };
        struct buf a = buf_get(N), b = buf_get(N), o = buf_get(N);
        fill_px(a.p, N, PX_RANDOM);
        fill_px(b.p, N, PX_RANDOM);
        bench_new(N, o.p, a.p, b.p, 77, N);
        checkasm_free(a.mem);
        checkasm_free(b.mem);
        checkasm_free(o.mem);
    }
    report("vlerp");
}

/* Random hlerp tables within the contract: any window start per group (not even increasing),
 * any offset 0..14 per output. The source ends right after the last window's 16 bytes. */
struct hlerp_tab {
    int32_t *base;
    uint8_t *off;
    int16_t *w;
    int src_n;
};

static struct hlerp_tab hlerp_tab_rand(int n, int src_span)
{
    int groups = (n + VIDEO_HLERP_GROUP - 1) / VIDEO_HLERP_GROUP;
    struct hlerp_tab t = {checkasm_alloc((size_t)groups * sizeof(int32_t)),
                          checkasm_alloc((size_t)n), checkasm_alloc((size_t)n * 4), 0};
    for (int g = 0; g < groups; g++) {
        t.base[g] = (int32_t)(checkasm_rand() % (unsigned)src_span);
        if (t.base[g] + VIDEO_HLERP_WINDOW > t.src_n)
            t.src_n = t.base[g] + VIDEO_HLERP_WINDOW;
    }
    for (int i = 0; i < n; i++) {
        t.off[i] = (uint8_t)(checkasm_rand() % (VIDEO_HLERP_WINDOW - 1));
        uint32_t r = checkasm_rand() % 8;
        if (r == 0) { /* the edge pairs lerp_tables makes */
            t.w[2 * i] = 256;
            t.w[2 * i + 1] = 0;
        } else if (r == 1) {
            t.w[2 * i] = 0;
            t.w[2 * i + 1] = 256;
        } else {
            rand_pair(t.w + 2 * i);
        }
    }
    return t;
}

static void hlerp_tab_free(struct hlerp_tab *t)
{
    checkasm_free(t->base);
    checkasm_free(t->off);
    checkasm_free(t->w);
}

static void check_hlerp(const struct video_dsp *dsp)
{
    declare_func(void, uint8_t *dst, const uint8_t *src, const int32_t *base, const uint8_t *off,
                 const int16_t *w_q8, int n);
    if (!check_func(dsp->hlerp, "hlerp"))
        return;
    for (int s = 0; s < NSIZES; s++) {
        const int n = size_at(s);
        struct buf ref = buf_get((size_t)n), out = buf_get((size_t)n);
        for (int fill = 0; fill < PX_NFILLS; fill++) {
            struct hlerp_tab t = hlerp_tab_rand(n, 2 * n + 1);
            struct buf src = buf_get((size_t)t.src_n);
            fill_px(src.p, t.src_n, fill);
            out_prepare(&ref, &out);
            call_ref(ref.p, src.p, t.base, t.off, t.w, n);
            call_new(out.p, src.p, t.base, t.off, t.w, n);
            out_check(&ref, &out, px_names[fill]);
            checkasm_free(src.mem);
            hlerp_tab_free(&t);
        }
        checkasm_free(ref.mem);
        checkasm_free(out.mem);
    }
    if (checkasm_bench_wanted()) {
        /* 640 -> 426 (a 360p row into a 3x3 cell of 720p): 8 outputs advance 12 pixels. */
        enum { N = 426, SRC = 640 };
        struct hlerp_tab t = hlerp_tab_rand(N, SRC);
        for (int g = 0; g < (N + 7) / VIDEO_HLERP_GROUP; g++)
            t.base[g] = 12 * g;
        for (int i = 0; i < N; i++)
            t.off[i] = (uint8_t)(i % VIDEO_HLERP_GROUP * 3 / 2);
        struct buf src = buf_get(SRC + VIDEO_HLERP_WINDOW), o = buf_get(N);
        fill_px(src.p, SRC + VIDEO_HLERP_WINDOW, PX_RANDOM);
        bench_new(N, o.p, src.p, t.base, t.off, t.w, N);
        checkasm_free(src.mem);
        checkasm_free(o.mem);
        hlerp_tab_free(&t);
    }
    report("hlerp");
}

static void check_hdown2(const struct video_dsp *dsp)
{
    declare_func(void, uint8_t *dst, const uint8_t *src, int n);
    if (!check_func(dsp->hdown2, "hdown2"))
        return;
    for (int s = 0; s < NSIZES; s++) {
        const int n = size_at(s);
        struct buf src = buf_get((size_t)2 * (size_t)n);
        struct buf ref = buf_get((size_t)n), out = buf_get((size_t)n);
        for (int fill = 0; fill < PX_NFILLS; fill++) {
            fill_px(src.p, 2 * n, fill);
            out_prepare(&ref, &out);
            call_ref(ref.p, src.p, n);
            call_new(out.p, src.p, n);
            out_check(&ref, &out, px_names[fill]);
        }
        checkasm_free(src.mem);
        checkasm_free(ref.mem);
        checkasm_free(out.mem);
    }
    if (checkasm_bench_wanted()) {
        enum { N = 640 }; /* 1280 -> 640: a 720p row into a 2x2 cell */
        struct buf src = buf_get(2 * N), o = buf_get(N);
        fill_px(src.p, 2 * N, PX_RANDOM);
        bench_new(N, o.p, src.p, N);
        checkasm_free(src.mem);
        checkasm_free(o.mem);
    }
    report("hdown2");
}

void checkasm_check_video_dsp(void)
{
    struct video_dsp dsp;
    video_dsp_init(&dsp, checkasm_cpu_flags());
    check_vlerp(&dsp);
    check_hlerp(&dsp);
    check_hdown2(&dsp);
}
