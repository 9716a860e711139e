/* libFuzzer target for codec/pay_h264.c: the input is a series of RTP payloads for the
 * depacketizer; every access unit it releases goes through the packetizer and back. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pay_h264.h"

/* Header: max_payload selector (1). Record: flags (1), seq step (1, signed), payload length
 * (2, big endian), payload. Flags: 0x01 marker, 0x02 next timestamp, 0x04 timestamp back. */
#define HDR_LEN   1
#define REC_LEN   4
#define F_MARKER  0x01
#define F_NEXT_TS 0x02
#define F_BACK_TS 0x04
#define MAX_AU    8192
#define MAX_PKTS  128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Scratch for the round trip, allocated once per input: no globals. Sizes keep each input
 * under glibc's 128 KiB trim threshold, so replay does not spend its time in brk. */
struct scratch {
    uint8_t *buf;
    size_t cap;
    struct pay_h264_pkt pkts[MAX_PKTS * 4];
};

/* A released unit is Annex B with 4-byte start codes; packetize it and depacketize the result
 * with a fresh depacketizer: every packet must be accepted and the unit come back whole. */
static void round_trip(struct scratch *s, const struct pay_h264_au *au, size_t max_payload)
{
    check(au->len >= 5 && au->len <= MAX_AU && !memcmp(au->data, "\0\0\0\1", 4));
    int n = pay_h264_packetize(au->data, au->len, max_payload, s->buf, s->cap, s->pkts,
                               sizeof(s->pkts) / sizeof(s->pkts[0]));
    /* Payload bytes may hold start codes or end in zeros, which Annex B cannot carry. */
    check(n > 0 || n == -EBADMSG || n == -ENOBUFS);
    if (n <= 0)
        return;
    /* A start code inside a NAL splits it, growing the unit by a byte each time. */
    struct pay_h264_depay_params p = {.max_au = 2 * MAX_AU, .max_pkts = MAX_PKTS * 4};
    struct pay_h264_depay *d;
    if (pay_h264_depay_create(&d, &p) != 0)
        abort();
    struct pay_h264_au out = {0};
    int r = 0;
    for (int i = 0; i < n; i++) {
        check(s->pkts[i].len <= max_payload && s->pkts[i].marker == (i == n - 1));
        r = pay_h264_depay_put(d, (uint16_t)(1000 + i), au->ts, s->pkts[i].marker,
                               s->buf + s->pkts[i].off, s->pkts[i].len, &out);
        check(r == (i == n - 1 ? PAY_H264_AU_READY : 0));
    }
    check(out.len >= 5 && out.len <= au->len + au->len / 3 && out.ts == au->ts);
    pay_h264_depay_destroy(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR_LEN)
        return 0;
    size_t max_payload = 3 + (size_t)data[0] * 6;
    struct pay_h264_depay_params p = {.max_au = MAX_AU, .max_pkts = MAX_PKTS};
    struct pay_h264_depay *d;
    if (pay_h264_depay_create(&d, &p) != 0)
        abort();
    struct scratch *s = malloc(sizeof(*s));
    if (!s)
        abort();
    s->cap = pay_h264_buf_bound(MAX_AU, max_payload);
    s->buf = malloc(s->cap);
    if (!s->buf)
        abort();
    uint16_t seq = 0;
    uint32_t ts = 90000;
    size_t off = HDR_LEN;
    while (off + REC_LEN <= size) {
        const uint8_t *r = data + off;
        size_t len = (size_t)r[2] << 8 | r[3];
        off += REC_LEN;
        if (len > size - off)
            len = size - off;
        seq = (uint16_t)(seq + (int8_t)r[1]);
        if (r[0] & F_NEXT_TS)
            ts += 3000;
        if (r[0] & F_BACK_TS)
            ts -= 3000;
        struct pay_h264_au au = {0};
        int v = pay_h264_depay_put(d, seq, ts, r[0] & F_MARKER, data + off, len, &au);
        check((v >= 0 && v <= (PAY_H264_AU_READY | PAY_H264_AU_LOST)) || v == -EBADMSG ||
              v == -ENOTSUP);
        if (v > 0 && (v & PAY_H264_AU_READY))
            round_trip(s, &au, max_payload);
        off += len;
    }
    struct pay_h264_stats st;
    pay_h264_depay_get_stats(d, &st);
    check(st.aus + st.dropped_aus <= st.packets);
    pay_h264_depay_destroy(&d);
    free(s->buf);
    free(s);
    return 0;
}
