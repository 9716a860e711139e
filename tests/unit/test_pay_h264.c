/* Unit tests for the H.264 RTP payload format (codec/pay_h264.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "pay_h264.h"

#define MTU      1200
#define MAX_PKTS 64
#define AU_CAP   65536
#define TS0      90000u

/* NAL headers: NRI 3 for parameter sets and IDR, 2 for P slices. */
#define H_SPS   0x67
#define H_PPS   0x68
#define H_IDR   0x65
#define H_SLICE 0x41

struct nal_spec {
    uint8_t hdr;
    size_t len; /* with the header */
};

/* An access unit in two forms: as given to the packetizer (start code of `sc` bytes) and as
 * the depacketizer must give it back (4-byte start codes). */
struct au_buf {
    uint8_t in[AU_CAP], want[AU_CAP];
    size_t in_len, want_len;
};

/* Body bytes are never 0, so no start code or trailing zero appears inside a NAL. */
static void make_au(struct au_buf *a, const struct nal_spec *n, size_t count, size_t sc)
{
    static const uint8_t code4[4] = {0, 0, 0, 1};
    a->in_len = a->want_len = 0;
    for (size_t k = 0; k < count; k++) {
        memcpy(a->in + a->in_len, code4 + 4 - sc, sc);
        a->in_len += sc;
        memcpy(a->want + a->want_len, code4, 4);
        a->want_len += 4;
        for (size_t i = 0; i < n[k].len; i++) {
            uint8_t b = i ? (uint8_t)(1 + (i * 7 + k) % 250) : n[k].hdr;
            a->in[a->in_len++] = b;
            a->want[a->want_len++] = b;
        }
    }
}

struct pkts {
    uint8_t buf[AU_CAP + 4096];
    struct pay_h264_pkt p[MAX_PKTS];
    int n;
};

static void packetize(struct pkts *pk, const struct au_buf *a, size_t mtu)
{
    assert_true(pay_h264_buf_bound(a->in_len, mtu) <= sizeof(pk->buf));
    pk->n = pay_h264_packetize(a->in, a->in_len, mtu, pk->buf, sizeof(pk->buf), pk->p, MAX_PKTS);
    assert_true(pk->n > 0);
    for (int i = 0; i < pk->n; i++) {
        assert_true(pk->p[i].len <= mtu);
        assert_int_equal(pk->p[i].marker, i == pk->n - 1);
    }
}

static const uint8_t *pl(const struct pkts *pk, int i)
{
    return pk->buf + pk->p[i].off;
}

static struct pay_h264_depay *new_depay(void)
{
    struct pay_h264_depay *d = NULL;
    assert_int_equal(pay_h264_depay_create(&d, NULL), 0);
    return d;
}

static int put(struct pay_h264_depay *d, const struct pkts *pk, int i, uint16_t seq, uint32_t ts,
               struct pay_h264_au *au)
{
    return pay_h264_depay_put(d, seq, ts, pk->p[i].marker, pl(pk, i), pk->p[i].len, au);
}

/* Feeds packets in `order` (NULL: in order) from seq0; the last put must release the unit. */
static void feed_expect(struct pay_h264_depay *d, const struct pkts *pk, const int *order,
                        uint16_t seq0, uint32_t ts, const struct au_buf *a, unsigned flags)
{
    struct pay_h264_au au = {0};
    for (int k = 0; k < pk->n; k++) {
        int i = order ? order[k] : k;
        int r = put(d, pk, i, (uint16_t)(seq0 + i), ts, &au);
        assert_int_equal(r, k == pk->n - 1 ? PAY_H264_AU_READY : 0);
    }
    assert_int_equal(au.len, a->want_len);
    assert_memory_equal(au.data, a->want, a->want_len);
    assert_int_equal(au.ts, ts);
    assert_int_equal(au.flags, flags);
}

static const struct nal_spec tiny[] = {{H_SPS, 12}, {H_PPS, 4}, {H_IDR, 60}};

