/* bench_codec: per-frame CPU cost of the audio codec and SpeexDSP wrappers, in µs per 20 ms,
 * and of the video codec wrappers, in ms per picture. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acodec.h"
#include "preproc.h"
#include "vcodec.h"
#include "vframe.h"

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

#define VFPS          30
#define DEFAULT_VRUNS 300 /* the same for video: 10 s of pictures per operation */
#define VWARM         15  /* pictures per round before the meter starts */
#define DEC_LOOP      150 /* pictures pre-encoded for a decoder: 5 s, one keyframe */

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

/* ---- Video input ----
 * A synthetic camera-like picture, so the encoders do real work (a solid colour costs them
 * nothing): a static textured background, three "heads" (textured ellipses) drifting a few
 * pixels a frame, a "mouth" that opens and closes, and +-2 levels of sensor noise that changes
 * every frame. The background and the noise are made once per size, before any timing. */
#define NOISE_LEN (1 << 20)

struct scene {
    int w, h;
    uint8_t *bg[3]; /* packed planes */
    int8_t *noise;  /* NOISE_LEN + w values in -2..2 */
};

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static int scene_make(struct scene *s, int w, int h)
{
    int cw = vframe_chroma_w(w), ch = vframe_chroma_h(h);
    uint32_t seed = 7;
    s->w = w;
    s->h = h;
    s->bg[0] = malloc((size_t)w * h);
    s->bg[1] = malloc((size_t)cw * ch);
    s->bg[2] = malloc((size_t)cw * ch);
    s->noise = malloc(NOISE_LEN + (size_t)w);
    if (!s->bg[0] || !s->bg[1] || !s->bg[2] || !s->noise)
        return -ENOMEM;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            double v = 100 + 50 * sin(x / 37.0) * cos(y / 53.0) + (int)(lcg(&seed) % 17) - 8;
            s->bg[0][(size_t)y * w + x] = (uint8_t)v;
        }
    }
    for (int y = 0; y < ch; y++) {
        for (int x = 0; x < cw; x++) {
            s->bg[1][(size_t)y * cw + x] = (uint8_t)(110 + 30 * x / cw);
            s->bg[2][(size_t)y * cw + x] = (uint8_t)(140 - 20 * y / ch);
        }
    }
    for (size_t i = 0; i < NOISE_LEN + (size_t)w; i++)
        s->noise[i] = (int8_t)((int)(lcg(&seed) % 5) - 2);
    return 0;
}

static void scene_free(struct scene *s)
{
    for (int i = 0; i < 3; i++)
        free(s->bg[i]);
    free(s->noise);
    memset(s, 0, sizeof(*s));
}

static uint8_t clamp_u8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* One textured ellipse centred at (cx, cy), radii (rx, ry); luma only. */
static void paint_head(struct vframe *f, int cx, int cy, int rx, int ry)
{
    for (int y = cy - ry; y <= cy + ry; y++) {
        if (y < 0 || y >= f->h)
            continue;
        double dy = (double)(y - cy) / ry;
        int half = (int)(rx * sqrt(1 - dy * dy));
        uint8_t *row = f->data[0] + (size_t)y * f->stride[0];
        for (int x = cx - half; x <= cx + half; x++)
            if (x >= 0 && x < f->w)
                row[x] = (uint8_t)(150 + ((x - cx) * (y - cy) / 9 & 31));
    }
}

static void scene_paint(const struct scene *s, struct vframe *f, long t)
{
    int w = s->w, h = s->h, cw = vframe_chroma_w(w), ch = vframe_chroma_h(h);
    for (int y = 0; y < h; y++) {
        const uint8_t *bg = s->bg[0] + (size_t)y * w;
        const int8_t *nz = s->noise + ((size_t)y * 7919 + (size_t)t * 104729) % NOISE_LEN;
        uint8_t *row = f->data[0] + (size_t)y * f->stride[0];
        for (int x = 0; x < w; x++)
            row[x] = clamp_u8(bg[x] + nz[x]);
    }
    for (int i = 1; i < 3; i++)
        for (int y = 0; y < ch; y++)
            memcpy(f->data[i] + (size_t)y * f->stride[i], s->bg[i] + (size_t)y * cw, (size_t)cw);
    for (int k = 0; k < 3; k++) {
        int cx = w * (k + 1) / 4 + (int)(w / 24 * sin(t * 0.05 + k));
        int cy = h / 2 + (int)(h / 20 * cos(t * 0.04 + 2 * k));
        int rx = w / 12, ry = h / 5;
        paint_head(f, cx, cy, rx, ry);
        int mouth = (int)(ry / 6 * (1 + sin(t * 0.6 + k)));
        vframe_fill_rect(f, (cx - rx / 3) & ~1, (cy + ry / 3) & ~1, (2 * rx / 3) & ~1, mouth & ~1,
                         40, 128, 140);
    }
}

