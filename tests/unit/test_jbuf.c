/* Unit tests for the adaptive jitter buffer (mcu/jbuf.c), on simulated streams and networks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "jbuf.h"

#define MAXP    1000
#define TICK_US 20000u
#define T0      1000000000ull /* the simulated clock at packet 0's send time, us */
#define NET_US  30000u        /* the fastest path's one-way delay */
#define NEVER   UINT64_MAX    /* arrival of a lost packet */
#define SSRC_A  0x11111111u
#define SSRC_B  0x22222222u

/* A scenario: packet k carries k in its payload and arrives at at[k]; ticks are every 20 ms
 * from T0, and before each tick every packet that has arrived by then is put, in arrival order. */
struct sim {
    struct jbuf *jb;
    uint32_t tick_ts;
    unsigned n, cursor;
    uint64_t at[MAXP];
    uint16_t seq[MAXP];
    uint32_t ts[MAXP], ssrc[MAXP];
    int ret[MAXP]; /* what jbuf_put returned */
    unsigned order[MAXP];
    bool sorted;
};

struct tick {
    enum jbuf_status st;
    long k; /* packet index in the returned payload, -1 for none */
    uint64_t now;
};

static struct jbuf_params params(uint32_t rate, uint32_t min_ms, unsigned capacity)
{
    struct jbuf_params p = {.clock_rate = rate,
                            .frame_ms = 20,
                            .min_delay_ms = min_ms,
                            .max_delay_ms = 500,
                            .capacity = capacity,
                            .max_payload = 1500};
    return p;
}

static struct sim *sim_new(const struct jbuf_params *p, unsigned n, uint16_t seq0, uint32_t ts0)
{
    struct sim *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(jbuf_create(&s->jb, p), 0);
    s->tick_ts = p->clock_rate / 50;
    s->n = n;
    for (unsigned k = 0; k < n; k++) {
        s->seq[k] = (uint16_t)(seq0 + k);
        s->ts[k] = ts0 + k * s->tick_ts;
        s->ssrc[k] = SSRC_A;
        s->at[k] = T0 + (uint64_t)k * TICK_US + NET_US;
    }
    return s;
}

static void sim_free(struct sim *s)
{
    jbuf_destroy(&s->jb);
    assert_null(s->jb);
    free(s);
}

static void sort_arrivals(struct sim *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        unsigned j = i;
        while (j > 0 && s->at[s->order[j - 1]] > s->at[i]) {
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = i;
    }
    s->sorted = true;
}

static void put_k(struct sim *s, unsigned k)
{
    uint8_t pl[4] = {(uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
    s->ret[k] =
        jbuf_put(s->jb, s->ssrc[k], s->seq[k], s->ts[k], s->tick_ts, pl, sizeof(pl), s->at[k]);
}

static void deliver(struct sim *s, uint64_t now)
{
    if (!s->sorted)
        sort_arrivals(s);
    while (s->cursor < s->n && s->at[s->order[s->cursor]] <= now)
        put_k(s, s->order[s->cursor++]);
}

static long payload_k(const uint8_t *d, size_t len)
{
    assert_non_null(d);
    assert_int_equal(len, 4);
    return (long)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]);
}

static struct tick tick_at(struct sim *s, unsigned i)
{
    struct tick t = {.now = T0 + (uint64_t)i * TICK_US, .k = -1};
    deliver(s, t.now);
    const uint8_t *d = (const uint8_t *)"x";
    size_t len = 99;
    t.st = jbuf_get(s->jb, t.now, &d, &len);
    if (t.st == JBUF_FRAME || t.st == JBUF_LOST_FEC) {
        t.k = payload_k(d, len);
    } else {
        assert_null(d);
        assert_int_equal(len, 0);
    }
    return t;
}

static void run(struct sim *s, unsigned from, unsigned to, struct tick *rec)
{
    for (unsigned i = from; i < to; i++)
        rec[i] = tick_at(s, i);
}

static struct jbuf_stats stats(const struct sim *s)
{
    struct jbuf_stats st;
    jbuf_get_stats(s->jb, &st);
    return st;
}

