/* bench_codec: per-frame CPU cost of the audio codec and SpeexDSP wrappers, in µs per 20 ms. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acodec.h"
#include "preproc.h"

#define RATE_48K     48000
#define RATE_8K      8000
#define FRAME_48K    960
#define FRAME_8K     160
#define SIGNAL_SEC   10                                  /* the test signal loops after this long */
#define SIGNAL_48K   (SIGNAL_SEC * RATE_48K / FRAME_48K) /* frames in the loop */
#define MAX_PKT      1500
#define ROUNDS       3    /* every operation runs once per round, interleaved with the others */
#define WARM         50   /* frames per round run before the meter starts */
#define DEFAULT_RUNS 3000 /* timed frames per operation, split over the rounds */

/* The input: voiced "speech" at 48 kHz and 8 kHz, made before any timing. A gliding fundamental
 * (100-200 Hz) with harmonics falling as 1/k up to 7 kHz (3.6 kHz at 8 kHz), cut into 4 Hz
 * syllables, a half-second pause every 3 s, and noise 50 dB down throughout. Codec cost
 * depends on the signal: a sine or silence would flatter Opus. */
static int16_t sig48[SIGNAL_48K][FRAME_48K];
static int16_t sig8[SIGNAL_48K][FRAME_8K];

static double speech_at(long n, double rate, double top_hz, uint32_t *seed)
{
    double t = (double)n / rate;
    /* phase of f0(t) = 150 + 50 sin(2 pi 0.7 t), integrated */
    double phase = 2 * M_PI * 150 * t - 50 / 0.7 * cos(2 * M_PI * 0.7 * t);
    double f0 = 150 + 50 * sin(2 * M_PI * 0.7 * t), v = 0;
    for (int k = 1; k * f0 < top_hz; k++)
        v += sin(k * phase) / k;
    double syl = sin(2 * M_PI * 4 * t);
    double env = syl > 0 ? sqrt(syl) : 0;
    if (fmod(t, 3.0) > 2.5)
        env = 0;
    *seed = *seed * 1664525u + 1013904223u; /* LCG: reproducible noise */
    double noise = ((double)(*seed >> 8) / (1 << 24) - 0.5) * 2;
    return 6000 * env * v + 30 * noise;
}

static void make_signal(void)
{
    uint32_t s48 = 1, s8 = 2;
    for (int f = 0; f < SIGNAL_48K; f++) {
        for (int i = 0; i < FRAME_48K; i++)
            sig48[f][i] = (int16_t)lrint(speech_at((long)f * FRAME_48K + i, RATE_48K, 7000, &s48));
        for (int i = 0; i < FRAME_8K; i++)
            sig8[f][i] = (int16_t)lrint(speech_at((long)f * FRAME_8K + i, RATE_8K, 3600, &s8));
    }
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t); /* vDSO: ~20 ns, against ~700 for the CPU-time clock */
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_codec: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

/* The objects the operations work on, one set per operation so no state is shared. */
struct ctx {
    struct aenc *enc;
    struct adec *dec;
    struct resampler *rs;
    struct preproc *pp;
    uint8_t (*pkts)[MAX_PKT]; /* the signal pre-encoded, for decoders */
    int *lens;
    uint8_t pkt[MAX_PKT];
    int16_t pcm[FRAME_48K];
};

/* One operation: `step` runs frame f, timing only the operation itself; returns ns. */
struct op {
    const char *name;
    int64_t (*step)(struct ctx *c, int f);
    int (*setup)(struct ctx *c, const void *arg);
    const void *arg;
    struct ctx c;
    int64_t *ns; /* every timed frame */
    size_t n;
    double round_median[ROUNDS];
};

static int check(int ret, const char *what)
{
    if (ret < 0)
        die(what, ret);
    return ret;
}

static int64_t step_encode(struct ctx *c, int f)
{
    const int16_t *in = aenc_codec(c->enc)->pcm_rate == RATE_8K ? sig8[f] : sig48[f];
    int samples = aenc_codec(c->enc)->pcm_rate == RATE_8K ? FRAME_8K : FRAME_48K;
    int64_t t0 = now_ns();
    int n = aenc_encode(c->enc, in, samples, c->pkt, sizeof(c->pkt));
    int64_t t1 = now_ns();
    check(n, "encode");
    return t1 - t0;
}

static int64_t step_decode(struct ctx *c, int f)
{
    int cap = aenc_codec(c->enc)->pcm_rate == RATE_8K ? FRAME_8K : FRAME_48K;
    int64_t t0 = now_ns();
    int n = adec_decode(c->dec, c->pkts[f], (size_t)c->lens[f], c->pcm, cap, 0);
    int64_t t1 = now_ns();
    check(n, "decode");
    return t1 - t0;
}

