/* bench_scale: vscale (C reference, SSE2, best SIMD) against libswscale (SWS_BILINEAR and
 * SWS_FAST_BILINEAR) on the compositor's sizes, same I420 in and out, in one run. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/log.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

#include "cpu.h"
#include "vframe.h"
#include "vscale.h"

/* The sizes: same size, cells of a 720p canvas (3x3 and 4x4) from 360p, a 720p camera
 * in a 2x2 cell, and the two upscales of a speaker view; then 720p cameras in 3x3 and 4x4 cells,
 * which take the area filter (factors 3 and 4). */
static const int cases[][4] = {
    {640, 360, 640, 360}, {640, 360, 426, 240},  {640, 360, 320, 180},  {1280, 720, 640, 360},
    {320, 180, 640, 360}, {640, 360, 1280, 720}, {1280, 720, 426, 240}, {1280, 720, 320, 180},
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

enum backend { B_C, B_SSE2, B_BEST, B_SWS, B_SWS_FAST, NBACKENDS };
static const char *const backend_names[NBACKENDS] = {"ours C", "ours SSE2", "ours best",
                                                     "sws bilinear", "sws fast"};

struct config {
    int rounds, frames, quick;
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A camera-like picture: smooth shading, edges and some noise, so neither side is timed on
 * an input that a branch or a cache could make unusually cheap. */
static void fill_picture(struct vframe *f)
{
    uint32_t r = 1;
    for (int p = 0; p < 3; p++) {
        int w = p ? vframe_chroma_w(f->w) : f->w, h = p ? vframe_chroma_h(f->h) : f->h;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r = r * 1664525u + 1013904223u;
                int v = 16 + (x * 150 / w) + (y * 60 / h) + (int)(r >> 29);
                if (((x / 16) ^ (y / 16)) & 1)
                    v += 20;
                f->data[p][(ptrdiff_t)y * f->stride[p] + x] =
                    (uint8_t)(p ? 128 + (v - 128) / 2 : v);
            }
        }
    }
}

struct runner {
    enum backend b;
    struct vscaler *vs;
    struct SwsContext *sws;
    struct vframe out;
};

static int runner_init(struct runner *r, enum backend b, const int *c)
{
    memset(r, 0, sizeof(*r));
    r->b = b;
    int err = vframe_alloc(&r->out, c[2], c[3]);
    if (err)
        return err;
    vframe_fill(&r->out, 0, 0, 0);
    if (b == B_SWS || b == B_SWS_FAST) {
        r->sws = sws_getContext(c[0], c[1], AV_PIX_FMT_YUV420P, c[2], c[3], AV_PIX_FMT_YUV420P,
                                b == B_SWS ? SWS_BILINEAR : SWS_FAST_BILINEAR, NULL, NULL, NULL);
        return r->sws ? 0 : -ENOMEM;
    }
    unsigned flags = b == B_C ? 0 : b == B_SSE2 ? cpu_flags() & CPU_FLAG_SSE2 : cpu_flags();
    return vscaler_create(&r->vs, c[0], c[1], c[2], c[3], flags);
}

static void runner_run(struct runner *r, const struct vframe *src)
{
    if (r->sws) {
        const uint8_t *const sp[4] = {src->data[0], src->data[1], src->data[2], NULL};
        const int ss[4] = {src->stride[0], src->stride[1], src->stride[2], 0};
        uint8_t *const dp[4] = {r->out.data[0], r->out.data[1], r->out.data[2], NULL};
        const int ds[4] = {r->out.stride[0], r->out.stride[1], r->out.stride[2], 0};
        sws_scale(r->sws, sp, ss, 0, src->h, dp, ds);
    } else {
        vscaler_run(r->vs, src, r->out.data, r->out.stride);
    }
}

static void runner_free(struct runner *r)
{
    vscaler_destroy(&r->vs);
    sws_freeContext(r->sws);
    vframe_free(&r->out);
}

/* Mean |a - b| over all three planes, and whether the two are identical. */
static double mean_abs_diff(const struct vframe *a, const struct vframe *b, int *same)
{
    uint64_t sum = 0, n = 0;
    *same = 1;
    for (int p = 0; p < 3; p++) {
        int w = p ? vframe_chroma_w(a->w) : a->w, h = p ? vframe_chroma_h(a->h) : a->h;
        for (int y = 0; y < h; y++) {
            const uint8_t *ra = a->data[p] + (ptrdiff_t)y * a->stride[p];
            const uint8_t *rb = b->data[p] + (ptrdiff_t)y * b->stride[p];
            for (int x = 0; x < w; x++) {
                int d = ra[x] - rb[x];
                sum += (uint64_t)(d < 0 ? -d : d);
                *same &= d == 0;
                n++;
            }
        }
    }
    return (double)sum / (double)n;
}

/* One size: interleaved rounds (each round times every backend once, so a change of machine
 * speed hits all of them), median microseconds per frame. Returns 0 when the outputs are
 * sane: every level of ours identical to C, and close to swscale's bilinear. */