/* Index of the tick that played packet k as a FRAME, or -1. */
static long tick_of(const struct tick *rec, unsigned nticks, long k)
{
    for (unsigned i = 0; i < nticks; i++)
        if (rec[i].st == JBUF_FRAME && rec[i].k == k)
            return (long)i;
    return -1;
}

/* How long after its fastest-path arrival packet k played: the buffered delay, us. */
static long delay_us(const struct tick *rec, unsigned nticks, long k)
{
    long i = tick_of(rec, nticks, k);
    assert_true(i >= 0);
    return (long)(rec[i].now - (T0 + (uint64_t)k * TICK_US + NET_US));
}

/* From the first FRAME on, ticks play packets first, first + 1, ... up to last. */
static void assert_plays_run(const struct tick *rec, unsigned nticks, long first, long last)
{
    long i = tick_of(rec, nticks, first);
    assert_true(i >= 0);
    for (long k = first; k <= last; k++, i++) {
        assert_true(i < (long)nticks);
        assert_int_equal(rec[i].st, JBUF_FRAME);
        assert_int_equal(rec[i].k, k);
    }
}

static struct tick rec_buf[2 * MAXP];

/* A mixer that already waits up to a tick for its next tick keeps a small margin: the same
 * stream plays a tick earlier (at the 40 ms tick, 10 ms after packet 0 arrived), target 5 ms;
 * a packet 8 ms late now and then raises the target to cover it instead of being lost. */
static void test_small_margin(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 5, 64);
    p.margin_ms = 5;
    struct sim *s = sim_new(&p, 200, 1000, 123456);
    run(s, 0, 60, rec_buf);
    assert_int_equal(tick_of(rec_buf, 60, 0), 2);
    assert_plays_run(rec_buf, 60, 0, 57);
    assert_int_equal(stats(s).target_ms, 5);
    sim_free(s);

    s = sim_new(&p, 200, 1000, 123456);
    for (unsigned k = 60; k < 200; k += 10)
        s->at[k] += 8000;
    run(s, 0, 210, rec_buf);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.target_ms, 13);
    assert_true(st.lost + st.late <= 1); /* only the first late one, before the window knew */
    sim_free(s);
}

static void test_in_order(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 200, 1000, 123456);
    run(s, 0, 210, rec_buf);
    /* Packet 0 arrives at 30 ms; it has waited the 20 ms target at the 60 ms tick. */
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(rec_buf[i].st, JBUF_EMPTY);
    assert_int_equal(tick_of(rec_buf, 210, 0), 3);
    assert_plays_run(rec_buf, 210, 0, 199);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.put, 200);
    assert_int_equal(st.played, 200);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.late, 0);
    assert_int_equal(st.skipped, 0);
    assert_int_equal(st.reset, 0);
    assert_int_equal(st.jitter_ms, 0);
    assert_int_equal(st.target_ms, 20);
    /* The stream ended: a short concealment, then silence, never counted as loss. */
    unsigned lost_ticks = 0;
    for (unsigned i = 203; i < 210; i++)
        lost_ticks += rec_buf[i].st == JBUF_LOST;
    assert_int_equal(lost_ticks, 5);
    assert_int_equal(rec_buf[209].st, JBUF_EMPTY);
    assert_int_equal(stats(s).lost, 0);
    sim_free(s);
}

static void test_reorder_repaired(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 60, 64);
    struct sim *s = sim_new(&p, 200, 500, 0);
    for (unsigned k = 10; k < 190; k += 10) /* every 10th arrives 30 ms late, after k + 1 */
        s->at[k] += 30000;
    s->at[100] = s->at[101] + 1000; /* and one just after the next */
    run(s, 0, 200, rec_buf);
    assert_plays_run(rec_buf, 200, 0, 190);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.late, 0);
    assert_int_equal(st.skipped, 0);
    assert_int_equal(st.jitter_ms, 30); /* 10 % of the window is 30 ms late */
    assert_int_equal(st.target_ms, 60);
    sim_free(s);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 100, 7, 0);
    run(s, 0, 20, rec_buf);
    put_k(s, 17); /* still buffered */
    assert_int_equal(s->ret[17], -EALREADY);
    put_k(s, 10); /* already played */
    assert_int_equal(s->ret[10], -EALREADY);
    run(s, 20, 100, rec_buf);
    assert_plays_run(rec_buf, 100, 0, 96);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.duplicate, 2);
    assert_int_equal(st.played, 97);
    assert_int_equal(st.late, 0);
    sim_free(s);
}