/* A loss every other frame: decode frame f untimed, then conceal the next one, timed. A long
 * run of PLC would fade to silence and measure the cheap end of concealment. */
static int64_t step_plc(struct ctx *c, int f)
{
    int cap = aenc_codec(c->enc)->pcm_rate == RATE_8K ? FRAME_8K : FRAME_48K;
    check(adec_decode(c->dec, c->pkts[f], (size_t)c->lens[f], c->pcm, cap, 0), "decode");
    int64_t t0 = now_ns();
    int n = adec_plc(c->dec, c->pcm, cap);
    int64_t t1 = now_ns();
    check(n, "plc");
    return t1 - t0;
}

static int64_t step_up(struct ctx *c, int f)
{
    int64_t t0 = now_ns();
    int n = resampler_process(c->rs, sig8[f], FRAME_8K, c->pcm, FRAME_48K);
    int64_t t1 = now_ns();
    if (check(n, "resample") != FRAME_48K)
        die("resample 8k->48k: short frame", -EIO);
    return t1 - t0;
}

static int64_t step_down(struct ctx *c, int f)
{
    int64_t t0 = now_ns();
    int n = resampler_process(c->rs, sig48[f], FRAME_48K, c->pcm, FRAME_8K);
    int64_t t1 = now_ns();
    if (check(n, "resample") != FRAME_8K)
        die("resample 48k->8k: short frame", -EIO);
    return t1 - t0;
}

static int64_t step_preproc(struct ctx *c, int f)
{
    memcpy(c->pcm, sig48[f], sizeof(c->pcm));
    int64_t t0 = now_ns();
    int ret = preproc_run(c->pp, c->pcm);
    int64_t t1 = now_ns();
    check(ret, "preprocess");
    return t1 - t0;
}

/* Setup arguments. */
struct enc_arg {
    const struct acodec *codec;
    int complexity;
};

static int setup_encoder(struct ctx *c, const void *arg)
{
    const struct enc_arg *a = arg;
    const struct acodec_enc_params p = {.complexity = a->complexity};
    return aenc_create(&c->enc, a->codec, &p);
}

/* Decoders get the signal encoded once, at the default settings. */
static int setup_decoder(struct ctx *c, const void *arg)
{
    const struct acodec *codec = arg;
    int err = aenc_create(&c->enc, codec, NULL);
    if (err < 0)
        return err;
    c->pkts = calloc(SIGNAL_48K, sizeof(*c->pkts));
    c->lens = calloc(SIGNAL_48K, sizeof(*c->lens));
    if (!c->pkts || !c->lens)
        return -ENOMEM;
    for (int f = 0; f < SIGNAL_48K; f++) {
        const int16_t *in = codec->pcm_rate == RATE_8K ? sig8[f] : sig48[f];
        int samples = codec->pcm_rate == RATE_8K ? FRAME_8K : FRAME_48K;
        c->lens[f] = aenc_encode(c->enc, in, samples, c->pkts[f], MAX_PKT);
        if (c->lens[f] <= 0)
            return c->lens[f] < 0 ? c->lens[f] : -EIO; /* no DTX here: every frame has bytes */
    }
    return adec_create(&c->dec, codec);
}

static int setup_up(struct ctx *c, const void *arg)
{
    return resampler_create(&c->rs, RATE_8K, RATE_48K, 3);
}

static int setup_down(struct ctx *c, const void *arg)
{
    return resampler_create(&c->rs, RATE_48K, RATE_8K, 3);
}

static int setup_preproc(struct ctx *c, const void *arg)
{
    const struct preproc_params *p = arg;
    return preproc_create(&c->pp, p);
}

static void teardown(struct ctx *c)
{
    aenc_destroy(&c->enc);
    adec_destroy(&c->dec);
    resampler_destroy(&c->rs);
    preproc_destroy(&c->pp);
    free(c->pkts);
    free(c->lens);
}

static const struct enc_arg opus_c0 = {&acodec_opus, 0}, opus_c5 = {&acodec_opus, 5},
                            opus_c10 = {&acodec_opus, 10}, pcmu = {&acodec_pcmu, -1},
                            pcma = {&acodec_pcma, -1};
static const struct preproc_params pp_both = {
    .rate = RATE_48K, .frame_samples = FRAME_48K, .denoise = 1, .agc = 1, .agc_level = 24000};
static const struct preproc_params pp_denoise = {
    .rate = RATE_48K, .frame_samples = FRAME_48K, .denoise = 1};