static void test_tiny_stap_a(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    make_au(&a, tiny, 3, 4);
    packetize(&pk, &a, MTU);
    assert_int_equal(pk.n, 1);
    /* STAP-A with the highest NRI, then size + NAL three times. */
    assert_int_equal(pk.p[0].len, 1 + 2 * 3 + 12 + 4 + 60);
    assert_int_equal(pl(&pk, 0)[0], 0x60 | 24);
    assert_int_equal(pl(&pk, 0)[1] << 8 | pl(&pk, 0)[2], 12);
    assert_int_equal(pl(&pk, 0)[3], H_SPS);
    struct pay_h264_depay *d = new_depay();
    feed_expect(d, &pk, NULL, 100, TS0, &a, PAY_H264_IDR | PAY_H264_SPS | PAY_H264_PPS);
    pay_h264_depay_destroy(&d);
    assert_null(d);
}

static void test_big_idr_fu_a(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    const struct nal_spec big[] = {{H_IDR, 20000}};
    make_au(&a, big, 1, 3);
    packetize(&pk, &a, MTU);
    assert_int_equal(pk.n, (20000 - 1 + MTU - 3) / (MTU - 2));
    size_t total = 0;
    for (int i = 0; i < pk.n; i++) {
        const uint8_t *p = pl(&pk, i);
        assert_int_equal(p[0], 0x60 | 28); /* NRI copied */
        assert_int_equal(p[1] & 0x1f, 5);
        assert_int_equal(!!(p[1] & 0x80), i == 0);
        assert_int_equal(!!(p[1] & 0x40), i == pk.n - 1);
        assert_int_equal(p[1] & 0x20, 0);
        total += pk.p[i].len - 2;
    }
    assert_int_equal(total, 20000 - 1);
    struct pay_h264_depay *d = new_depay();
    feed_expect(d, &pk, NULL, 7, TS0, &a, PAY_H264_IDR);
    pay_h264_depay_destroy(&d);
}

static const struct nal_spec mixed[] = {{H_SPS, 12},  {H_PPS, 4},    {H_IDR, 3000}, {H_IDR, 100},
                                        {H_IDR, 100}, {H_IDR, 1500}, {H_IDR, 1200}, {H_IDR, 5}};

static void test_mixed(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    make_au(&a, mixed, 8, 4);
    packetize(&pk, &a, MTU);
    /* STAP-A(SPS,PPS), 3 FU-A, STAP-A(100,100), 2 FU-A, single 1200, single 5. */
    static const uint8_t kinds[] = {24, 28, 28, 28, 24, 28, 28, 5, 5};
    assert_int_equal(pk.n, sizeof(kinds));
    for (int i = 0; i < pk.n; i++)
        assert_int_equal(pl(&pk, i)[0] & 0x1f, kinds[i]);
    struct pay_h264_depay *d = new_depay();
    feed_expect(d, &pk, NULL, 65000, TS0, &a, PAY_H264_IDR | PAY_H264_SPS | PAY_H264_PPS);
    /* A second unit of P slices right after: anchored on the first unit's end. */
    static struct au_buf b;
    static struct pkts pk2;
    const struct nal_spec p_slices[] = {{H_SLICE, 900}, {H_SLICE, 200}, {H_SLICE, 300}};
    make_au(&b, p_slices, 3, 3);
    packetize(&pk2, &b, MTU);
    assert_int_equal(pk2.n, 2);
    feed_expect(d, &pk2, NULL, (uint16_t)(65000 + pk.n), TS0 + 3000, &b, 0);
    pay_h264_depay_destroy(&d);
}

static void test_reorder(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    const struct nal_spec big[] = {{H_IDR, 20000}};
    make_au(&a, big, 1, 4);
    packetize(&pk, &a, MTU);
    int order[MAX_PKTS];
    struct pay_h264_depay *d = new_depay();
    /* Reversed: the marker comes first and the unit waits for the rest. */
    for (int i = 0; i < pk.n; i++)
        order[i] = pk.n - 1 - i;
    feed_expect(d, &pk, order, 10, TS0, &a, PAY_H264_IDR);
    /* Pairs swapped, wrapping seq. */
    for (int i = 0; i < pk.n; i++)
        order[i] = (i ^ 1) < pk.n ? i ^ 1 : i;
    feed_expect(d, &pk, order, (uint16_t)(10 + pk.n), TS0 + 3000, &a, PAY_H264_IDR);
    pay_h264_depay_destroy(&d);
}

