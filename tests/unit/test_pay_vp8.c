/* Unit tests for the VP8 RTP payload format (codec/pay_vp8.c): packetize, parse, reassemble. */
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
#include "pay_vp8.h"

#define MAXP    1200
#define BIGLEN  10240
#define OUT_CAP (BIGLEN + PAY_VP8_MAX_PKTS * PAY_VP8_DESC_LEN)

struct fix {
    struct pay_vp8_depay *d;
    struct pay_vp8_params pp;
    uint8_t frame[BIGLEN];
    uint8_t buf[OUT_CAP];
    struct pay_vp8_out out;
};

/* Interframe (P bit set) whose bytes follow from the first, so misordered copies show. */
static void fill_inter(uint8_t *f, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(seed + 13 * i);
    f[0] |= 1;
}

/* Hand-made keyframe: frame tag (P=0, version 0, show_frame, first partition size), start code,
 * 14-bit width and height with 2-bit scale, then filler. */
static size_t make_key(uint8_t *f, size_t len, uint16_t w, uint16_t h, uint8_t hs, uint8_t vs)
{
    uint32_t part = 100;
    uint32_t tag = 0 | (0 << 1) | (1 << 4) | (part << 5);
    f[0] = (uint8_t)tag;
    f[1] = (uint8_t)(tag >> 8);
    f[2] = (uint8_t)(tag >> 16);
    f[3] = 0x9d;
    f[4] = 0x01;
    f[5] = 0x2a;
    f[6] = (uint8_t)w;
    f[7] = (uint8_t)((w >> 8) | hs << 6);
    f[8] = (uint8_t)h;
    f[9] = (uint8_t)((h >> 8) | vs << 6);
    for (size_t i = 10; i < len; i++)
        f[i] = (uint8_t)(i * 7);
    return len;
}

static int setup(void **state)
{
    struct fix *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    struct pay_vp8_depay_params dp = {.max_frame = 64 * 1024, .max_packets = 256};
    assert_int_equal(pay_vp8_depay_create(&x->d, &dp), 0);
    x->pp.max_payload = MAXP;
    x->out.buf = x->buf;
    x->out.cap = sizeof(x->buf);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fix *x = *state;
    pay_vp8_depay_destroy(&x->d);
    assert_null(x->d);
    free(x);
    return 0;
}

/* Feed packet k of x->out with seq base+k. */
static int put(struct fix *x, unsigned k, uint16_t base, uint32_t ts, struct pay_vp8_frame *f)
{
    const struct pay_vp8_pkt *p = &x->out.pkt[k];
    return pay_vp8_depay_put(x->d, (uint16_t)(base + k), ts, p->marker, x->buf + p->offset, p->len,
                             f);
}

/* Packetize x->frame[0..len) and feed it in `order` (NULL = in order); expect the frame back. */
static void round_trip(struct fix *x, size_t len, int key, uint16_t pic, uint16_t seq, uint32_t ts,
                       const unsigned *order)
{
    int n = pay_vp8_packetize(&x->pp, x->frame, len, key, pic, &x->out);
    assert_true(n > 0);
    size_t total = 0;
    for (int k = 0; k < n; k++) {
        assert_true(x->out.pkt[k].len <= MAXP);
        assert_int_equal(x->out.pkt[k].marker, k == n - 1);
        total += x->out.pkt[k].len - PAY_VP8_DESC_LEN;
    }
    assert_int_equal(total, len);
    struct pay_vp8_frame f;
    for (int k = 0; k < n; k++) {
        unsigned i = order ? order[k] : (unsigned)k;
        int r = put(x, i, seq, ts, &f);
        if (k < n - 1) {
            assert_int_equal(r, -EAGAIN);
        } else {
            assert_int_equal(r, 0);
        }
        assert_int_equal(f.gap, 0);
    }
    assert_int_equal(f.len, len);
    assert_memory_equal(f.data, x->frame, len);
    assert_int_equal(f.timestamp, ts);
    assert_int_equal(f.keyframe, key);
    assert_int_equal(f.desc.picture_id, pic & 0x7fff);
    assert_int_equal(f.desc.picture_id_bits, 15);
    assert_int_equal(f.desc.s, 1);
    assert_int_equal(f.desc.pid, 0);
}