static struct op ops[] = {
    {"opus encode, complexity 0", step_encode, setup_encoder, &opus_c0},
    {"opus encode, complexity 5 (default)", step_encode, setup_encoder, &opus_c5},
    {"opus encode, complexity 10", step_encode, setup_encoder, &opus_c10},
    {"opus decode", step_decode, setup_decoder, &acodec_opus},
    {"opus PLC (1 frame after a good one)", step_plc, setup_decoder, &acodec_opus},
    {"PCMU encode (libavcodec)", step_encode, setup_encoder, &pcmu},
    {"PCMU decode (libavcodec)", step_decode, setup_decoder, &acodec_pcmu},
    {"PCMA encode (libavcodec)", step_encode, setup_encoder, &pcma},
    {"PCMA decode (libavcodec)", step_decode, setup_decoder, &acodec_pcma},
    {"PCMU PLC (repeat + fade)", step_plc, setup_decoder, &acodec_pcmu},
    {"resample 8k -> 48k (q3)", step_up, setup_up, NULL},
    {"resample 48k -> 8k (q3)", step_down, setup_down, NULL},
    {"preprocess 48k/960: denoise + AGC", step_preproc, setup_preproc, &pp_both},
    {"preprocess 48k/960: denoise only", step_preproc, setup_preproc, &pp_denoise},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of v[0..n) (sorts v). */
static double quantile(int64_t *v, size_t n, double q)
{
    qsort(v, n, sizeof(*v), cmp_i64);
    return (double)v[(size_t)(q * (double)(n - 1) + 0.5)];
}

/* Runs `count` frames of op o starting at signal frame *pos; times them unless warm. */
static void run(struct op *o, int *pos, int count, int timed)
{
    for (int i = 0; i < count; i++) {
        int64_t ns = o->step(&o->c, *pos);
        *pos = (*pos + 1) % SIGNAL_48K;
        if (timed)
            o->ns[o->n++] = ns;
    }
}

int main(int argc, char **argv)
{
    int runs = DEFAULT_RUNS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc && atoi(argv[i + 1]) >= ROUNDS) {
            runs = atoi(argv[++i]);
        } else {
            fprintf(stderr,
                    "usage: bench_codec [--frames N]  (timed frames per operation, "
                    "default %d)\n",
                    DEFAULT_RUNS);
            return 2;
        }
    }
    int per_round = runs / ROUNDS;
    make_signal();
    for (size_t k = 0; k < NOPS; k++) {
        int err = ops[k].setup(&ops[k].c, ops[k].arg);
        if (err < 0)
            die(ops[k].name, err);
        ops[k].ns = calloc((size_t)per_round * ROUNDS, sizeof(int64_t));
        if (!ops[k].ns)
            die("calloc", -ENOMEM);
    }
    /* Rounds interleave the operations, so a change in machine speed during the run spreads
     * over all of them instead of landing on one; every op walks the same signal frames. */
    int pos[NOPS] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t k = 0; k < NOPS; k++) {
            size_t first = ops[k].n;
            run(&ops[k], &pos[k], WARM, 0);
            run(&ops[k], &pos[k], per_round, 1);
            int64_t *tmp = malloc((size_t)per_round * sizeof(int64_t));
            if (!tmp)
                die("malloc", -ENOMEM);
            memcpy(tmp, ops[k].ns + first, (size_t)per_round * sizeof(int64_t));
            ops[k].round_median[r] = quantile(tmp, (size_t)per_round, 0.5);
            free(tmp);
        }
    }

    printf("bench_codec: %d timed 20 ms frames per operation (%d rounds), µs per frame\n",
           per_round * ROUNDS, ROUNDS);
    printf("%-38s %8s %8s %8s %8s %9s\n", "operation", "median", "p10", "p90", "spread", "% core");
    for (size_t k = 0; k < NOPS; k++) {
        struct op *o = &ops[k];
        double med = quantile(o->ns, o->n, 0.5) / 1000;
        double p10 = quantile(o->ns, o->n, 0.1) / 1000, p90 = quantile(o->ns, o->n, 0.9) / 1000;
        double lo = o->round_median[0], hi = lo;
        for (int r = 1; r < ROUNDS; r++) {
            lo = o->round_median[r] < lo ? o->round_median[r] : lo;
            hi = o->round_median[r] > hi ? o->round_median[r] : hi;
        }
        /* spread: (max - min) / median of the per-round medians; % core: one stream's share of
         * one core at 50 frames a second. */
        printf("%-38s %8.2f %8.2f %8.2f %7.0f%% %8.3f%%\n", o->name, med, p10, p90,
               100 * (hi - lo) / (med * 1000), med / 20000 * 100);
        teardown(&o->c);
        free(o->ns);
    }
    return 0;
}