static void test_seq_wrap(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    const struct nal_spec big[] = {{H_IDR, 20000}};
    make_au(&a, big, 1, 4);
    packetize(&pk, &a, MTU);
    struct pay_h264_depay *d = new_depay();
    uint16_t seq = 65530;
    for (unsigned k = 0; k < 5; k++) {
        feed_expect(d, &pk, NULL, seq, TS0 + 3000 * k, &a, PAY_H264_IDR);
        seq = (uint16_t)(seq + pk.n);
    }
    pay_h264_depay_destroy(&d);
}

/* Units of `big` then of `tiny`, with the packet of index `lost` of the first not sent. */
static void lose_one(int lost)
{
    static struct au_buf a, b;
    static struct pkts pk, pk2;
    const struct nal_spec big[] = {{H_IDR, 5000}};
    make_au(&a, big, 1, 4);
    packetize(&pk, &a, MTU);
    const struct nal_spec two[] = {{H_SLICE, 1500}};
    make_au(&b, two, 1, 4);
    packetize(&pk2, &b, MTU);
    struct pay_h264_depay *d = new_depay();
    struct pay_h264_au au;
    feed_expect(d, &pk, NULL, 0, TS0, &a, PAY_H264_IDR); /* anchors the seq */
    uint16_t seq = (uint16_t)pk.n;
    for (int i = 0; i < pk.n; i++)
        if (i != lost)
            assert_int_equal(put(d, &pk, i, (uint16_t)(seq + i), TS0 + 3000, &au), 0);
    seq = (uint16_t)(seq + pk.n);
    /* The next timestamp reveals the gap: the broken unit is dropped and reported. */
    assert_int_equal(put(d, &pk2, 0, seq, TS0 + 6000, &au), PAY_H264_AU_LOST);
    assert_int_equal(put(d, &pk2, 1, (uint16_t)(seq + 1), TS0 + 6000, &au), PAY_H264_AU_READY);
    assert_int_equal(au.len, b.want_len);
    assert_memory_equal(au.data, b.want, b.want_len);
    struct pay_h264_stats st;
    pay_h264_depay_get_stats(d, &st);
    assert_int_equal(st.aus, 2);
    assert_int_equal(st.dropped_aus, 1);
    pay_h264_depay_destroy(&d);
}

static void test_loss(void **state)
{
    lose_one(0);
    lose_one(2);
    lose_one(4); /* the marker packet */
}

/* A whole unit lost: the next one starts after a gap and is dropped too, then all is well. */
static void test_loss_whole_unit(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    make_au(&a, tiny, 3, 4);
    packetize(&pk, &a, MTU);
    struct pay_h264_depay *d = new_depay();
    struct pay_h264_au au;
    feed_expect(d, &pk, NULL, 0, TS0, &a, 7);
    /* seq 1 (TS0 + 3000) lost; seq 2 is a whole unit but seq 1 could still come, reordered. */
    assert_int_equal(put(d, &pk, 0, 2, TS0 + 6000, &au), 0);
    assert_int_equal(put(d, &pk, 0, 3, TS0 + 9000, &au), PAY_H264_AU_LOST | PAY_H264_AU_READY);
    assert_int_equal(au.ts, TS0 + 9000);
    pay_h264_depay_destroy(&d);
}

static void test_duplicates(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    make_au(&a, mixed, 8, 4);
    packetize(&pk, &a, MTU);
    struct pay_h264_depay *d = new_depay();
    struct pay_h264_au au = {0};
    for (int i = 0; i < pk.n; i++) {
        int r = put(d, &pk, i, (uint16_t)(500 + i), TS0, &au);
        assert_int_equal(r, i == pk.n - 1 ? PAY_H264_AU_READY : 0);
        if (i < pk.n - 1)
            assert_int_equal(put(d, &pk, i, (uint16_t)(500 + i), TS0, &au), 0);
    }
    assert_memory_equal(au.data, a.want, a.want_len);
    /* Copies after the release are late. */
    for (int i = 0; i < pk.n; i++)
        assert_int_equal(put(d, &pk, i, (uint16_t)(500 + i), TS0, &au), 0);
    struct pay_h264_stats st;
    pay_h264_depay_get_stats(d, &st);
    assert_int_equal(st.duplicates, pk.n - 1);
    assert_int_equal(st.late, pk.n);
    assert_int_equal(st.aus, 1);
    pay_h264_depay_destroy(&d);
}