static void test_late(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 100, 0, 0);
    s->at[20] += 100000; /* its tick passes first (concealed from 21's FEC) */
    s->at[60] += 600000; /* over max_delay: too late even for a waiting buffer */
    s->at[61] += 600000;
    run(s, 0, 110, rec_buf);
    assert_int_equal(s->ret[20], -ETIME);
    assert_int_equal(s->ret[60], -ETIME);
    assert_int_equal(s->ret[61], -ETIME);
    long i = tick_of(rec_buf, 110, 19);
    assert_int_equal(rec_buf[i + 1].st, JBUF_LOST_FEC);
    assert_int_equal(rec_buf[i + 1].k, 21);
    assert_int_equal(rec_buf[i + 2].k, 21);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.late, 3);
    assert_int_equal(st.lost, 3);
    assert_int_equal(st.played, 97);
    sim_free(s);
}

static void test_single_loss_fec(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 100, 65000, 0);
    s->at[50] = NEVER;
    run(s, 0, 100, rec_buf);
    long i = tick_of(rec_buf, 100, 49);
    assert_int_equal(rec_buf[i + 1].st, JBUF_LOST_FEC);
    assert_int_equal(rec_buf[i + 1].k, 51); /* the next packet, to decode with fec=1 */
    assert_int_equal(rec_buf[i + 2].st, JBUF_FRAME);
    assert_int_equal(rec_buf[i + 2].k, 51);
    assert_plays_run(rec_buf, 100, 51, 96);
    assert_int_equal(stats(s).lost, 1);
    sim_free(s);
}

static void test_single_loss_plc(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 100, 0, 0);
    s->at[50] = NEVER;
    s->at[51] += 25000; /* not there yet when 50 is due */
    run(s, 0, 100, rec_buf);
    long i = tick_of(rec_buf, 100, 49);
    assert_int_equal(rec_buf[i + 1].st, JBUF_LOST);
    assert_int_equal(rec_buf[i + 2].st, JBUF_FRAME);
    assert_int_equal(rec_buf[i + 2].k, 51); /* no second concealment, no added delay */
    assert_plays_run(rec_buf, 100, 51, 96);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.lost, 1);
    assert_int_equal(st.late, 0);
    sim_free(s);
}

static void test_burst_loss(void **state)
{
    (void)state;
    /* With 60 ms of buffer the packet after the burst is already there. */
    struct jbuf_params p = params(48000, 60, 64);
    struct sim *s = sim_new(&p, 100, 0, 0);
    for (unsigned k = 50; k < 53; k++)
        s->at[k] = NEVER;
    run(s, 0, 100, rec_buf);
    long i = tick_of(rec_buf, 100, 49);
    assert_int_equal(rec_buf[i + 1].st, JBUF_LOST);
    assert_int_equal(rec_buf[i + 2].st, JBUF_LOST);
    assert_int_equal(rec_buf[i + 3].st, JBUF_LOST_FEC);
    assert_int_equal(rec_buf[i + 3].k, 53);
    assert_plays_run(rec_buf, 100, 53, 94);
    assert_int_equal(stats(s).lost, 3);
    sim_free(s);

    /* With 20 ms nothing is buffered during the burst: one concealment per missing frame. */
    p = params(48000, 20, 64);
    s = sim_new(&p, 100, 0, 0);
    for (unsigned k = 50; k < 58; k++)
        s->at[k] = NEVER;
    run(s, 0, 100, rec_buf);
    i = tick_of(rec_buf, 100, 49);
    for (unsigned j = 1; j <= 5; j++) /* the first 100 ms of an unexplained gap: PLC */
        assert_int_equal(rec_buf[i + j].st, JBUF_LOST);
    for (unsigned j = 6; j <= 7; j++)
        assert_int_equal(rec_buf[i + j].st, JBUF_EMPTY);
    assert_int_equal(rec_buf[i + 8].st, JBUF_LOST_FEC); /* 58 came just in time for FEC */
    assert_int_equal(rec_buf[i + 8].k, 58);
    assert_int_equal(rec_buf[i + 9].st, JBUF_FRAME);
    assert_int_equal(rec_buf[i + 9].k, 58);
    assert_int_equal(delay_us(rec_buf, 100, 58), delay_us(rec_buf, 100, 49));
    assert_int_equal(stats(s).lost, 8);
    sim_free(s);
}