/* State of one video operation. */
struct vstate {
    const struct scene *sc;
    struct venc *enc;
    struct vdec *dec;
    struct vframe pic;
    uint8_t **frames; /* pre-encoded, for a decoder */
    size_t *lens;
    struct vdec *check; /* an encoder's output decoded, untimed, for its quality */
    long t;             /* pictures so far: the encoder's pts and the decoder's loop position */
    double bits;        /* encoded, for the achieved rate */
    double psnr;        /* sum of the luma PSNR of every picture decoded by `check` */
    size_t max_key;     /* largest keyframe, bytes */
    int key_every;
};

/* Luma PSNR of b against a, in dB (capped at 99 for identical planes). */
static double psnr_y(const struct vframe *a, const struct vframe *b)
{
    double sse = 0;
    for (int y = 0; y < a->h; y++) {
        const uint8_t *ra = a->data[0] + (size_t)y * a->stride[0];
        const uint8_t *rb = b->data[0] + (size_t)y * b->stride[0];
        for (int x = 0; x < a->w; x++)
            sse += (double)(ra[x] - rb[x]) * (ra[x] - rb[x]);
    }
    double mse = sse / ((double)a->w * a->h);
    return mse > 0 ? fmin(99, 10 * log10(255.0 * 255.0 / mse)) : 99;
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
    struct vstate *v;
};