/* Every prefix of a STAP-A is refused unless it ends exactly between two NALs. */
static void test_stap_a_prefixes(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    make_au(&a, tiny, 3, 4);
    packetize(&pk, &a, MTU);
    const size_t ends[] = {1 + 2 + 12, 1 + 2 + 12 + 2 + 4, pk.p[0].len};
    for (size_t len = 0; len <= pk.p[0].len; len++) {
        struct pay_h264_depay *d = new_depay();
        struct pay_h264_au au;
        int r = pay_h264_depay_put(d, 1, TS0, 1, pl(&pk, 0), len, &au);
        int whole = len == ends[0] || len == ends[1] || len == ends[2];
        assert_int_equal(r, whole ? PAY_H264_AU_READY : -EBADMSG);
        if (whole)
            assert_int_equal(au.flags, len == ends[0]   ? PAY_H264_SPS
                                       : len == ends[1] ? PAY_H264_SPS | PAY_H264_PPS
                                                        : 7u);
        pay_h264_depay_destroy(&d);
    }
}

static void test_fu_a_prefixes(void **state)
{
    const uint8_t fu[] = {0x7c, 0x85, 0xaa};
    for (size_t len = 0; len < sizeof(fu); len++) {
        struct pay_h264_depay *d = new_depay();
        struct pay_h264_au au;
        assert_int_equal(pay_h264_depay_put(d, 1, TS0, 0, fu, len, &au), -EBADMSG);
        pay_h264_depay_destroy(&d);
    }
}

static int put_raw(struct pay_h264_depay *d, uint16_t seq, int marker, const uint8_t *p, size_t len)
{
    struct pay_h264_au au;
    return pay_h264_depay_put(d, seq, TS0, marker, p, len, &au);
}

static void test_malformed_packets(void **state)
{
    struct pay_h264_depay *d = new_depay();
    const uint8_t forbidden[] = {0xe5, 1, 2};
    const uint8_t type0[] = {0x00, 1}, type30[] = {0x7e, 1}, type31[] = {0x7f, 1};
    const uint8_t stap_zero[] = {0x78, 0, 4, 0x67, 1, 2, 3, 0, 0, 0x68};
    const uint8_t stap_only_zero[] = {0x78, 0, 0};
    const uint8_t stap_nested[] = {0x78, 0, 3, 0x78, 0, 1};
    const uint8_t stap_forbidden[] = {0x78, 0, 2, 0xe7, 1};
    const uint8_t stap_long[] = {0x78, 0, 9, 0x67, 1, 2};
    const uint8_t fu_se[] = {0x7c, 0xc5, 1};
    const uint8_t fu_type0[] = {0x7c, 0x80, 1};
    const uint8_t fu_type28[] = {0x7c, 0x9c, 1};
    assert_int_equal(put_raw(d, 1, 1, forbidden, sizeof(forbidden)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, forbidden, 0), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, type0, sizeof(type0)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, type30, sizeof(type30)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, type31, sizeof(type31)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, stap_zero, sizeof(stap_zero)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, stap_only_zero, sizeof(stap_only_zero)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, stap_nested, sizeof(stap_nested)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, stap_forbidden, sizeof(stap_forbidden)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, stap_long, sizeof(stap_long)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, fu_se, sizeof(fu_se)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, fu_type0, sizeof(fu_type0)), -EBADMSG);
    assert_int_equal(put_raw(d, 1, 1, fu_type28, sizeof(fu_type28)), -EBADMSG);
    for (uint8_t t = 25; t <= 29; t++) {
        const uint8_t p[] = {(uint8_t)(0x60 | t), 0x85, 0, 1, 2, 3, 4, 5};
        if (t != 28)
            assert_int_equal(put_raw(d, 1, 1, p, sizeof(p)), -ENOTSUP);
    }
    struct pay_h264_stats st;
    pay_h264_depay_get_stats(d, &st);
    assert_int_equal(st.malformed, 13);
    assert_int_equal(st.unsupported, 4);
    assert_int_equal(st.aus + st.dropped_aus, 0);
    pay_h264_depay_destroy(&d);
}

