/* bench_mix: mixing capacity per core with real Opus frames, shared vs per-participant encode. */
#include <errno.h>
#include <math.h>
#include <opus/opus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acodec.h"
#include "amix.h"
#include "cpu.h"
#include "rtp.h"
#include "rtpsec.h"
#include "voice.h"

#define RATE        48000
#define FRAME       960 /* 20 ms at 48 kHz: one tick */
#define TICK_MS     20.0
#define LOOP_FRAMES 500 /* 10 s of pre-encoded audio per stream, looped */
#define VOICES      VOICE_COUNT
#define NOISE       VOICES /* stream index of the open-mic room noise */
#define STREAMS     (VOICES + 1)
#define CODED_CAP   400  /* client packets: 32 kbit/s is ~80 bytes a frame */
#define MAX_PKT     1400 /* what the server encodes into (conference.c's MAX_PAYLOAD) */
#define OPUS_PT     111
#define A_TALKERS   3   /* the big meeting: 3 of N talk */
#define B_SIZE      5   /* the small meetings: 5, all talking */
#define N_COMPARE   200 /* the issue compares tick cost at this N */

enum phase { PH_DECODE, PH_MIX, PH_ENCODE, PH_SRTP, PHASES };

struct config {
    int complexity;
    int quick;
    double budget_ms;
    int ticks, warm;
    unsigned max_n, max_meetings, at;
    double resolution; /* bisection stops when the gap is under this share of the answer */
    int srtp;
    enum rtpsec_suite suite;
    int open_mics;
    char only; /* 'a', 'b' or 0 for both */
    int mode;  /* with --at: -1 both, 0 shared, 1 per-participant (for profiling one) */
};

/* ---- The input: speech-like voices, encoded as a client would, before any timing ---- */

struct stream {
    uint8_t pkt[LOOP_FRAMES][CODED_CAP];
    int len[LOOP_FRAMES];
};

static struct stream streams[STREAMS];

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_mix: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