/* One operation: `step` runs frame f, timing only the operation itself; returns ns. */
struct op {
    const char *name;
    int64_t (*step)(struct ctx *c, int f);
    int (*setup)(struct ctx *c, const void *arg);
    const void *arg;
    int video; /* timed in ms per picture, with the video frame count */
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

static int64_t step_venc(struct ctx *c, int f)
{
    struct vstate *v = c->v;
    scene_paint(v->sc, &v->pic, v->t);
    struct venc_frame out;
    int force = v->key_every && v->t % v->key_every == v->key_every - 1;
    int64_t t0 = now_ns();
    int n = venc_encode(v->enc, &v->pic, v->t, force, &out);
    int64_t t1 = now_ns();
    /* The real-time settings promise a frame per picture (vcodec.h); 0 would be a finding. */
    if (check(n, "video encode") != 1)
        die("video encode: no frame for a picture", -EIO);
    v->bits += 8.0 * (double)out.len;
    if (out.keyframe && out.len > v->max_key)
        v->max_key = out.len;
    v->t++;
    struct vframe pic;
    if (check(vdec_decode(v->check, out.data, out.len, &pic), "video decode (quality)") != 1)
        die("video decode (quality): no picture", -EIO);
    v->psnr += psnr_y(&v->pic, &pic);
    return t1 - t0;
}

static int64_t step_vdec(struct ctx *c, int f)
{
    struct vstate *v = c->v;
    int i = (int)(v->t++ % DEC_LOOP);
    struct vframe pic;
    int64_t t0 = now_ns();
    int n = vdec_decode(v->dec, v->frames[i], v->lens[i], &pic);
    int64_t t1 = now_ns();
    if (check(n, "video decode") != 1)
        die("video decode: no picture", -EIO);
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

struct video_arg {
    enum vcodec_id id;
    int w, h, kbps;
    int key_every; /* force a keyframe every this many pictures (as PLIs would); 0 = never */
};

/* One scene per size, shared by the operations (read only once made). */
static struct scene scenes[2];

static const struct scene *scene_get(int w, int h)
{
    for (size_t i = 0; i < sizeof(scenes) / sizeof(scenes[0]); i++) {
        if (scenes[i].w == w && scenes[i].h == h)
            return &scenes[i];
        if (scenes[i].w == 0)
            return scene_make(&scenes[i], w, h) == 0 ? &scenes[i] : NULL;
    }
    return NULL;
}

static int setup_vencoder(struct ctx *c, const void *arg)
{
    const struct video_arg *a = arg;
    const struct venc_params p = {
        .width = a->w, .height = a->h, .fps = VFPS, .bitrate_kbps = a->kbps};
    c->v = calloc(1, sizeof(*c->v));
    if (!c->v)
        return -ENOMEM;
    c->v->sc = scene_get(a->w, a->h);
    c->v->key_every = a->key_every;
    if (!c->v->sc)
        return -ENOMEM;
    int err = vframe_alloc(&c->v->pic, a->w, a->h);
    if (err == 0)
        err = vdec_create(&c->v->check, a->id);
    return err < 0 ? err : venc_create(&c->v->enc, a->id, &p);
}

/* Decoders get DEC_LOOP pictures of the scene encoded once, at the same settings. */
static int setup_vdecoder(struct ctx *c, const void *arg)
{
    const struct video_arg *a = arg;
    int err = setup_vencoder(c, arg);
    if (err < 0)
        return err;
    struct vstate *v = c->v;
    v->frames = calloc(DEC_LOOP, sizeof(*v->frames));
    v->lens = calloc(DEC_LOOP, sizeof(*v->lens));
    if (!v->frames || !v->lens)
        return -ENOMEM;
    for (int i = 0; i < DEC_LOOP; i++) {
        struct venc_frame out;
        scene_paint(v->sc, &v->pic, i);
        err = venc_encode(v->enc, &v->pic, i, 0, &out);
        if (err != 1)
            return err < 0 ? err : -EIO;
        v->frames[i] = malloc(out.len);
        if (!v->frames[i])
            return -ENOMEM;
        memcpy(v->frames[i], out.data, out.len);
        v->lens[i] = out.len;
    }
    return vdec_create(&v->dec, a->id);
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
    if (c->v) {
        venc_destroy(&c->v->enc);
        vdec_destroy(&c->v->dec);
        vdec_destroy(&c->v->check);
        vframe_free(&c->v->pic);
        for (int i = 0; c->v->frames && i < DEC_LOOP; i++)
            free(c->v->frames[i]);
        free(c->v->frames);
        free(c->v->lens);
        free(c->v);
    }
}

static const struct enc_arg opus_c0 = {&acodec_opus, 0}, opus_c5 = {&acodec_opus, 5},
                            opus_c10 = {&acodec_opus, 10}, pcmu = {&acodec_pcmu, -1},
                            pcma = {&acodec_pcma, -1};
static const struct preproc_params pp_both = {
    .rate = RATE_48K, .frame_samples = FRAME_48K, .denoise = 1, .agc = 1, .agc_level = 24000};
static const struct preproc_params pp_denoise = {
    .rate = RATE_48K, .frame_samples = FRAME_48K, .denoise = 1};

static const struct video_arg vp8_360 = {VCODEC_VP8, 640, 360, 800},
                              vp8_720 = {VCODEC_VP8, 1280, 720, 2000},
                              vp8_720_key = {VCODEC_VP8, 1280, 720, 2000, 2 * VFPS},
                              h264_360 = {VCODEC_H264, 640, 360, 800},
                              h264_720 = {VCODEC_H264, 1280, 720, 2000},
                              h264_720_key = {VCODEC_H264, 1280, 720, 2000, 2 * VFPS};

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
    {"VP8 encode 640x360 800 kbit/s", step_venc, setup_vencoder, &vp8_360, 1},
    {"VP8 encode 1280x720 2000 kbit/s", step_venc, setup_vencoder, &vp8_720, 1},
    {"VP8 encode 720p 2000, key every 2 s", step_venc, setup_vencoder, &vp8_720_key, 1},
    {"VP8 decode 640x360 800 kbit/s", step_vdec, setup_vdecoder, &vp8_360, 1},
    {"VP8 decode 1280x720 2000 kbit/s", step_vdec, setup_vdecoder, &vp8_720, 1},
    {"H.264 encode 640x360 800 kbit/s", step_venc, setup_vencoder, &h264_360, 1},
    {"H.264 encode 1280x720 2000 kbit/s", step_venc, setup_vencoder, &h264_720, 1},
    {"H.264 encode 720p 2000, key every 2 s", step_venc, setup_vencoder, &h264_720_key, 1},
    {"H.264 decode 640x360 800 kbit/s", step_vdec, setup_vdecoder, &h264_360, 1},
    {"H.264 decode 1280x720 2000 kbit/s", step_vdec, setup_vdecoder, &h264_720, 1},
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

/* Median, p10, p90 of op o in `unit` ns, and the spread of its per-round medians. */
static void summary(struct op *o, double unit, double *med, double *p10, double *p90,
                    double *spread)
{
    *med = quantile(o->ns, o->n, 0.5) / unit;
    *p10 = quantile(o->ns, o->n, 0.1) / unit;
    *p90 = quantile(o->ns, o->n, 0.9) / unit;
    double lo = o->round_median[0], hi = lo;
    for (int r = 1; r < ROUNDS; r++) {
        lo = o->round_median[r] < lo ? o->round_median[r] : lo;
        hi = o->round_median[r] > hi ? o->round_median[r] : hi;
    }
    /* (max - min) / median of the per-round medians */
    *spread = 100 * (hi - lo) / (*med * unit);
}

static void report(int runs, int vruns, int audio, int video)
{
    double med, p10, p90, spread;
    if (audio) {
        printf("bench_codec: %d timed 20 ms frames per operation (%d rounds), µs per frame\n", runs,
               ROUNDS);
        printf("%-38s %8s %8s %8s %8s %9s\n", "operation", "median", "p10", "p90", "spread",
               "% core");
        for (size_t k = 0; k < NOPS; k++) {
            if (ops[k].video)
                continue;
            summary(&ops[k], 1000, &med, &p10, &p90, &spread);
            /* % core: one stream's share of one core at 50 frames a second */
            printf("%-38s %8.2f %8.2f %8.2f %7.0f%% %8.3f%%\n", ops[k].name, med, p10, p90, spread,
                   med / 20000 * 100);
        }
    }
    if (video) {
        printf("%sbench_codec: %d timed pictures per operation (%d rounds), ms per picture\n",
               audio ? "\n" : "", vruns, ROUNDS);
        printf("%-38s %8s %8s %8s %8s %9s %8s %8s %8s\n", "operation", "median", "p10", "p90",
               "spread", "% core", "kbit/s", "PSNR-Y", "key KB");
        for (size_t k = 0; k < NOPS; k++) {
            if (!ops[k].video)
                continue;
            const struct vstate *v = ops[k].c.v;
            summary(&ops[k], 1e6, &med, &p10, &p90, &spread);
            /* % core: one stream at 30 pictures a second; kbit/s, PSNR-Y (dB, mean over
             * pictures) and the largest keyframe: what the encoder made of its target over
             * every picture it coded, warm-up included (keyframes at 0 and 10 s) */
            printf("%-38s %8.3f %8.3f %8.3f %7.0f%% %8.2f%%", ops[k].name, med, p10, p90, spread,
                   med * VFPS / 10);
            if (!v->dec)
                printf(" %8.0f %8.2f %8.1f", v->bits / (double)v->t * VFPS / 1000,
                       v->psnr / (double)v->t, (double)v->max_key / 1000);
            printf("\n");
        }
    }
}

static int usage(void)
{
    fprintf(stderr,
            "usage: bench_codec [--frames N] [--video-frames N] [--only audio|video]\n"
            "  --frames N        timed 20 ms audio frames per operation (default %d)\n"
            "  --video-frames N  timed pictures per video operation (default %d)\n",
            DEFAULT_RUNS, DEFAULT_VRUNS);
    return 2;
}

int main(int argc, char **argv)
{
    int runs = DEFAULT_RUNS, vruns = DEFAULT_VRUNS, audio = 1, video = 1;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--frames") == 0 && val && atoi(val) >= ROUNDS) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--video-frames") == 0 && val && atoi(val) >= ROUNDS) {
            vruns = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--only") == 0 && val &&
                   (strcmp(val, "audio") == 0 || strcmp(val, "video") == 0)) {
            audio = strcmp(val, "audio") == 0;
            video = !audio;
            i++;
        } else {
            return usage();
        }
    }
    runs = runs / ROUNDS * ROUNDS;
    vruns = vruns / ROUNDS * ROUNDS;
    make_signal();
    int skip[NOPS];
    for (size_t k = 0; k < NOPS; k++) {
        skip[k] = ops[k].video ? !video : !audio;
        if (skip[k])
            continue;
        int err = ops[k].setup(&ops[k].c, ops[k].arg);
        if (err < 0)
            die(ops[k].name, err);
        ops[k].ns = calloc((size_t)(ops[k].video ? vruns : runs), sizeof(int64_t));
        if (!ops[k].ns)
            die("calloc", -ENOMEM);
    }
    /* Rounds interleave the operations, so a change in machine speed during the run spreads
     * over all of them instead of landing on one; every op walks the same signal frames. */
    int pos[NOPS] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t k = 0; k < NOPS; k++) {
            if (skip[k])
                continue;
            int per_round = (ops[k].video ? vruns : runs) / ROUNDS;
            size_t first = ops[k].n;
            run(&ops[k], &pos[k], ops[k].video ? VWARM : WARM, 0);
            run(&ops[k], &pos[k], per_round, 1);
            int64_t *tmp = malloc((size_t)per_round * sizeof(int64_t));
            if (!tmp)
                die("malloc", -ENOMEM);
            memcpy(tmp, ops[k].ns + first, (size_t)per_round * sizeof(int64_t));
            ops[k].round_median[r] = quantile(tmp, (size_t)per_round, 0.5);
            free(tmp);
        }
    }
    report(runs, vruns, audio, video);
    for (size_t k = 0; k < NOPS; k++) {
        teardown(&ops[k].c);
        free(ops[k].ns);
    }
    for (size_t i = 0; i < sizeof(scenes) / sizeof(scenes[0]); i++)
        scene_free(&scenes[i]);
    return 0;
}