/* Malformed across packets: each unit is dropped as a whole with -EBADMSG, then a good one. */
static void test_malformed_units(void **state)
{
    const uint8_t fu_start[] = {0x7c, 0x85, 1, 2}, fu_mid[] = {0x7c, 0x05, 3},
                  fu_end[] = {0x7c, 0x45, 4}, fu_mid_p[] = {0x7c, 0x01, 3},
                  fu_end_p[] = {0x7c, 0x41, 4}, single[] = {0x65, 9, 9};
    struct pay_h264_depay *d = new_depay();
    struct pay_h264_au au;
    uint16_t s = 1;
    uint32_t ts = TS0;
    /* Good unit to anchor. */
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 1, single, 3, &au), PAY_H264_AU_READY);
    /* FU-A without start. */
    ts += 3000;
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 0, fu_mid, 3, &au), 0);
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 1, fu_end, 3, &au), -EBADMSG);
    /* FU-A type changes. */
    ts += 3000;
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 0, fu_start, 4, &au), 0);
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 0, fu_mid_p, 3, &au), 0);
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 1, fu_end_p, 3, &au), -EBADMSG);
    /* FU-A never ended, a single NAL after it. */
    ts += 3000;
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 0, fu_start, 4, &au), 0);
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 1, single, 3, &au), -EBADMSG);
    /* Two starts. */
    ts += 3000;
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 0, fu_start, 4, &au), 0);
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 0, fu_start, 4, &au), 0);
    assert_int_equal(pay_h264_depay_put(d, s++, ts, 1, fu_end, 3, &au), -EBADMSG);
    /* A packet after the marker of its unit. */
    ts += 3000;
    assert_int_equal(pay_h264_depay_put(d, (uint16_t)(s + 1), ts, 1, fu_end, 3, &au), 0);
    assert_int_equal(pay_h264_depay_put(d, (uint16_t)(s + 2), ts, 0, single, 3, &au), -EBADMSG);
    assert_int_equal(pay_h264_depay_put(d, s, ts, 0, fu_start, 4, &au), PAY_H264_AU_READY);
    assert_int_equal(au.len, 4 + 1 + 3);
    const uint8_t want[] = {0, 0, 0, 1, 0x65, 1, 2, 4};
    assert_memory_equal(au.data, want, sizeof(want));
    assert_int_equal(au.flags, PAY_H264_IDR);
    struct pay_h264_stats st;
    pay_h264_depay_get_stats(d, &st);
    assert_int_equal(st.dropped_aus, 4);
    assert_int_equal(st.aus, 2);
    pay_h264_depay_destroy(&d);
}

/* A unit bigger than max_au (or with more packets than max_pkts) is dropped, not truncated. */
static void test_too_big(void **state)
{
    static struct au_buf a;
    static struct pkts pk;
    const struct nal_spec big[] = {{H_IDR, 20000}};
    make_au(&a, big, 1, 4);
    packetize(&pk, &a, MTU);
    const struct pay_h264_depay_params small[] = {{.max_au = 10000, .max_pkts = 100},
                                                  {.max_au = 100000, .max_pkts = 5}};
    for (size_t k = 0; k < 2; k++) {
        struct pay_h264_depay *d = NULL;
        assert_int_equal(pay_h264_depay_create(&d, &small[k]), 0);
        struct pay_h264_au au;
        int r = 0;
        for (int i = 0; i < pk.n; i++)
            r = put(d, &pk, i, (uint16_t)i, TS0, &au);
        assert_int_equal(r, PAY_H264_AU_LOST);
        pay_h264_depay_destroy(&d);
    }
}