static void test_dtx_gap(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 200, 300, 5000);
    for (unsigned k = 100; k < 200; k++) { /* the talker pauses 2 s: ts jumps, seq does not */
        s->ts[k] += 2 * 48000;
        s->at[k] += 2000000;
    }
    run(s, 0, 310, rec_buf);
    long i = tick_of(rec_buf, 310, 99), j = tick_of(rec_buf, 310, 100);
    assert_true(i > 0 && j > i);
    assert_int_equal(j - i, 101); /* 2 s of silence, then exactly on schedule */
    unsigned lost_ticks = 0;
    for (long t = i + 1; t < j; t++) {
        assert_true(rec_buf[t].st == JBUF_LOST || rec_buf[t].st == JBUF_EMPTY);
        if (rec_buf[t].st == JBUF_LOST) {
            assert_true(t <= i + 5); /* a fade-out, never PLC for the whole pause */
            lost_ticks++;
        }
    }
    assert_int_equal(lost_ticks, 5);
    assert_plays_run(rec_buf, 310, 100, 199);
    assert_int_equal(delay_us(rec_buf, 310, 100) - 2000000, delay_us(rec_buf, 310, 99));
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.played, 200);
    assert_int_equal(st.reset, 0);
    assert_int_equal(st.skipped, 0);
    sim_free(s);
}

/* The last packet before a pause is lost: it is only known missing when the pause ends, and is
 * then rebuilt from the first packet's FEC; the pause itself still concealed only briefly. */
static void test_loss_at_pause(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 200, 0, 0);
    s->at[99] = NEVER;
    for (unsigned k = 100; k < 200; k++) {
        s->ts[k] += 48000;
        s->at[k] += 1000000;
    }
    run(s, 0, 260, rec_buf);
    long i = tick_of(rec_buf, 260, 98), j = tick_of(rec_buf, 260, 100);
    for (long t = i + 6; t < j - 1; t++)
        assert_int_equal(rec_buf[t].st, JBUF_EMPTY);
    assert_int_equal(rec_buf[j - 1].st, JBUF_LOST_FEC);
    assert_int_equal(rec_buf[j - 1].k, 100);
    assert_plays_run(rec_buf, 260, 100, 199);
    assert_int_equal(stats(s).lost, 1);
    sim_free(s);
}

/* The target rises just before a pause: the silence is stretched to reach it, for free. */
static void test_silence_stretched(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 300, 0, 0);
    for (unsigned k = 100; k <= 150; k += 10)
        s->at[k] += 60000; /* overtaken: lost and late, raising the target to 80 ms */
    for (unsigned k = 152; k < 300; k++) {
        s->ts[k] += 48000;
        s->at[k] += 1000000;
    }
    run(s, 0, 200, rec_buf);
    assert_int_equal(stats(s).target_ms, 80); /* in the pause */
    run(s, 200, 360, rec_buf);
    struct jbuf_stats st = stats(s);
    assert_true(delay_us(rec_buf, 360, 151) <= 40000);
    long d = delay_us(rec_buf, 360, 152) - 1000000;
    assert_true(d >= 60000 && d <= 80000);
    long j = tick_of(rec_buf, 360, 152);
    assert_int_equal(rec_buf[j - 1].st, JBUF_EMPTY);
    assert_plays_run(rec_buf, 360, 152, 190); /* no concealed frame inserted to grow */
    assert_int_equal(st.lost, 6);
    assert_int_equal(st.late, 6);
    sim_free(s);
}

/* 40 ms packets on a 20 ms tick: each is returned once, the tick after it is EMPTY (the caller
 * still holds half of its audio), nothing is concealed. */