static void test_round_trip_sizes(void **state)
{
    struct fix *x = *state;
    static const size_t sizes[] = {1, MAXP - PAY_VP8_DESC_LEN, MAXP - PAY_VP8_DESC_LEN + 1, 2,
                                   BIGLEN};
    uint16_t seq = 65530; /* wraps during the run */
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        fill_inter(x->frame, sizes[i], (uint8_t)i);
        round_trip(x, sizes[i], 0, (uint16_t)(100 + i), seq, 3000 * (i + 1), NULL);
        seq = (uint16_t)(seq + x->out.n);
    }
    /* Exactly max_payload - descriptor: one packet. */
    fill_inter(x->frame, MAXP - PAY_VP8_DESC_LEN, 9);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, MAXP - PAY_VP8_DESC_LEN, 0, 1, &x->out),
                     1);
    assert_int_equal(x->out.pkt[0].len, MAXP);
    /* 10 KB splits into 9 packets of near-equal size. */
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, BIGLEN, 0, 1, &x->out), 9);
    for (unsigned k = 0; k < 9; k++)
        assert_true(x->out.pkt[k].len >= BIGLEN / 9 + PAY_VP8_DESC_LEN);
}

static void test_reorder_within_frame(void **state)
{
    struct fix *x = *state;
    fill_inter(x->frame, BIGLEN, 3);
    static const unsigned rev[9] = {8, 7, 6, 5, 4, 3, 2, 1, 0};
    static const unsigned mix[9] = {4, 0, 8, 2, 6, 1, 3, 7, 5};
    round_trip(x, BIGLEN, 0, 1, 100, 1000, rev);
    round_trip(x, BIGLEN, 0, 2, 109, 2000, mix);
}

static void test_keyframe_dimensions(void **state)
{
    struct fix *x = *state;
    size_t len = make_key(x->frame, 3000, 1280, 720, 0, 0);
    round_trip(x, len, 1, 7, 1, 90000, NULL);
    struct pay_vp8_frame f;
    len = make_key(x->frame, 10, 16383, 1, 2, 3);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, len, 1, 8, &x->out), 1);
    assert_int_equal(put(x, 0, 10, 93000, &f), 0);
    assert_int_equal(f.keyframe, 1);
    assert_int_equal(f.width, 16383);
    assert_int_equal(f.height, 1);
    assert_int_equal(f.hscale, 2);
    assert_int_equal(f.vscale, 3);
    /* Bad start code, too short, zero width: dropped, reported for a PLI. */
    len = make_key(x->frame, 40, 640, 480, 0, 0);
    x->frame[4] = 0x02;
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, len, 1, 9, &x->out), 1);
    assert_int_equal(put(x, 0, 11, 96000, &f), -EBADMSG);
    assert_int_equal(f.gap, 1);
    assert_null(f.data);
    make_key(x->frame, 9, 640, 480, 0, 0);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 9, 1, 10, &x->out), 1);
    assert_int_equal(put(x, 0, 12, 99000, &f), -EBADMSG);
    make_key(x->frame, 10, 0, 480, 0, 0);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 10, 1, 11, &x->out), 1);
    assert_int_equal(put(x, 0, 13, 102000, &f), -EBADMSG);
    /* The keyframe flag must agree with the P bit. */
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 10, 0, 11, &x->out), -EINVAL);
}

