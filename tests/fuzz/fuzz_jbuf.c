/* libFuzzer target for mcu/jbuf.c: the input is a sequence of put/get operations. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "jbuf.h"

/* Header: rate selector, capacity, min delay, max payload. Record: op flags (1), seq step (1),
 * ts step (2), clock step (2), payload length (1), frame_ts selector (1). Steps keep a stream
 * mostly plausible (so the buffer gets deep into its states); flags ask for jumps, an SSRC
 * change or a clock going backwards. */
#define HDR_LEN       4
#define REC_LEN       8
#define OP_PUT        0x01
#define OP_GET        0x02
#define OP_SSRC       0x04 /* switch to another of three sources */
#define OP_BACKWARDS  0x08 /* the clock step goes back */
#define OP_SEQ_ABS    0x10 /* the seq byte sets the high byte of seq instead of a step */
#define OP_TS_JUMP    0x20 /* the ts step is shifted 16 bits up */
#define OP_SAME_CLOCK 0x40 /* no clock step: several packets at one instant */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

struct state {
    struct jbuf *jb;
    struct jbuf_params p;
    uint32_t tick_ts, ssrc;
    uint16_t seq;
    uint32_t ts;
    uint64_t now;
};

static uint32_t frame_ts_of(const struct state *s, uint8_t sel)
{
    switch (sel % 5) {
    case 0:
    case 1:
        return s->tick_ts;
    case 2:
        return 0;
    case 3:
        return 2 * s->tick_ts;
    default:
        return (uint32_t)sel * 1000u;
    }
}

/* Payload bytes follow from the first, so that a corrupted or misplaced copy shows. */
static void do_put(struct state *s, const uint8_t *r)
{
    uint8_t pl[80];
    size_t len = r[6] % (s->p.max_payload + 2);
    len = len > sizeof(pl) ? sizeof(pl) : len;
    for (size_t i = 0; i < len; i++)
        pl[i] = (uint8_t)(s->seq + 7 * i);
    int v = jbuf_put(s->jb, s->ssrc, s->seq, s->ts, frame_ts_of(s, r[7]), pl, len, s->now);
    check(v == 0 || v == -EALREADY || v == -ETIME || v == -EMSGSIZE);
    check((v == -EMSGSIZE) == (len > s->p.max_payload));
}

static void do_get(struct state *s)
{
    const uint8_t *d = NULL;
    size_t len = 12345;
    enum jbuf_status st = jbuf_get(s->jb, s->now, &d, &len);
    if (st == JBUF_FRAME || st == JBUF_LOST_FEC) {
        check(len <= s->p.max_payload);
        check(d != NULL || len == 0);
        for (size_t i = 1; i < len; i++)
            check(d[i] == (uint8_t)(d[0] + 7 * i));
    } else {
        check(st == JBUF_LOST || st == JBUF_EMPTY);
        check(d == NULL && len == 0);
    }
}

static void step(struct state *s, const uint8_t *r)
{
    static const uint32_t ssrcs[] = {0x1234, 0x5678, 0x9abc};
    uint8_t op = r[0];
    if (op & OP_SSRC)
        s->ssrc = ssrcs[(s->ssrc + r[1]) % 3];
    if (op & OP_SEQ_ABS)
        s->seq = (uint16_t)(r[1] << 8);
    else
        s->seq = (uint16_t)(s->seq + (int8_t)r[1]);
    int32_t dts = (int16_t)(r[2] << 8 | r[3]);
    s->ts += (op & OP_TS_JUMP) ? (uint32_t)dts << 16 : (uint32_t)(dts * (int32_t)s->tick_ts / 64);
    uint64_t dt = op & OP_SAME_CLOCK ? 0 : (uint64_t)(r[4] << 8 | r[5]) * 16;
    s->now = (op & OP_BACKWARDS) ? s->now - dt : s->now + dt;
    if (op & OP_PUT)
        do_put(s, r);
    if (op & OP_GET)
        do_get(s);
}

static void check_stats(const struct state *s)
{
    struct jbuf_stats st;
    jbuf_get_stats(s->jb, &st);
    check(st.target_ms >= s->p.min_delay_ms && st.target_ms <= s->p.max_delay_ms);
    check(st.jitter_ms <= s->p.max_delay_ms);
    check(st.played + st.skipped <= st.put);
    check(st.duplicate + st.late <= st.put);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t rates[] = {48000, 8000, 16000};
    if (size < HDR_LEN)
        return 0;
    struct state s = {.ssrc = 0x1234, .now = (uint64_t)data[0] << 40};
    s.p.clock_rate = rates[data[0] % 3];
    s.p.frame_ms = 20;
    s.p.capacity = 1 + data[1] % 32;
    s.p.min_delay_ms = (uint32_t)(data[2] % 251) * 2; /* 0..500 ms */
    s.p.max_delay_ms = 500;
    s.p.max_payload = 1 + data[3] % 64;
    s.p.margin_ms = (uint32_t)(data[3] >> 6) * 5; /* 0 (a frame), 5, 10, 15 ms */
    s.tick_ts = s.p.clock_rate / 50;
    if (jbuf_create(&s.jb, &s.p) != 0)
        abort();
    for (size_t off = HDR_LEN; off + REC_LEN <= size; off += REC_LEN) {
        step(&s, data + off);
        check_stats(&s);
    }
    jbuf_destroy(&s.jb);
    return 0;
}