static void test_long_packets(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct jbuf *jb;
    assert_int_equal(jbuf_create(&jb, &p), 0);
    unsigned frames = 0, empty_after_start = 0;
    long last = -1;
    for (unsigned i = 0; i < 200; i++) {
        uint64_t now = T0 + (uint64_t)i * TICK_US;
        if (i % 2 == 0 && i < 180) { /* packet i/2 arrives 30 ms after it was sent */
            uint8_t pl[4] = {0, 0, 0, (uint8_t)(i / 2)};
            assert_int_equal(jbuf_put(jb, SSRC_A, (uint16_t)(i / 2), i / 2 * 1920, 1920, pl, 4,
                                      now + NET_US - 20000),
                             0);
        }
        const uint8_t *d;
        size_t len;
        enum jbuf_status st = jbuf_get(jb, now, &d, &len);
        if (st == JBUF_FRAME) {
            assert_int_equal(payload_k(d, len), last + 1);
            last++;
            frames++;
        } else if (frames && last < 89) {
            assert_int_equal(st, JBUF_EMPTY);
            empty_after_start++;
        }
    }
    assert_int_equal(frames, 90);
    assert_int_equal(empty_after_start, 89);
    struct jbuf_stats st;
    jbuf_get_stats(jb, &st);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.skipped, 0);
    jbuf_destroy(&jb);
}

static void test_seq_and_ts_wrap(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 40, 64);
    /* seq wraps at packet 36, ts at packet 50 */
    struct sim *s = sim_new(&p, 200, 65500, 0xffffffffu - 50 * 960 + 1);
    s->at[35] = s->at[36] + 1000; /* 65535 arrives after 0 */
    s->at[49] = s->at[50] + 1000; /* the last ts before the wrap arrives after the first after */
    s->at[80] = NEVER;
    run(s, 0, 210, rec_buf);
    assert_plays_run(rec_buf, 210, 0, 79);
    assert_plays_run(rec_buf, 210, 81, 199);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.reset, 0);
    assert_int_equal(st.lost, 1);
    assert_int_equal(st.played, 199);
    sim_free(s);
}

static void test_ssrc_change(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 200, 100, 0);
    for (unsigned k = 100; k < 200; k++) { /* another source, numbered from elsewhere */
        s->ssrc[k] = SSRC_B;
        s->seq[k] = (uint16_t)(40000 + k);
        s->ts[k] = 0x80000000u + k * 960;
    }
    s->at[99] = s->at[101] + 1000; /* A's last packet straggles in after B started */
    run(s, 0, 210, rec_buf);
    assert_int_equal(s->ret[99], -ETIME);
    assert_plays_run(rec_buf, 210, 0, 98);
    assert_plays_run(rec_buf, 210, 100, 199);
    long i = tick_of(rec_buf, 210, 98), j = tick_of(rec_buf, 210, 100);
    assert_true(j - i <= 4); /* B refills from scratch: a short gap */
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.reset, 1);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.played, 199);
    sim_free(s);
}

static void test_jump_resets(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 200, 100, 0);
    for (unsigned k = 100; k < 200; k++)
        s->seq[k] = (uint16_t)(s->seq[k] + 20000); /* same SSRC, seq far ahead */
    for (unsigned k = 150; k < 200; k++)
        s->ts[k] += 3000000000u; /* and then ts */
    run(s, 0, 210, rec_buf);
    /* A restart drops what the old stream still held (99, 149) and refills: a short gap. */
    assert_plays_run(rec_buf, 210, 0, 98);
    assert_plays_run(rec_buf, 210, 100, 148);
    assert_plays_run(rec_buf, 210, 150, 199);
    assert_int_equal(tick_of(rec_buf, 210, 100) - tick_of(rec_buf, 210, 98), 2);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.reset, 2);
    assert_int_equal(st.late, 0);
    assert_int_equal(st.lost, 0); /* a restart is not loss */
    sim_free(s);
}

/* Packets 250..299 (one second) are delayed 200 ms: the target must rise to cover them, then
 * target and real delay must come back down once the spike has passed. */