static void test_loss(void **state)
{
    struct fix *x = *state;
    struct pay_vp8_frame f;
    fill_inter(x->frame, 5000, 1);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 5000, 0, 1, &x->out), 5);
    /* Packet 2 missing: the marker does not complete the frame. */
    for (unsigned k = 0; k < 5; k++)
        if (k != 2) {
            assert_int_equal(put(x, k, 0, 1000, &f), -EAGAIN);
            assert_int_equal(f.gap, 0);
        }
    /* The next frame's first packet drops the incomplete one and reports it. */
    fill_inter(x->frame, 100, 2);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 100, 0, 2, &x->out), 1);
    assert_int_equal(put(x, 0, 5, 2000, &f), 0);
    assert_int_equal(f.gap, 1);
    assert_int_equal(f.len, 100);
    /* A packet of the dropped frame arriving late. */
    fill_inter(x->frame, 5000, 1);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 5000, 0, 1, &x->out), 5);
    assert_int_equal(put(x, 2, 0, 1000, &f), -ETIME);
    /* A whole frame lost (seq 6 never arrives): the next frame is whole but flagged. */
    fill_inter(x->frame, 100, 3);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 100, 0, 4, &x->out), 1);
    assert_int_equal(put(x, 0, 7, 4000, &f), 0);
    assert_int_equal(f.gap, 1);
    /* And the following one is not. */
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 100, 0, 5, &x->out), 1);
    assert_int_equal(put(x, 0, 8, 5000, &f), 0);
    assert_int_equal(f.gap, 0);
    /* First packet lost: never completes, dropped on the next timestamp. */
    fill_inter(x->frame, 3000, 4);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 3000, 0, 6, &x->out), 3);
    assert_int_equal(put(x, 1, 9, 6000, &f), -EAGAIN);
    assert_int_equal(put(x, 2, 9, 6000, &f), -EAGAIN);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 3000, 0, 7, &x->out), 3);
    assert_int_equal(put(x, 0, 12, 7000, &f), -EAGAIN);
    assert_int_equal(f.gap, 1);
}

static void test_duplicates(void **state)
{
    struct fix *x = *state;
    struct pay_vp8_frame f;
    fill_inter(x->frame, 3000, 5);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 3000, 0, 1, &x->out), 3);
    assert_int_equal(put(x, 0, 40, 1000, &f), -EAGAIN);
    assert_int_equal(put(x, 0, 40, 1000, &f), -EALREADY);
    assert_int_equal(put(x, 2, 40, 1000, &f), -EAGAIN);
    assert_int_equal(put(x, 2, 40, 1000, &f), -EALREADY);
    assert_int_equal(put(x, 1, 40, 1000, &f), 0);
    assert_int_equal(f.len, 3000);
    assert_memory_equal(f.data, x->frame, 3000);
    /* A duplicate after the frame was output is late, not a second frame. */
    assert_int_equal(put(x, 1, 40, 1000, &f), -ETIME);
    assert_int_equal(put(x, 2, 40, 1000, &f), -ETIME);
    assert_null(f.data);
}

static void test_picture_id_wrap(void **state)
{
    struct fix *x = *state;
    fill_inter(x->frame, 2000, 6);
    uint16_t pic = 0x7ffe;
    uint16_t seq = 1;
    for (unsigned i = 0; i < 4; i++, pic++) {
        round_trip(x, 2000, 0, pic, seq, 1000 * (i + 1), NULL);
        seq = (uint16_t)(seq + x->out.n);
        assert_int_equal(x->buf[2] & 0x80, 0x80);
    }
    /* 0x7fff then 0x8000 (caller's counter), which goes on the wire as 0. */
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 10, 0, 0x8000, &x->out), 1);
    assert_int_equal(x->buf[2], 0x80);
    assert_int_equal(x->buf[3], 0);
    assert_int_equal(pay_vp8_packetize(&x->pp, x->frame, 10, 0, 0x7fff, &x->out), 1);
    assert_int_equal(x->buf[2], 0xff);
    assert_int_equal(x->buf[3], 0xff);
}