static void test_packetize_errors(void **state)
{
    uint8_t buf[256];
    struct pay_h264_pkt p[4];
    const uint8_t ok[] = {0, 0, 1, 0x65, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const uint8_t garbage[] = {7, 0, 0, 1, 0x65, 1};
    const uint8_t empty[] = {0, 0, 0, 1, 0, 0, 1};
    const uint8_t bad_type[] = {0, 0, 1, 0x78, 1};
    const uint8_t forbidden[] = {0, 0, 1, 0xe5, 1};
    assert_int_equal(pay_h264_packetize(ok, sizeof(ok), 2, buf, sizeof(buf), p, 4), -EINVAL);
    assert_int_equal(pay_h264_packetize(garbage, sizeof(garbage), 100, buf, sizeof(buf), p, 4),
                     -EBADMSG);
    assert_int_equal(pay_h264_packetize(empty, sizeof(empty), 100, buf, sizeof(buf), p, 4),
                     -EBADMSG);
    assert_int_equal(pay_h264_packetize(ok, 0, 100, buf, sizeof(buf), p, 4), -EBADMSG);
    assert_int_equal(pay_h264_packetize(bad_type, sizeof(bad_type), 100, buf, sizeof(buf), p, 4),
                     -EBADMSG);
    assert_int_equal(pay_h264_packetize(forbidden, sizeof(forbidden), 100, buf, sizeof(buf), p, 4),
                     -EBADMSG);
    /* Found by fuzzing: a forbidden bit on a NAL that would join a STAP-A. */
    const uint8_t forbidden2[] = {0, 0, 1, 0x67, 1, 0, 0, 1, 0xe5, 1};
    assert_int_equal(
        pay_h264_packetize(forbidden2, sizeof(forbidden2), 100, buf, sizeof(buf), p, 4), -EBADMSG);
    assert_int_equal(pay_h264_packetize(ok, sizeof(ok), 100, buf, 5, p, 4), -ENOBUFS);
    assert_int_equal(pay_h264_packetize(ok, sizeof(ok), 3, buf, sizeof(buf), p, 4), -ENOBUFS);
    /* Smallest MTU: one payload byte per FU-A. */
    assert_int_equal(pay_h264_packetize(ok, sizeof(ok), 3, buf, sizeof(buf), p, 0), -ENOBUFS);
    struct pay_h264_pkt many[16];
    assert_int_equal(pay_h264_packetize(ok, sizeof(ok), 3, buf, sizeof(buf), many, 16), 9);
    /* Leading zeros, a 3-byte start code and trailing zeros are fine. */
    const uint8_t loose[] = {0, 0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0};
    assert_int_equal(pay_h264_packetize(loose, sizeof(loose), 100, buf, sizeof(buf), p, 4), 1);
    const uint8_t want[] = {0x78, 0, 2, 0x67, 1, 0, 2, 0x68, 2};
    assert_int_equal(p[0].len, sizeof(want));
    assert_memory_equal(buf + p[0].off, want, sizeof(want));
}

static void test_create_oom(void **state)
{
    /* Four allocations: each failure unwinds (ASan checks the leaks). */
    for (long n = 0; n <= 4; n++) {
        struct pay_h264_depay *d = (void *)1;
        mcu_alloc_fail_after(n);
        int r = pay_h264_depay_create(&d, NULL);
        mcu_alloc_fail_after(-1);
        assert_int_equal(r, n < 4 ? -ENOMEM : 0);
        assert_true((d == NULL) == (n < 4));
        pay_h264_depay_destroy(&d);
    }
    struct pay_h264_depay *d;
    const struct pay_h264_depay_params zero = {0};
    assert_int_equal(pay_h264_depay_create(&d, &zero), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_stap_a),
        cmocka_unit_test(test_big_idr_fu_a),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_seq_wrap),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_loss_whole_unit),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_stap_a_prefixes),
        cmocka_unit_test(test_fu_a_prefixes),
        cmocka_unit_test(test_malformed_packets),
        cmocka_unit_test(test_malformed_units),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_packetize_errors),
        cmocka_unit_test(test_create_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