static void test_jitter_spike(void **state)
{
    (void)state;
    enum { N = 900, SPIKE_FROM = 250, SPIKE_TO = 300 };
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, N, 0, 0);
    for (unsigned k = SPIKE_FROM; k < SPIKE_TO; k++)
        s->at[k] += 200000;
    uint32_t target[N + 10];
    uint32_t max_target = 0;
    for (unsigned i = 0; i < N + 3; i++) {
        rec_buf[i] = tick_at(s, i);
        target[i] = stats(s).target_ms;
        max_target = target[i] > max_target ? target[i] : max_target;
    }
    const unsigned end = SPIKE_TO + 1; /* the tick at which the spike's last packet arrives */
    assert_int_equal(target[SPIKE_FROM], 20);
    assert_true(delay_us(rec_buf, N, SPIKE_FROM - 1) <= 40000);
    assert_true(max_target >= 200 && max_target <= 240);
    /* The late packets played rather than being dropped: nothing lost during the spike. */
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.late, 0);

    unsigned t_target = 0, t_delay = 0;
    for (unsigned i = end; i < N && !t_target; i++)
        if (target[i] <= 40)
            t_target = i;
    for (long k = SPIKE_TO; k < N - 10 && !t_delay; k++) {
        long i = tick_of(rec_buf, N, k);
        if (i >= 0 && delay_us(rec_buf, N, k) <= (long)(target[i] + 20) * 1000 && target[i] <= 40)
            t_delay = (unsigned)i;
    }
    print_message("spike: max target %u ms; target <= 40 ms %u ms after the spike, delay <= "
                  "target + 20 ms %u ms after, %llu frames skipped\n",
                  max_target, (t_target - end) * 20, (t_delay - end) * 20,
                  (unsigned long long)stats(s).skipped);
    assert_true(t_target > end && (t_target - end) * 20 <= 3000);
    assert_true(t_delay > end && (t_delay - end) * 20 <= 8000);
    /* ... and it stays there, every frame played in order. */
    assert_true(delay_us(rec_buf, N, N - 10) <= 60000);
    assert_int_equal(stats(s).target_ms, 20);
    assert_plays_run(rec_buf, N, 0, SPIKE_FROM - 1);
    st = stats(s);
    assert_true(st.skipped <= 12);
    assert_int_equal(rec_buf[N + 2].st, JBUF_FRAME); /* still playing; all others played or */
    assert_int_equal(st.played + st.skipped, rec_buf[N + 2].k + 1); /* skipped, in order */
    sim_free(s);
}

/* Every 10th packet comes 60 ms late, overtaken by the next two: nothing ever underruns, so
 * the delay must follow the raised target by inserting concealed frames. */
static void test_grows_without_underrun(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 400, 0, 0);
    for (unsigned k = 100; k < 400; k += 10)
        s->at[k] += 60000;
    run(s, 0, 400, rec_buf);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.target_ms, 80);
    assert_true(st.late >= 1 && st.late <= 7); /* until 5 % of the window showed the jitter */
    assert_int_equal(st.lost, st.late);
    for (unsigned k = 200; k < 380; k += 10)
        assert_int_equal(s->ret[k], 0); /* since then, every late packet plays */
    assert_true(delay_us(rec_buf, 400, 300) >= 60000 && delay_us(rec_buf, 400, 300) <= 100000);
    assert_int_equal(st.skipped, 0);
    unsigned inserted = 0;
    for (unsigned i = 0; i < 400; i++)
        inserted += rec_buf[i].st == JBUF_LOST;
    assert_true(inserted >= 2 && inserted <= 3);
    sim_free(s);
}

/* After a spike the target is down but the delay is still high; a talker pause absorbs the
 * excess at once instead of frame drops every 500 ms. */
static void test_silence_absorbs_excess(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 600, 0, 0);
    for (unsigned k = 250; k < 300; k++)
        s->at[k] += 200000;
    for (unsigned k = 420; k < 600; k++) {
        s->ts[k] += 48000;
        s->at[k] += 1000000;
    }
    run(s, 0, 660, rec_buf);
    assert_true(delay_us(rec_buf, 660, 419) >= 150000);
    assert_true(delay_us(rec_buf, 660, 420) - 1000000 <= 40000);
    struct jbuf_stats st = stats(s);
    assert_true(st.skipped <= 2);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.target_ms, 20);
    assert_plays_run(rec_buf, 660, 420, 599);
    sim_free(s);
}

