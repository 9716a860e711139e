/* bench_jbuf: jitter buffer put+get cost per packet, clean and with jitter, reorder and loss. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jbuf.h"

#define DEFAULT_PACKETS 2000000
#define MIN_PACKETS     1000
#define PAYLOAD         160 /* 64 kb/s Opus in 20 ms */
#define TICK_US         20000
#define TICK_TS         960
#define NET_US          30000
#define MANY_STREAMS    256
#define ROUNDS          3 /* each figure is the median of this many runs */

/* One packet on the simulated network, in arrival order once sorted. */
struct ev {
    uint64_t at;
    uint32_t k;
    uint8_t dup;
};

struct scenario {
    const char *name;
    unsigned jitter_us;   /* uniform extra delay 0..jitter_us: reorders whatever it overtakes */
    unsigned loss_pm;     /* packets lost, per mille */
    unsigned dup_pm;      /* packets sent twice, per mille */
    unsigned spike_every; /* every this many packets, 10 packets stall 200 ms (0: none) */
};

static const struct scenario scenarios[] = {
    {"clean", 0, 0, 0, 0},
    {"jitter 0-40 ms, 2% loss, 0.5% dup", 40000, 20, 5, 0},
    {"+ 200 ms spike every 10 s", 40000, 20, 5, 500},
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int by_arrival(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

static struct ev *schedule(const struct scenario *sc, size_t n, size_t *nev)
{
    struct ev *ev = malloc(sizeof(*ev) * n * 2);
    if (!ev) {
        fprintf(stderr, "bench_jbuf: out of memory\n");
        exit(1);
    }
    size_t m = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (rnd() % 1000 < sc->loss_pm)
            continue;
        uint64_t at = (uint64_t)k * TICK_US + NET_US;
        at += sc->jitter_us ? rnd() % sc->jitter_us : 0;
        if (sc->spike_every && k % sc->spike_every < 10)
            at += 200000;
        ev[m++] = (struct ev){at, k, 0};
        if (rnd() % 1000 < sc->dup_pm)
            ev[m++] = (struct ev){at + rnd() % 20000, k, 1};
    }
    qsort(ev, m, sizeof(*ev), by_arrival);
    *nev = m;
    return ev;
}

struct result {
    double ns_per_pkt;
    struct jbuf_stats st; /* of stream 0 */
};

static struct jbuf *make(void)
{
    struct jbuf_params p = {.clock_rate = 48000,
                            .frame_ms = 20,
                            .min_delay_ms = 20,
                            .max_delay_ms = 500,
                            .capacity = 64,
                            .max_payload = 1500};
    struct jbuf *jb;
    int err = jbuf_create(&jb, &p);
    if (err) {
        fprintf(stderr, "bench_jbuf: jbuf_create: %s\n", strerror(-err));
        exit(1);
    }
    return jb;
}

/* `streams` buffers fed the same schedule, interleaved tick by tick as a server's tick would
 * visit every participant. Only the put and get calls are inside the metered loop's work. */
static struct result run(const struct ev *ev, size_t nev, size_t n, unsigned streams)
{
    struct jbuf *jb[MANY_STREAMS];
    uint8_t payload[PAYLOAD];
    uint64_t sink = 0;
    memset(payload, 0x5a, sizeof(payload));
    for (unsigned s = 0; s < streams; s++)
        jb[s] = make();
    size_t e = 0;
    int64_t t0 = now_ns();
    for (size_t i = 0; i < n + 30; i++) {
        uint64_t now = (uint64_t)i * TICK_US;
        size_t e0 = e;
        for (unsigned s = 0; s < streams; s++) {
            for (e = e0; e < nev && ev[e].at <= now; e++) {
                uint32_t k = ev[e].k;
                jbuf_put(jb[s], 0x1234 + s, (uint16_t)k, k * TICK_TS, TICK_TS, payload, PAYLOAD,
                         ev[e].at);
            }
            const uint8_t *d;
            size_t len;
            if (jbuf_get(jb[s], now, &d, &len) == JBUF_FRAME)
                sink += len;
        }
    }
    int64_t t1 = now_ns();
    struct result r;
    r.ns_per_pkt = (double)(t1 - t0) / ((double)nev * streams);
    jbuf_get_stats(jb[0], &r.st);
    for (unsigned s = 0; s < streams; s++)
        jbuf_destroy(&jb[s]);
    if (sink == 0) {
        fprintf(stderr, "bench_jbuf: nothing played\n");
        exit(1);
    }
    return r;
}

static int by_ns(const void *a, const void *b)
{
    const struct result *x = a, *y = b;
    return (x->ns_per_pkt > y->ns_per_pkt) - (x->ns_per_pkt < y->ns_per_pkt);
}

/* Every packet sent is played, concealed, skipped, rejected or still counted somewhere. */
static void verify(const struct scenario *sc, const struct result *r, size_t n, size_t nev)
{
    const struct jbuf_stats *st = &r->st;
    uint64_t accounted = st->played + st->lost + st->skipped + st->overflow;
    if (st->put != nev || st->played == 0 || accounted + 64 < n || accounted > n + st->late) {
        fprintf(stderr, "bench_jbuf: %s: stats do not add up\n", sc->name);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    size_t n = DEFAULT_PACKETS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--packets") && i + 1 < argc) {
            n = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_jbuf [--packets N]\n");
            return 2;
        }
    }
    n = n < MIN_PACKETS ? MIN_PACKETS : n;
    printf("bench_jbuf: %zu packets of %d bytes per stream, 20 ms Opus ticks, capacity 64, "
           "median of %d\n",
           n, PAYLOAD, ROUNDS);
    printf("%-36s %8s %12s %10s %7s %7s %7s %7s %7s %6s\n", "scenario", "streams", "ns/pkt",
           "Mpkt/s", "played", "lost", "late", "dup", "skipped", "target");
    for (size_t c = 0; c < NSCEN; c++) {
        unsigned counts[] = {1, MANY_STREAMS};
        for (size_t j = 0; j < 2; j++) {
            /* Many streams get fewer packets each, for the same order of total work. */
            size_t per = counts[j] == 1 ? n : n * 4 / counts[j];
            size_t nev;
            struct ev *ev = schedule(&scenarios[c], per, &nev);
            struct result r[ROUNDS];
            for (int k = 0; k < ROUNDS; k++)
                r[k] = run(ev, nev, per, counts[j]);
            free(ev);
            qsort(r, ROUNDS, sizeof(r[0]), by_ns);
            verify(&scenarios[c], &r[1], per, nev);
            const struct jbuf_stats *st = &r[1].st;
            printf("%-36s %8u %12.1f %10.2f %7.2f%% %6.2f%% %6.2f%% %6.2f%% %6.2f%% %4u ms\n",
                   scenarios[c].name, counts[j], r[1].ns_per_pkt, 1e3 / r[1].ns_per_pkt,
                   100.0 * (double)st->played / (double)per, 100.0 * (double)st->lost / (double)per,
                   100.0 * (double)st->late / (double)per,
                   100.0 * (double)st->duplicate / (double)per,
                   100.0 * (double)st->skipped / (double)per, st->target_ms);
        }
    }
    return 0;
}