static int16_t clamp16(double x)
{
    long v = lrint(x);
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* The clients' encoders: the server's own settings (32 kbit/s, in-band FEC for 5 % loss, no
 * DTX, complexity 5); what a client spends encoding does not change what decoding costs here. */
static const struct acodec_enc_params client_enc = {0, 5, 1, 5, 0};

static void make_streams(void)
{
    static int16_t pcm[FRAME];
    for (int s = 0; s < STREAMS; s++) {
        struct aenc *enc = NULL;
        int err = aenc_create(&enc, &acodec_opus, &client_enc);
        if (err)
            die("aenc_create (client)", err);
        uint32_t seed = 1u + (uint32_t)s;
        for (int f = 0; f < LOOP_FRAMES; f++) {
            for (int i = 0; i < FRAME; i++) {
                long n = (long)f * FRAME + i;
                /* Room noise for open mics: about -83 dB under a full-scale sine, below the
                 * level tracker's -80 dB floor, so these inputs never compete for the mix (a
                 * quiet room behind a client's noise suppression). */
                pcm[i] =
                    clamp16(s == NOISE ? 3 * voice_noise(&seed) : voice_sample(s, n, RATE, &seed));
            }
            int len = aenc_encode(enc, pcm, FRAME, streams[s].pkt[f], CODED_CAP);
            if (len <= 0)
                die("pre-encode", len < 0 ? len : -EIO);
            streams[s].len[f] = len;
        }
        aenc_destroy(&enc);
    }
}

/* ---- One evaluation: M meetings of n, run tick after tick on this thread ---- */

struct part {
    struct adec *dec;    /* senders only */
    struct aenc *enc;    /* its own encoder (made on first use in shared mode, like astream) */
    uint8_t *own;        /* its own encoded frame, with the encoder */
    struct rtpsec *srtp; /* --srtp: its outbound context */
    const uint8_t *out;  /* what it is sent this tick */
    int out_len;
    int stream, pos; /* pre-encoded stream it sends and where in the loop; stream -1: silent */
    uint8_t has, talker;
    uint16_t seq;
    uint32_t ts, ssrc;
};

struct meeting {
    struct amix *mix;
    struct part *p;
    unsigned n;
    struct aenc *shared_enc;
    uint8_t shared_pkt[MAX_PKT];
};

struct scenario {
    const char *title, *unit;
    int big; /* (a): one meeting of x; (b): x meetings of B_SIZE */
    unsigned talkers, max_talkers;
};

struct stats {
    unsigned x;
    double med, p99, max;  /* ms of thread CPU per tick */
    double phase[PHASES];  /* mean ms per tick */
    double encodes, mixed; /* mean per tick: encoder calls, mixed talkers over all meetings */
    unsigned long stray;   /* ticks x inputs where a silent listener got mixed (should be 0) */
};

static int64_t cpu_ns(void)
{
    struct timespec t;
    /* The thread's own CPU time: what this core spent, whatever else the machine runs. A read
     * costs ~0.7 µs here, a few per meeting per tick: under 0.5 % of the budget. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static struct aenc *server_encoder(const struct config *cfg)
{
    /* conference.c and astream.c: 32 kbit/s, FEC for 5 % loss, no DTX; complexity 5 unless
     * --complexity says otherwise. */
    struct acodec_enc_params ep = {0, cfg->complexity, 1, 5, 0};
    struct aenc *e = NULL;
    int err = aenc_create(&e, &acodec_opus, &ep);
    if (err)
        die("aenc_create", err);
    return e;
}

static void part_encoder(struct part *p, const struct config *cfg)
{
    p->enc = server_encoder(cfg);
    p->own = malloc(MAX_PKT);
    if (!p->own)
        die("malloc", -ENOMEM);
}

static void meeting_init(struct meeting *m, unsigned n, unsigned index, const struct scenario *sc,
                         int per_part, const struct config *cfg)
{
    m->n = n;
    struct amix_params ap = {n, FRAME, sc->max_talkers, cpu_flags()};
    int err = amix_create(&m->mix, &ap);
    if (err)
        die("amix_create", err);
    m->p = calloc(n, sizeof(*m->p));
    if (!m->p)
        die("calloc", -ENOMEM);
    for (unsigned i = 0; i < n; i++) {
        struct part *p = &m->p[i];
        if (amix_input_add(m->mix) != (int)i)
            die("amix_input_add", -EIO);
        p->talker = i < sc->talkers;
        p->stream = p->talker ? (int)i % VOICES : cfg->open_mics ? NOISE : -1;
        /* Different meetings start at different points of the loop, so their pauses differ. */
        p->pos = (int)((index * 53u + i * 17u) % LOOP_FRAMES);
        if (p->stream >= 0 && (err = adec_create(&p->dec, &acodec_opus)))
            die("adec_create", err);
        if (per_part) /* a naive MCU: every participant has its encoder from the start */
            part_encoder(p, cfg);
        p->ssrc = 0x10000u + index * 0x100u + i;
        if (cfg->srtp) {
            uint8_t key[RTPSEC_MAX_KEY];
            err = rtpsec_keygen(cfg->suite, key);
            if (!err)
                err = rtpsec_create(&p->srtp, cfg->suite, key, RTPSEC_OUTBOUND);
            if (err)
                die("rtpsec_create", err);
        }
    }
}

static void meeting_free(struct meeting *m)
{
    for (unsigned i = 0; i < m->n; i++) {
        adec_destroy(&m->p[i].dec);
        aenc_destroy(&m->p[i].enc);
        free(m->p[i].own);
        rtpsec_destroy(&m->p[i].srtp);
    }
    free(m->p);
    aenc_destroy(&m->shared_enc);
    amix_destroy(&m->mix);
}

struct acc {
    int64_t phase[PHASES];
    unsigned long encodes, mixed, stray;
};

static void encode_check(int len)
{
    if (len <= 0) /* no DTX on the server's encoders: every frame has bytes */
        die("aenc_encode", len < 0 ? len : -EIO);
}

/* One tick of one meeting, in the order of conference.c's on_tick: pull (decode) every input,
 * amix_run, then give every member its payload (own encode for a mixed talker, else the one
 * shared encode made on first need), then per-receiver SRTP when asked. */
static void meeting_tick(struct meeting *m, int per_part, const struct config *cfg, struct acc *a)
{
    int64_t t0 = cpu_ns();
    for (unsigned i = 0; i < m->n; i++) {
        struct part *p = &m->p[i];
        p->has = 0;
        if (p->stream < 0)
            continue; /* sends nothing: the jitter buffer says EMPTY, nothing to decode */
        const struct stream *s = &streams[p->stream];
        int got = adec_decode(p->dec, s->pkt[p->pos], (size_t)s->len[p->pos],
                              amix_input_buffer(m->mix, i), FRAME, 0);
        if (got != FRAME)
            die("adec_decode", got < 0 ? got : -EIO);
        p->has = 1;
        p->pos = (p->pos + 1) % LOOP_FRAMES;
    }
    int64_t t1 = cpu_ns();
    for (unsigned i = 0; i < m->n; i++)
        amix_input_ready(m->mix, i, m->p[i].has, -1); /* no RFC 6464: level from the energy */
    amix_run(m->mix);
    int64_t t2 = cpu_ns();
    int shared_len = -1;
    const unsigned *tk;
    unsigned talkers = amix_talkers(m->mix, &tk);
    for (unsigned i = 0; i < m->n; i++) {
        struct part *p = &m->p[i];
        int mixed = amix_is_mixed(m->mix, i);
        if (per_part || mixed) {
            if (!p->enc)
                part_encoder(p, cfg);
            /* As conference.c: the voices the mix holds (a talker does not hear itself). */
            aenc_set_voices(p->enc, mixed ? talkers - 1 : talkers);
            p->out_len = aenc_encode(p->enc, amix_output(m->mix, i), FRAME, p->own, MAX_PKT);
            encode_check(p->out_len);
            p->out = p->own;
            a->encodes++;
        } else {
            if (shared_len < 0) {
                if (!m->shared_enc)
                    m->shared_enc = server_encoder(cfg);
                aenc_set_voices(m->shared_enc, talkers);
                shared_len = aenc_encode(m->shared_enc, amix_shared_output(m->mix), FRAME,
                                         m->shared_pkt, sizeof(m->shared_pkt));
                encode_check(shared_len);
                a->encodes++;
            }
            p->out = m->shared_pkt;
            p->out_len = shared_len;
        }
        if (mixed && !p->talker)
            a->stray++;
    }
    int64_t t3 = cpu_ns(), t4 = t3;
    if (cfg->srtp) {
        static uint8_t buf[RTP_HDR_MIN + MAX_PKT + RTPSEC_MAX_TRAILER];
        for (unsigned i = 0; i < m->n; i++) {
            struct part *p = &m->p[i];
            /* What session_send_rtp does before the send: the receiver's own header on a copy
             * of the payload, then protect with the receiver's own context. */
            rtp_write_header(buf, 0, OPUS_PT, p->seq++, p->ts, p->ssrc);
            memcpy(buf + RTP_HDR_MIN, p->out, (size_t)p->out_len);
            size_t len = RTP_HDR_MIN + (size_t)p->out_len;
            int err = rtpsec_protect(p->srtp, buf, &len);
            if (err)
                die("rtpsec_protect", err);
            p->ts += FRAME;
        }
        t4 = cpu_ns();
    }
    a->mixed += talkers;
    a->phase[PH_DECODE] += t1 - t0;
    a->phase[PH_MIX] += t2 - t1;
    a->phase[PH_ENCODE] += t3 - t2;
    a->phase[PH_SRTP] += t4 - t3;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static double pick(const int64_t *sorted, int n, double q)
{
    return (double)sorted[(int)(q * (n - 1) + 0.5)] / 1e6;
}

/* The meetings of one mode at one load, and what their ticks cost. */
struct world {
    struct meeting *ms;
    unsigned nm;
    int per_part;
    struct acc a;
    int64_t *tick;
};

/* Fresh meetings for each evaluation, as a server would host them. */
static void world_init(struct world *w, const struct scenario *sc, int per_part, unsigned x,
                       const struct config *cfg)
{
    unsigned n = sc->big ? x : B_SIZE;
    w->nm = sc->big ? 1 : x;
    w->per_part = per_part;
    w->ms = calloc(w->nm, sizeof(*w->ms));
    w->tick = calloc((size_t)cfg->ticks, sizeof(*w->tick));
    if (!w->ms || !w->tick)
        die("calloc", -ENOMEM);
    for (unsigned k = 0; k < w->nm; k++)
        meeting_init(&w->ms[k], n, k, sc, per_part, cfg);
}

/* Tick t < 0 is warm-up (caches, encoders' first frames, the talker pick): run, not kept. */
static void world_tick(struct world *w, int t, const struct config *cfg)
{
    if (t == 0)
        memset(&w->a, 0, sizeof(w->a));
    int64_t t0 = cpu_ns();
    for (unsigned k = 0; k < w->nm; k++)
        meeting_tick(&w->ms[k], w->per_part, cfg, &w->a);
    if (t >= 0)
        w->tick[t] = cpu_ns() - t0;
}

static void world_done(struct world *w, unsigned x, const struct config *cfg, struct stats *st)
{
    qsort(w->tick, (size_t)cfg->ticks, sizeof(*w->tick), cmp_i64);
    memset(st, 0, sizeof(*st));
    st->x = x;
    st->med = pick(w->tick, cfg->ticks, 0.5);
    st->p99 = pick(w->tick, cfg->ticks, 0.99);
    st->max = pick(w->tick, cfg->ticks, 1.0);
    for (int ph = 0; ph < PHASES; ph++)
        st->phase[ph] = (double)w->a.phase[ph] / cfg->ticks / 1e6;
    st->encodes = (double)w->a.encodes / cfg->ticks;
    st->mixed = (double)w->a.mixed / cfg->ticks;
    st->stray = w->a.stray;
    for (unsigned k = 0; k < w->nm; k++)
        meeting_free(&w->ms[k]);
    free(w->ms);
    free(w->tick);
}

static void evaluate(const struct scenario *sc, int per_part, unsigned x, const struct config *cfg,
                     struct stats *st)
{
    struct world w;
    world_init(&w, sc, per_part, x, cfg);
    for (int t = -cfg->warm; t < cfg->ticks; t++)
        world_tick(&w, t, cfg);
    world_done(&w, x, cfg, st);
}

/* Both modes at the same load, their ticks alternating (and which goes first alternating too):
 * the machine's speed changes (see bench_transport in README.md) then fall on both alike, so
 * their ratio is steadier than that of two separate runs. st[0] shared, st[1] per-participant. */
static void evaluate_pair(const struct scenario *sc, unsigned x, const struct config *cfg,
                          struct stats st[2])
{
    struct world w[2];
    for (int pp = 0; pp < 2; pp++)
        world_init(&w[pp], sc, pp, x, cfg);
    for (int t = -cfg->warm; t < cfg->ticks; t++) {
        int first = (t & 1) != 0;
        world_tick(&w[first], t, cfg);
        world_tick(&w[!first], t, cfg);
    }
    for (int pp = 0; pp < 2; pp++)
        world_done(&w[pp], x, cfg, &st[pp]);
}

static const char *mode_name(int per_part)
{
    return per_part ? "per-participant" : "shared";
}

static void print_head(void)
{
    printf("  %-15s %6s %8s %8s %8s | %7s %7s %7s %7s | %7s %6s %s\n", "mode", "x", "median", "p99",
           "max", "decode", "mix", "encode", "srtp", "enc/tk", "mixed", "fits");
}

static int fits(const struct stats *st, const struct config *cfg)
{
    return st->p99 <= cfg->budget_ms;
}

static void print_row(const struct stats *st, int per_part, const struct config *cfg)
{
    printf("  %-15s %6u %8.3f %8.3f %8.3f | %7.3f %7.3f %7.3f %7.3f | %7.1f %6.2f %s\n",
           mode_name(per_part), st->x, st->med, st->p99, st->max, st->phase[PH_DECODE],
           st->phase[PH_MIX], st->phase[PH_ENCODE], st->phase[PH_SRTP], st->encodes, st->mixed,
           fits(st, cfg) ? "yes" : "no");
    if (st->stray)
        printf("  ! %lu input-ticks mixed a participant that should be silent\n", st->stray);
    fflush(stdout);
}

struct result {
    unsigned cap;      /* largest x that fit (0: not even the smallest) */
    int at_limit;      /* the search stopped at its upper limit, not at a failure */
    struct stats best; /* the evaluation at cap */
    int sane;          /* talkers were mixed and nobody else was */
};

static void check_sanity(const struct stats *st, struct result *r)
{
    if (st->mixed <= 0 || st->stray)
        r->sane = 0;
}

/* Largest x whose p99 tick fits the budget: double from `start` until one does not, then
 * bisect until the gap is under cfg->resolution of the answer. */
static void search(const struct scenario *sc, int per_part, unsigned start, unsigned limit,
                   const struct config *cfg, struct result *r)
{
    memset(r, 0, sizeof(*r));
    r->sane = 1;
    unsigned lo = 0, hi = 0, x = start;
    struct stats st;
    for (;;) {
        evaluate(sc, per_part, x, cfg, &st);
        print_row(&st, per_part, cfg);
        check_sanity(&st, r);
        if (!fits(&st, cfg)) {
            hi = x;
            break;
        }
        lo = x;
        r->best = st;
        if (x >= limit) {
            r->at_limit = 1;
            break;
        }
        x = x * 2 > limit ? limit : x * 2;
    }
    while (hi && lo && hi - lo > 1 && hi - lo > (unsigned)(lo * cfg->resolution)) {
        x = lo + (hi - lo) / 2;
        evaluate(sc, per_part, x, cfg, &st);
        print_row(&st, per_part, cfg);
        check_sanity(&st, r);
        if (fits(&st, cfg)) {
            lo = x;
            r->best = st;
        } else {
            hi = x;
        }
    }
    r->cap = lo;
}

static void print_cap(const char *label, const struct result *r, unsigned per_x)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s%u", r->at_limit ? ">=" : "", r->cap);
    printf("  %-44s %16s", label, buf);
    if (per_x > 1)
        printf(" (%u participants)", r->cap * per_x);
    printf("\n");
}

static void print_summary(const struct scenario *sc, const struct result r[2],
                          const struct config *cfg)
{
    unsigned per_x = sc->big ? 1 : B_SIZE;
    printf("\n  summary: %s, largest load with p99 tick CPU <= %.1f ms\n", sc->title,
           cfg->budget_ms);
    char label[80];
    for (int pp = 0; pp < 2; pp++) {
        snprintf(label, sizeof(label), "%s: %s", mode_name(pp), sc->unit);
        print_cap(label, &r[pp], per_x);
        if (r[pp].cap)
            printf("  %-44s %16.3f / %.3f ms (median / p99), %.1f encodes a tick\n",
                   "  tick at that load", r[pp].best.med, r[pp].best.p99, r[pp].best.encodes);
    }
    if (r[1].cap)
        printf("  %-44s %s%16.2fx\n", "capacity ratio shared / per-participant",
               r[0].at_limit ? ">=" : "  ", (double)r[0].cap / r[1].cap);
}

static int run_big(const struct config *cfg)
{
    static const struct scenario sc = {"(a) one meeting of N, 3 talkers", "participants", 1,
                                       A_TALKERS, A_TALKERS};
    printf("\n== %s; listeners %s ==\n", sc.title,
           cfg->open_mics ? "send room noise that is decoded (--open-mics)"
                          : "send nothing (no decode)");
    print_head();
    struct result r[2];
    int sane = 1;
    if (cfg->at) {
        struct stats st;
        for (int pp = 0; pp < 2; pp++) {
            if (cfg->mode >= 0 && cfg->mode != pp)
                continue;
            evaluate(&sc, pp, cfg->at, cfg, &st);
            print_row(&st, pp, cfg);
        }
        return 1;
    }
    for (int pp = 0; pp < 2; pp++) {
        search(&sc, pp, A_TALKERS + 1, cfg->max_n, cfg, &r[pp]);
        sane &= r[pp].sane;
    }
    printf("  at N = %d, the issue's comparison point, both modes' ticks alternating:\n",
           N_COMPARE);
    struct stats at[2];
    evaluate_pair(&sc, N_COMPARE, cfg, at);
    for (int pp = 0; pp < 2; pp++)
        print_row(&at[pp], pp, cfg);
    print_summary(&sc, r, cfg);
    double ratio = at[1].med / at[0].med;
    printf("  %-44s %16.2fx (p99: %.2fx)\n", "tick cost at N=200, per-participant / shared", ratio,
           at[1].p99 / at[0].p99);
    printf("  target >= 2,000 participants in one meeting on one core (shared): %s\n",
           r[0].cap >= 2000 ? "met" : "NOT met");
    printf("  target shared >= 10x per-participant at N=200: %s (%.1fx)\n",
           ratio >= 10 ? "met" : "NOT met", ratio);
    return sane;
}

static int run_small(const struct config *cfg, unsigned max_talkers)
{
    static char title[96];
    snprintf(title, sizeof(title), "(b) meetings of 5, all talking, max_talkers %u", max_talkers);
    struct scenario sc = {title, "meetings", 0, B_SIZE, max_talkers};
    printf("\n== %s ==\n", sc.title);
    print_head();
    if (cfg->at) {
        struct stats st;
        for (int pp = 0; pp < 2; pp++) {
            if (cfg->mode >= 0 && cfg->mode != pp)
                continue;
            evaluate(&sc, pp, cfg->at, cfg, &st);
            print_row(&st, pp, cfg);
        }
        return 1;
    }
    struct result r[2];
    for (int pp = 0; pp < 2; pp++)
        search(&sc, pp, 1, cfg->max_meetings, cfg, &r[pp]);
    /* The two capacities come from separate runs minutes apart; the paired run at one load
     * says what the modes cost relative to each other. */
    unsigned x = r[1].cap ? r[1].cap : 1;
    printf("  at %u meetings (the per-participant capacity), both modes' ticks alternating:\n", x);
    struct stats at[2];
    evaluate_pair(&sc, x, cfg, at);
    for (int pp = 0; pp < 2; pp++)
        print_row(&at[pp], pp, cfg);
    print_summary(&sc, r, cfg);
    printf("  %-44s %16.2fx (p99: %.2fx)\n", "tick cost, per-participant / shared (paired)",
           at[1].med / at[0].med, at[1].p99 / at[0].p99);
    return r[0].sane && r[1].sane;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_mix [options]\n"
               "  Mixing capacity of one core with real Opus frames: (a) one meeting of N with 3\n"
               "  talkers, (b) meetings of 5, all talking; shared encoding against one encode per\n"
               "  participant, side by side. Excludes packetization, SRTP and send unless --srtp.\n"
               "  --complexity C   server Opus encoder complexity 0-10 (default 5, the server's)\n"
               "  --budget-ms X    a load fits when its p99 tick CPU time is <= X (default 15)\n"
               "  --ticks T        timed ticks per evaluation (default 250 = 5 s of audio)\n"
               "  --max-n N        search limit for (a) (default 10000)\n"
               "  --max-meetings M search limit for (b) (default 1000)\n"
               "  --only a|b       run one scenario\n"
               "  --at X           no search: evaluate both modes at X (participants or meetings)\n"
               "  --mode M         with --at: only shared or per-participant (for a profiler)\n"
               "  --open-mics      (a): listeners send quiet room noise, decoded every tick\n"
               "  --srtp [SUITE]   add rtpsec_protect per receiver (default "
               "AES_CM_128_HMAC_SHA1_80)\n"
               "  --quick          small search for a smoke test\n"
               "  --help\n");
}