/* The path gets 700 ms slower for good (over max_delay): after a run of late packets the
 * estimate follows the new path instead of dropping 2 s of audio. */
static void test_path_slower(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 64);
    struct sim *s = sim_new(&p, 300, 0, 0);
    for (unsigned k = 100; k < 300; k++)
        s->at[k] += 700000;
    run(s, 0, 340, rec_buf);
    for (unsigned k = 100; k < 109; k++)
        assert_int_equal(s->ret[k], -ETIME);
    assert_plays_run(rec_buf, 340, 109, 299);
    assert_true(delay_us(rec_buf, 340, 200) - 700000 <= 40000);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.late, 9);
    assert_int_equal(st.lost, 9);
    assert_int_equal(st.reset, 0);
    sim_free(s);
}

static void test_overflow(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 8);
    struct sim *s = sim_new(&p, 20, 0, 0);
    deliver(s, T0 + 19 * TICK_US + NET_US); /* the consumer stalled: 20 packets, room for 8 */
    for (unsigned k = 0; k < 20; k++)
        assert_int_equal(s->ret[k], 0);
    assert_int_equal(stats(s).overflow, 12);
    run(s, 21, 30, rec_buf);
    /* It starts at the target delay, not 8 frames behind: older ones are skipped. */
    assert_int_equal(rec_buf[21].st, JBUF_FRAME);
    assert_int_equal(rec_buf[21].k, 18);
    assert_int_equal(rec_buf[22].k, 19);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.played + st.skipped + st.overflow, 20);
    assert_int_equal(st.lost, 0);
    sim_free(s);

    /* While playing: a burst of 12 after a stall pushes the oldest out, playback moves on. */
    s = sim_new(&p, 100, 0, 0);
    for (unsigned k = 40; k < 52; k++)
        s->at[k] = s->at[51];
    run(s, 0, 100, rec_buf);
    st = stats(s);
    assert_int_equal(st.overflow, 4); /* 40..43: playback resumes at 44 */
    assert_int_equal(rec_buf[tick_of(rec_buf, 100, 39) + 1].st, JBUF_LOST);
    long first = tick_of(rec_buf, 100, 44);
    assert_true(first > 0 && rec_buf[first - 1].st != JBUF_FRAME);
    assert_int_equal(st.lost, 0);
    assert_int_equal(rec_buf[99].st, JBUF_FRAME); /* every seq played, skipped or pushed out */
    assert_int_equal(st.played + st.overflow + st.skipped, rec_buf[99].k + 1);
    sim_free(s);
}

static void test_g711(void **state)
{
    (void)state;
    struct jbuf_params p = params(8000, 20, 20);
    struct sim *s = sim_new(&p, 300, 65400, 0xffffff00u); /* both wrap */
    assert_int_equal(s->tick_ts, 160);
    s->at[100] = NEVER;
    for (unsigned k = 200; k < 300; k++) { /* a 1 s pause */
        s->ts[k] += 8000;
        s->at[k] += 1000000;
    }
    run(s, 0, 360, rec_buf);
    assert_int_equal(tick_of(rec_buf, 360, 0), 3);
    long i = tick_of(rec_buf, 360, 99);
    assert_int_equal(rec_buf[i + 1].st, JBUF_LOST_FEC);
    assert_plays_run(rec_buf, 360, 0, 99);
    assert_plays_run(rec_buf, 360, 101, 199);
    assert_plays_run(rec_buf, 360, 200, 299);
    assert_int_equal(tick_of(rec_buf, 360, 200) - tick_of(rec_buf, 360, 199), 51);
    struct jbuf_stats st = stats(s);
    assert_int_equal(st.lost, 1);
    assert_int_equal(st.played, 299);
    assert_int_equal(st.reset, 0);
    assert_int_equal(st.target_ms, 20);
    sim_free(s);
}