static void test_desc_fields(void **state)
{
    (void)state;
    struct pay_vp8_desc d;
    static const uint8_t plain[] = {0x35}; /* N, S, PID 5 */
    assert_int_equal(pay_vp8_parse_desc(plain, 1, &d), 1);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.s, 1);
    assert_int_equal(d.pid, 5);
    assert_int_equal(d.picture_id, -1);
    assert_int_equal(d.tl0picidx, -1);
    assert_int_equal(d.tid, -1);
    assert_int_equal(d.keyidx, -1);
    /* Every extension: I (15-bit), L, T, K. */
    static const uint8_t full[] = {0x90, 0xf0, 0x81, 0x23, 0x42, 0xb7};
    assert_int_equal(pay_vp8_parse_desc(full, sizeof(full), &d), 6);
    assert_int_equal(d.picture_id, 0x0123);
    assert_int_equal(d.picture_id_bits, 15);
    assert_int_equal(d.tl0picidx, 0x42);
    assert_int_equal(d.tid, 2);
    assert_int_equal(d.y, 1);
    assert_int_equal(d.keyidx, 0x17);
    /* 7-bit picture id, K alone (TID absent). */
    static const uint8_t seven[] = {0x80, 0x90, 0x7f, 0x05};
    assert_int_equal(pay_vp8_parse_desc(seven, sizeof(seven), &d), 4);
    assert_int_equal(d.picture_id, 0x7f);
    assert_int_equal(d.picture_id_bits, 7);
    assert_int_equal(d.tid, -1);
    assert_int_equal(d.keyidx, 5);
    /* X with no extension bits; reserved bits ignored. */
    static const uint8_t bare[] = {0xc8, 0x0f};
    assert_int_equal(pay_vp8_parse_desc(bare, sizeof(bare), &d), 2);
    /* Every truncated prefix of a full descriptor is malformed. */
    for (size_t n = 0; n < sizeof(full); n++)
        assert_int_equal(pay_vp8_parse_desc(full, n, &d), -EBADMSG);
    for (size_t n = 0; n < sizeof(seven) - 1; n++)
        assert_int_equal(pay_vp8_parse_desc(seven, n, &d), -EBADMSG);
    /* L without T. */
    static const uint8_t l_only[] = {0x80, 0x40, 0x01};
    assert_int_equal(pay_vp8_parse_desc(l_only, sizeof(l_only), &d), -EBADMSG);
    assert_int_equal(pay_vp8_parse_desc(NULL, 1, &d), -EINVAL);
}

static void test_malformed_packets(void **state)
{
    struct fix *x = *state;
    struct pay_vp8_frame f;
    /* Descriptor truncated at each byte, or with no payload after it. */
    static const uint8_t full[] = {0x90, 0xf0, 0x81, 0x23, 0x42, 0xb7, 0x01};
    for (size_t n = 0; n < sizeof(full); n++)
        assert_int_equal(pay_vp8_depay_put(x->d, 1, 100, 1, full, n, &f), -EBADMSG);
    assert_int_equal(pay_vp8_depay_put(x->d, 1, 100, 1, full, sizeof(full), &f), 0);
    assert_int_equal(f.len, 1);
    assert_int_equal(f.desc.tl0picidx, 0x42);
    assert_int_equal(pay_vp8_depay_put(x->d, 1, 100, 1, NULL, 0, &f), -EBADMSG);
    assert_int_equal(pay_vp8_depay_put(NULL, 1, 100, 1, full, 7, &f), -EINVAL);

    /* Picture id changing inside one frame. */
    static const uint8_t a[] = {0x90, 0x80, 0x05, 0x01};
    static const uint8_t b[] = {0x80, 0x80, 0x06, 0x01};
    static const uint8_t b_ok[] = {0x80, 0x80, 0x05, 0x01};
    assert_int_equal(pay_vp8_depay_put(x->d, 2, 200, 0, a, sizeof(a), &f), -EAGAIN);
    assert_int_equal(pay_vp8_depay_put(x->d, 3, 200, 1, b, sizeof(b), &f), -EBADMSG);
    /* Two starts or two ends in one frame; an end before the start. */
    assert_int_equal(pay_vp8_depay_put(x->d, 4, 200, 0, a, sizeof(a), &f), -EBADMSG);
    assert_int_equal(pay_vp8_depay_put(x->d, 1, 200, 1, b_ok, sizeof(b_ok), &f), -EBADMSG);
    assert_int_equal(pay_vp8_depay_put(x->d, 4, 200, 1, b_ok, sizeof(b_ok), &f), -EAGAIN);
    assert_int_equal(pay_vp8_depay_put(x->d, 5, 200, 1, b_ok, sizeof(b_ok), &f), -EBADMSG);
    assert_int_equal(pay_vp8_depay_put(x->d, 3, 200, 0, b_ok, sizeof(b_ok), &f), 0);
    assert_int_equal(f.len, 3);
    assert_int_equal(f.gap, 0);
}