static unsigned parse_uint(const char *s, unsigned lo, unsigned hi)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        usage(stderr);
        exit(2);
    }
    return (unsigned)v;
}

static double parse_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v > 0 && v <= 1000)) {
        usage(stderr);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
    *cfg = (struct config){.complexity = 5,
                           .budget_ms = 15.0,
                           .ticks = 250,
                           .warm = 25,
                           .max_n = 10000,
                           .max_meetings = 1000,
                           .resolution = 0.02,
                           .suite = RTPSEC_AES_CM_128_HMAC_SHA1_80,
                           .mode = -1};
    int ticks_set = 0, max_n_set = 0, max_m_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--quick")) {
            cfg->quick = 1;
        } else if (!strcmp(a, "--open-mics")) {
            cfg->open_mics = 1;
        } else if (!strcmp(a, "--srtp")) {
            cfg->srtp = 1;
            if (v && v[0] != '-') {
                if (rtpsec_suite_parse(v, &cfg->suite)) {
                    fprintf(stderr, "bench_mix: unknown SRTP suite %s\n", v);
                    exit(2);
                }
                i++;
            }
        } else if (v && !strcmp(a, "--complexity")) {
            cfg->complexity = (int)parse_uint(argv[++i], 0, 10);
        } else if (v && !strcmp(a, "--budget-ms")) {
            cfg->budget_ms = parse_ms(argv[++i]);
        } else if (v && !strcmp(a, "--ticks")) {
            cfg->ticks = (int)parse_uint(argv[++i], 10, 100000);
            ticks_set = 1;
        } else if (v && !strcmp(a, "--max-n")) {
            cfg->max_n = parse_uint(argv[++i], A_TALKERS + 1, 1000000);
            max_n_set = 1;
        } else if (v && !strcmp(a, "--max-meetings")) {
            cfg->max_meetings = parse_uint(argv[++i], 1, 100000);
            max_m_set = 1;
        } else if (v && !strcmp(a, "--at")) {
            cfg->at = parse_uint(argv[++i], 1, 1000000);
        } else if (v && !strcmp(a, "--mode") &&
                   (!strcmp(v, "shared") || !strcmp(v, "per-participant"))) {
            cfg->mode = !strcmp(argv[++i], "per-participant");
        } else if (v && !strcmp(a, "--only") && (!strcmp(v, "a") || !strcmp(v, "b"))) {
            cfg->only = argv[++i][0];
        } else {
            usage(stderr);
            exit(2);
        }
    }
    if (cfg->quick) {
        /* Enough to run every path once, not to measure: a smoke test on a shared CI box. */
        cfg->ticks = ticks_set ? cfg->ticks : 30;
        cfg->warm = 10;
        cfg->max_n = max_n_set ? cfg->max_n : 512;
        cfg->max_meetings = max_m_set ? cfg->max_meetings : 64;
        cfg->resolution = 0.25;
    }
}