static void test_payload_size(void **state)
{
    (void)state;
    struct jbuf_params p = params(48000, 20, 8);
    p.max_payload = 100;
    struct jbuf *jb;
    assert_int_equal(jbuf_create(&jb, &p), 0);
    uint8_t big[101];
    memset(big, 0xab, sizeof(big));
    assert_int_equal(jbuf_put(jb, SSRC_A, 1, 0, 960, big, 101, T0), -EMSGSIZE);
    assert_int_equal(jbuf_put(jb, SSRC_A, 2, 960, 960, big, 100, T0 + 20000), 0);
    assert_int_equal(jbuf_put(jb, SSRC_A, 3, 1920, 960, NULL, 0, T0 + 40000), 0);
    assert_int_equal(jbuf_put(jb, SSRC_A, 4, 2880, 960, NULL, 5, T0 + 60000), -EINVAL);
    struct jbuf_stats st;
    jbuf_get_stats(jb, &st);
    assert_int_equal(st.put, 3);
    assert_int_equal(st.overflow, 1);
    const uint8_t *d;
    size_t len;
    assert_int_equal(jbuf_get(jb, T0 + 40000, &d, &len), JBUF_FRAME);
    assert_int_equal(len, 100);
    assert_int_equal(d[99], 0xab);
    assert_int_equal(jbuf_get(jb, T0 + 60000, &d, &len), JBUF_FRAME);
    assert_int_equal(len, 0);
    jbuf_destroy(&jb);
}

static void test_create_and_edges(void **state)
{
    (void)state;
    struct jbuf *jb = (struct jbuf *)&jb;
    struct jbuf_params p = params(48000, 20, 64);
    struct jbuf_params bad[9];
    for (unsigned i = 0; i < 9; i++)
        bad[i] = p;
    bad[0].clock_rate = 0;
    bad[1].frame_ms = 0;
    bad[2].capacity = 0;
    bad[3].max_payload = 0;
    bad[4].min_delay_ms = 600;
    bad[5].clock_rate = 11025; /* 20 ms is not a whole number of ticks */
    bad[6].max_delay_ms = 10;
    bad[7].max_payload = SIZE_MAX / 2;
    bad[8].margin_ms = 501;
    for (unsigned i = 0; i < 9; i++) {
        assert_int_equal(jbuf_create(&jb, &bad[i]), -EINVAL);
        assert_null(jb);
    }
    assert_int_equal(jbuf_create(&jb, NULL), -EINVAL);
    for (long n = 0; n < 5; n++) { /* every allocation failing in turn */
        mcu_alloc_fail_after(n);
        assert_int_equal(jbuf_create(&jb, &p), -ENOMEM);
        assert_null(jb);
    }
    mcu_alloc_fail_after(-1);
    assert_int_equal(jbuf_create(&jb, &p), 0);
    assert_int_equal(jbuf_get(jb, T0, NULL, NULL), JBUF_EMPTY);
    assert_int_equal(jbuf_get(NULL, T0, NULL, NULL), JBUF_EMPTY);
    assert_int_equal(jbuf_put(NULL, SSRC_A, 0, 0, 960, NULL, 0, T0), -EINVAL);
    struct jbuf_stats st;
    jbuf_get_stats(jb, &st);
    assert_int_equal(st.put, 0);
    assert_int_equal(st.target_ms, 20);
    jbuf_destroy(&jb);
    jbuf_destroy(&jb);
    jbuf_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_small_margin),
        cmocka_unit_test(test_reorder_repaired),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_late),
        cmocka_unit_test(test_single_loss_fec),
        cmocka_unit_test(test_single_loss_plc),
        cmocka_unit_test(test_burst_loss),
        cmocka_unit_test(test_dtx_gap),
        cmocka_unit_test(test_loss_at_pause),
        cmocka_unit_test(test_silence_stretched),
        cmocka_unit_test(test_long_packets),
        cmocka_unit_test(test_seq_and_ts_wrap),
        cmocka_unit_test(test_ssrc_change),
        cmocka_unit_test(test_jump_resets),
        cmocka_unit_test(test_jitter_spike),
        cmocka_unit_test(test_grows_without_underrun),
        cmocka_unit_test(test_silence_absorbs_excess),
        cmocka_unit_test(test_path_slower),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_g711),
        cmocka_unit_test(test_payload_size),
        cmocka_unit_test(test_create_and_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