static int run_case(const struct config *cfg, const int *c)
{
    struct vframe src;
    struct runner r[NBACKENDS];
    double *t = malloc(sizeof(double) * NBACKENDS * (size_t)cfg->rounds);
    if (!t || vframe_alloc(&src, c[0], c[1])) {
        fprintf(stderr, "bench_scale: out of memory\n");
        exit(1);
    }
    fill_picture(&src);
    for (int b = 0; b < NBACKENDS; b++) {
        int err = runner_init(&r[b], (enum backend)b, c);
        if (err) {
            fprintf(stderr, "bench_scale: %s: %s\n", backend_names[b], strerror(-err));
            exit(1);
        }
        runner_run(&r[b], &src); /* warm-up: tables, caches, swscale's lazy set-up */
    }
    for (int round = 0; round < cfg->rounds; round++) {
        for (int b = 0; b < NBACKENDS; b++) {
            uint64_t t0 = now_ns();
            for (int k = 0; k < cfg->frames; k++)
                runner_run(&r[b], &src);
            t[b * cfg->rounds + round] = (double)(now_ns() - t0) / 1e3 / cfg->frames;
        }
    }
    double us[NBACKENDS];
    for (int b = 0; b < NBACKENDS; b++)
        us[b] = median(t + b * cfg->rounds, cfg->rounds);

    int same_sse2, same_best, same_sws;
    mean_abs_diff(&r[B_C].out, &r[B_SSE2].out, &same_sse2);
    mean_abs_diff(&r[B_C].out, &r[B_BEST].out, &same_best);
    double vs_sws = mean_abs_diff(&r[B_BEST].out, &r[B_SWS].out, &same_sws);
    char name[32];
    snprintf(name, sizeof(name), "%dx%d->%dx%d", c[0], c[1], c[2], c[3]);
    /* Within 5 % is a tie: the rounds of one run spread about that much on a shared machine. */
    int fast = us[B_SWS_FAST] < us[B_SWS];
    double sws_best = fast ? us[B_SWS_FAST] : us[B_SWS];
    const char *verdict = us[B_BEST] < 0.95 * sws_best    ? "ours"
                          : us[B_BEST] <= 1.05 * sws_best ? "tie"
                          : fast                          ? "sws-fast"
                                                          : "sws-bil";
    printf("%-20s %8.1f %8.1f %8.1f %9.1f %9.1f   %5.2fx %5.2fx   %5.2fx %5.2fx   %4.2f  %s\n",
           name, us[B_C], us[B_SSE2], us[B_BEST], us[B_SWS], us[B_SWS_FAST], us[B_SWS] / us[B_BEST],
           us[B_SWS_FAST] / us[B_BEST], us[B_SWS] / us[B_C], us[B_SWS_FAST] / us[B_C], vs_sws,
           verdict);
    int ok = same_sse2 && same_best;
    if (!ok)
        fprintf(stderr, "bench_scale: %s: SIMD output differs from the C reference\n", name);
    /* Both are bilinear-ish filters of the same picture; past 2x ours averages the area and
     * swscale widens its tent, so they differ a little, but never by much on average. */
    if (vs_sws > 6.0) {
        fprintf(stderr, "bench_scale: %s: output far from swscale's (mean |diff| %.2f)\n", name,
                vs_sws);
        ok = 0;
    }
    for (int b = 0; b < NBACKENDS; b++)
        runner_free(&r[b]);
    vframe_free(&src);
    free(t);
    return ok ? 0 : 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_scale [--quick] [--rounds N] [--frames N]\n"
               "  --quick      3 rounds of 2 frames: a smoke test (checks outputs, not speed)\n"
               "  --rounds N   timed rounds per size (default 21); the median is printed\n"
               "  --frames N   frames per backend per round (default 20)\n");
}

int main(int argc, char **argv)
{
    struct config cfg = {.rounds = 21, .frames = 20};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            cfg.quick = 1;
            cfg.rounds = 3;
            cfg.frames = 2;
        } else if (v && !strcmp(a, "--rounds") && atoi(v) > 0) {
            cfg.rounds = atoi(argv[++i]);
        } else if (v && !strcmp(a, "--frames") && atoi(v) > 0) {
            cfg.frames = atoi(argv[++i]);
        } else {
            usage(a && !strcmp(a, "--help") ? stdout : stderr);
            return a && !strcmp(a, "--help") ? 0 : 2;
        }
    }
    av_log_set_level(AV_LOG_ERROR);
    printf("bench_scale: I420, median us per frame over %d rounds of %d frames; cpu flags 0x%x; "
           "swscale %u.%u.%u\n",
           cfg.rounds, cfg.frames, cpu_flags(), LIBSWSCALE_VERSION_MAJOR, LIBSWSCALE_VERSION_MINOR,
           LIBSWSCALE_VERSION_MICRO);
    printf("  ratios are swscale time / ours (> 1: ours faster); |diff| is the mean absolute "
           "difference from sws bilinear\n");
    printf("%-20s %8s %8s %8s %9s %9s   %-13s   %-13s   %5s  %s\n", "size", "C", "SSE2", "best",
           "sws-bil", "sws-fast", "sws/best", "sws/C", "|diff|", "faster (best vs both)");
    int bad = 0;
    for (int i = 0; i < NCASES; i++)
        bad |= run_case(&cfg, cases[i]);
    return bad;
}