int main(int argc, char **argv)
{
    struct config cfg;
    parse_args(argc, argv, &cfg);
    if (cfg.srtp) {
        int err = rtpsec_global_init();
        if (err)
            die("rtpsec_global_init", err);
    }
    int64_t s0 = cpu_ns();
    make_streams();
    printf("bench_mix: %s, server encoder complexity %d, 32 kbit/s, FEC on; cpu flags 0x%x\n",
           opus_get_version_string(), cfg.complexity, cpu_flags());
    printf("  per evaluation: %d warm-up + %d timed ticks; a load fits when p99 tick thread-CPU "
           "<= %.1f ms of the %.0f ms tick\n",
           cfg.warm, cfg.ticks, cfg.budget_ms, TICK_MS);
    printf("  per tick: decode of each sender, amix_input_ready for all + amix_run, encodes; "
           "%s\n",
           cfg.srtp ? "plus RTP header + rtpsec_protect per receiver" : "no RTP/SRTP/send");
    if (cfg.srtp)
        printf("  SRTP suite %s, one outbound context per receiver\n",
               rtpsec_suite_name(cfg.suite));
    printf("  set-up: %d streams x %d frames pre-encoded in %.2f s; columns: ms of CPU per tick "
           "(median, p99, max; phases are means), encoder calls and mixed talkers per tick\n",
           STREAMS, LOOP_FRAMES, (double)(cpu_ns() - s0) / 1e9);
    int sane = 1;
    if (cfg.only != 'b')
        sane &= run_big(&cfg);
    if (cfg.only != 'a') {
        sane &= run_small(&cfg, B_SIZE);
        sane &= run_small(&cfg, A_TALKERS);
    }
    if (cfg.srtp)
        rtpsec_global_deinit();
    if (!sane) {
        fprintf(stderr, "bench_mix: the mixer did not pick the talkers as expected\n");
        return 1;
    }
    return 0;
}