static void test_limits(void **state)
{
    (void)state;
    struct pay_vp8_depay *d;
    struct pay_vp8_depay_params dp = {.max_frame = 100, .max_packets = 2};
    assert_int_equal(pay_vp8_depay_create(&d, &dp), 0);
    struct pay_vp8_frame f;
    uint8_t pkt[80] = {0x10, 0x01};
    assert_int_equal(pay_vp8_depay_put(d, 1, 10, 0, pkt, sizeof(pkt), &f), -EAGAIN);
    assert_int_equal(pay_vp8_depay_put(d, 2, 10, 1, pkt + 1, sizeof(pkt) - 1, &f), -EMSGSIZE);
    assert_int_equal(f.gap, 1);
    assert_int_equal(pay_vp8_depay_put(d, 3, 10, 1, pkt + 1, 10, &f), -ETIME);
    /* Span wider than max_packets can never complete. */
    assert_int_equal(pay_vp8_depay_put(d, 10, 20, 0, pkt, 4, &f), -EAGAIN);
    assert_int_equal(pay_vp8_depay_put(d, 12, 20, 1, pkt + 1, 4, &f), -EMSGSIZE);
    pay_vp8_depay_destroy(&d);

    /* Packetizer parameters. */
    uint8_t frame[PAY_VP8_MAX_PKTS + 1] = {1}, buf[PAY_VP8_MAX_PKTS * 5 + 16];
    struct pay_vp8_out out = {.buf = buf, .cap = sizeof(buf)};
    struct pay_vp8_params pp = {.max_payload = 4};
    assert_int_equal(pay_vp8_packetize(&pp, frame, 10, 0, 0, &out), -EINVAL);
    pp.max_payload = 5;
    assert_int_equal(pay_vp8_packetize(&pp, frame, 0, 0, 0, &out), -EINVAL);
    assert_int_equal(pay_vp8_packetize(&pp, frame, PAY_VP8_MAX_PKTS, 0, 0, &out), PAY_VP8_MAX_PKTS);
    assert_int_equal(pay_vp8_packetize(&pp, frame, PAY_VP8_MAX_PKTS + 1, 0, 0, &out), -EMSGSIZE);
    out.cap = PAY_VP8_MAX_PKTS * 5 - 1;
    assert_int_equal(pay_vp8_packetize(&pp, frame, PAY_VP8_MAX_PKTS, 0, 0, &out), -ENOBUFS);

    /* Allocation failure at each step unwinds. */
    for (long n = 0; n < 5; n++) {
        mcu_alloc_fail_after(n);
        int r = pay_vp8_depay_create(&d, NULL);
        mcu_alloc_fail_after(-1);
        if (r == 0) {
            assert_true(n >= 5);
            pay_vp8_depay_destroy(&d);
        } else {
            assert_int_equal(r, -ENOMEM);
            assert_null(d);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reorder_within_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyframe_dimensions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_picture_id_wrap, setup, teardown),
        cmocka_unit_test(test_desc_fields),
        cmocka_unit_test_setup_teardown(test_malformed_packets, setup, teardown),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
