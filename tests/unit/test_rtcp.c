/* Unit tests for the RTCP compound parser and builders (mcu/rtcp.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rtcp.h"

#define SSRC_A 0x11223344u
#define SSRC_B 0x55667788u
#define SSRC_C 0x99aabbccu

static const struct rtcp_report_block blocks2[2] = {
    {.ssrc = SSRC_B,
     .fraction_lost = 0x40,
     .cumulative_lost = -5,
     .ext_highest_seq = 0x0001fffe,
     .jitter = 1234,
     .lsr = 0xdeadbeef,
     .dlsr = 0x00018000},
    {.ssrc = SSRC_C,
     .fraction_lost = 255,
     .cumulative_lost = 0x7fffff,
     .ext_highest_seq = 7,
     .jitter = 0,
     .lsr = 0,
     .dlsr = 0},
};

static const struct rtcp_sender_info sender_info = {
    .ntp = 0xe8a1b2c3d4e5f607ull,
    .rtp_ts = 0x01020304,
    .packets = 1000,
    .octets = 160000,
};

static const uint16_t nack_seqs[] = {65535, 3, 0, 40, 1};
static const uint32_t bye_ssrcs[] = {SSRC_A, SSRC_B};

/* The compound most tests take apart: SR(2 blocks), SDES, BYE, PLI, FIR, NACK. */
static size_t build_compound(uint8_t *buf, size_t cap, size_t *ends)
{
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, cap);
    assert_int_equal(rtcp_write_sr(&w, SSRC_A, &sender_info, blocks2, 2), 0);
    ends[0] = w.len;
    assert_int_equal(rtcp_write_sdes_cname(&w, SSRC_A, "alice@example.org"), 0);
    ends[1] = w.len;
    assert_int_equal(rtcp_write_bye(&w, bye_ssrcs, 2, "shutdown"), 0);
    ends[2] = w.len;
    assert_int_equal(rtcp_write_pli(&w, SSRC_A, SSRC_B), 0);
    ends[3] = w.len;
    assert_int_equal(rtcp_write_fir(&w, SSRC_A, SSRC_C, 42), 0);
    ends[4] = w.len;
    assert_int_equal(rtcp_write_nack(&w, SSRC_A, SSRC_B, nack_seqs, 5), 0);
    ends[5] = w.len;
    return w.len;
}

static void assert_block_equal(const struct rtcp_report_block *a, const struct rtcp_report_block *b)
{
    assert_int_equal(a->ssrc, b->ssrc);
    assert_int_equal(a->fraction_lost, b->fraction_lost);
    assert_int_equal(a->cumulative_lost, b->cumulative_lost);
    assert_int_equal(a->ext_highest_seq, b->ext_highest_seq);
    assert_int_equal(a->jitter, b->jitter);
    assert_int_equal(a->lsr, b->lsr);
    assert_int_equal(a->dlsr, b->dlsr);
}

static void expect_sr(struct rtcp_iter *it, struct rtcp_pkt *p)
{
    assert_int_equal(rtcp_next(it, p), 1);
    assert_int_equal(p->type, RTCP_SR);
    assert_int_equal(p->count, 2);
    assert_int_equal(p->ssrc, SSRC_A);
    assert_true(p->u.report.si.ntp == sender_info.ntp);
    assert_int_equal(p->u.report.si.rtp_ts, sender_info.rtp_ts);
    assert_int_equal(p->u.report.si.packets, sender_info.packets);
    assert_int_equal(p->u.report.si.octets, sender_info.octets);
    assert_int_equal(p->u.report.nblocks, 2);
    assert_block_equal(&p->u.report.blocks[0], &blocks2[0]);
    assert_block_equal(&p->u.report.blocks[1], &blocks2[1]);
}

static void expect_sdes_bye(struct rtcp_iter *it, struct rtcp_pkt *p)
{
    assert_int_equal(rtcp_next(it, p), 1);
    assert_int_equal(p->type, RTCP_SDES);
    assert_int_equal(p->count, 1);
    assert_int_equal(p->ssrc, SSRC_A);
    assert_int_equal(p->u.sdes.cname_len, strlen("alice@example.org"));
    assert_memory_equal(p->u.sdes.cname, "alice@example.org", p->u.sdes.cname_len);

    assert_int_equal(rtcp_next(it, p), 1);
    assert_int_equal(p->type, RTCP_BYE);
    assert_int_equal(p->count, 2);
    assert_int_equal(p->ssrc, SSRC_A);
    assert_int_equal(p->u.bye.nssrc, 2);
    assert_int_equal(p->u.bye.ssrc[0], SSRC_A);
    assert_int_equal(p->u.bye.ssrc[1], SSRC_B);
}

static void expect_feedback(struct rtcp_iter *it, struct rtcp_pkt *p)
{
    assert_int_equal(rtcp_next(it, p), 1);
    assert_int_equal(p->type, RTCP_PSFB);
    assert_int_equal(p->count, RTCP_FB_PLI);
    assert_int_equal(p->ssrc, SSRC_A);
    assert_int_equal(p->u.pli.media_ssrc, SSRC_B);

    assert_int_equal(rtcp_next(it, p), 1);
    assert_int_equal(p->type, RTCP_PSFB);
    assert_int_equal(p->count, RTCP_FB_FIR);
    assert_int_equal(p->ssrc, SSRC_A);
    assert_int_equal(p->u.fir.n, 1);
    assert_int_equal(p->u.fir.ssrc[0], SSRC_C);
    assert_int_equal(p->u.fir.seqnr[0], 42);

    /* 65535 first: the run crossing the wrap is packed into one PID/BLP. */
    static const uint16_t want[] = {65535, 0, 1, 3, 40};
    assert_int_equal(rtcp_next(it, p), 1);
    assert_int_equal(p->type, RTCP_RTPFB);
    assert_int_equal(p->count, RTCP_FB_NACK);
    assert_int_equal(p->ssrc, SSRC_A);
    assert_int_equal(p->u.nack.media_ssrc, SSRC_B);
    assert_int_equal(p->u.nack.nseq, 5);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(p->u.nack.seq[i], want[i]);
}

static void test_compound_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t ends[6];
    size_t len = build_compound(buf, sizeof(buf), ends);
    assert_int_equal(len, 76 + 28 + 24 + 12 + 20 + 20);
    assert_int_equal(rtcp_validate(buf, len), 0);

    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, buf, len);
    expect_sr(&it, &p);
    expect_sdes_bye(&it, &p);
    expect_feedback(&it, &p);
    assert_int_equal(rtcp_next(&it, &p), 0);
    assert_int_equal(rtcp_next(&it, &p), 0);
}

/* Parse a NACK built from `seqs` and return the expanded list and the number of FCI entries. */
static unsigned nack_roundtrip(const uint16_t *seqs, unsigned n, struct rtcp_pkt *p)
{
    uint8_t buf[256];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(rtcp_write_nack(&w, SSRC_A, SSRC_B, seqs, n), 0);
    assert_int_equal(rtcp_validate(buf, w.len), 0);
    struct rtcp_iter it;
    rtcp_iter_init(&it, buf, w.len);
    assert_int_equal(rtcp_next(&it, p), 1);
    assert_int_equal(rtcp_next(&it, p + 1), 0);
    return (unsigned)(w.len - 12) / 4;
}

static void test_nack_packing(void **state)
{
    (void)state;
    /* Scattered, unordered, with a duplicate, a run across 65535 -> 0 and gaps of exactly 16
     * (same entry) and 17 (next entry). */
    static const uint16_t in[] = {200, 65534, 3, 217, 65535, 100, 0, 116, 3, 118};
    static const uint16_t want[] = {65534, 65535, 0, 3, 100, 116, 118, 200, 217};
    struct rtcp_pkt p[2];
    unsigned fci = nack_roundtrip(in, 10, p);
    assert_int_equal(fci, 5); /* [65534: 65535 0 3] [100: 116] [118] [200] [217] */
    assert_int_equal(p[0].u.nack.nseq, 9);
    for (unsigned i = 0; i < 9; i++)
        assert_int_equal(p[0].u.nack.seq[i], want[i]);
}

static void test_nack_wire_layout(void **state)
{
    (void)state;
    /* {1, 65535}: one entry PID=65535 with BLP bit 1 (seq 65535+2 = 1). */
    static const uint16_t in[] = {1, 65535};
    uint8_t buf[64];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(rtcp_write_nack(&w, SSRC_A, SSRC_B, in, 2), 0);
    static const uint8_t want[] = {0x81, 205,  0x00, 0x03, 0x11, 0x22, 0x33, 0x44,
                                   0x55, 0x66, 0x77, 0x88, 0xff, 0xff, 0x00, 0x02};
    assert_int_equal(w.len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));

    /* A lone seq far from the others is not merged across a gap of 17. */
    static const uint16_t apart[] = {10, 27};
    struct rtcp_pkt p[2];
    assert_int_equal(nack_roundtrip(apart, 2, p), 2);
    assert_int_equal(p[0].u.nack.nseq, 2);
    assert_int_equal(p[0].u.nack.seq[0], 10);
    assert_int_equal(p[0].u.nack.seq[1], 27);

    /* Gap of exactly 16 still fits BLP bit 15. */
    static const uint16_t edge[] = {65530, 10};
    assert_int_equal(nack_roundtrip(edge, 2, p), 1);
    assert_int_equal(p[0].u.nack.seq[0], 65530);
    assert_int_equal(p[0].u.nack.seq[1], 10);
}

static void test_nack_parse_caps_at_max(void **state)
{
    (void)state;
    /* Six full entries expand to 102 seqs; the parser keeps the first RTCP_MAX_NACK. */
    uint8_t buf[12 + 6 * 4] = {0x81, 205, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2};
    for (unsigned i = 0; i < 6; i++) {
        uint16_t pid = (uint16_t)(1000 + i * 17);
        buf[12 + i * 4] = (uint8_t)(pid >> 8);
        buf[13 + i * 4] = (uint8_t)pid;
        buf[14 + i * 4] = 0xff;
        buf[15 + i * 4] = 0xff;
    }
    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, buf, sizeof(buf));
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_int_equal(p.u.nack.nseq, RTCP_MAX_NACK);
    for (unsigned i = 0; i < RTCP_MAX_NACK; i++)
        assert_int_equal(p.u.nack.seq[i], 1000 + i);
    assert_int_equal(rtcp_next(&it, &p), 0);
}

/* Parse a copy of exactly `len` bytes on the heap, so that ASan sees any read past the end. */
static int parse_all(const uint8_t *src, size_t len, unsigned *npkts)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, src, len);
    struct rtcp_iter it;
    struct rtcp_pkt p;
    int r;
    *npkts = 0;
    rtcp_iter_init(&it, copy, len);
    while ((r = rtcp_next(&it, &p)) == 1)
        (*npkts)++;
    free(copy);
    return r;
}

static void test_every_prefix(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t ends[6];
    size_t len = build_compound(buf, sizeof(buf), ends);
    unsigned boundaries = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        unsigned n;
        int r = parse_all(buf, cut, &n);
        int at_boundary = cut == 0;
        for (unsigned i = 0; i < 6; i++) {
            if (cut == ends[i]) {
                at_boundary = 1;
                assert_int_equal(n, i + 1);
            }
        }
        boundaries += (unsigned)at_boundary;
        assert_int_equal(r, at_boundary ? 0 : -EBADMSG);
        assert_int_equal(rtcp_validate(buf, cut), at_boundary && cut ? 0 : -EBADMSG);
    }
    assert_int_equal(boundaries, 7);
}

/* Hostile bytes: any single bit flip of a valid compound must parse or fail cleanly. */
static void test_bit_flips(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t ends[6];
    size_t len = build_compound(buf, sizeof(buf), ends);
    for (size_t bit = 0; bit < len * 8; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        unsigned n;
        int r = parse_all(buf, len, &n);
        assert_true(r == 0 || r == -EBADMSG);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

static void test_wrong_version(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t ends[6];
    size_t len = build_compound(buf, sizeof(buf), ends);
    unsigned n;

    buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x40); /* version 1 */
    assert_int_equal(parse_all(buf, len, &n), -EBADMSG);
    assert_int_equal(n, 0);
    assert_int_equal(rtcp_validate(buf, len), -EBADMSG);
    buf[0] = (uint8_t)(buf[0] | 0x80); /* version 3 */
    assert_int_equal(parse_all(buf, len, &n), -EBADMSG);
    buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80);

    buf[ends[1]] &= 0x3f; /* the BYE: version 0 */
    assert_int_equal(parse_all(buf, len, &n), -EBADMSG);
    assert_int_equal(n, 2);
    assert_int_equal(rtcp_validate(buf, len), -EBADMSG);
}

static void test_length_past_end(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t ends[6];
    size_t len = build_compound(buf, sizeof(buf), ends);
    unsigned n;

    buf[ends[4] + 3]++; /* the NACK claims one word more than there is */
    assert_int_equal(parse_all(buf, len, &n), -EBADMSG);
    assert_int_equal(n, 5);
    assert_int_equal(rtcp_validate(buf, len), -EBADMSG);

    buf[ends[4] + 2] = 0xff; /* and much more */
    assert_int_equal(parse_all(buf, len, &n), -EBADMSG);
    assert_int_equal(rtcp_validate(buf, len), -EBADMSG);

    static const uint8_t short_hdr[] = {0x80, 201, 0};
    assert_int_equal(parse_all(short_hdr, sizeof(short_hdr), &n), -EBADMSG);
    assert_int_equal(rtcp_validate(short_hdr, sizeof(short_hdr)), -EBADMSG);
    assert_int_equal(rtcp_validate(short_hdr, 0), -EBADMSG);
}

static void test_error_is_sticky(void **state)
{
    (void)state;
    static const uint8_t buf[] = {0x80, 201, 0, 1, 1, 2, 3, 4, 0x40, 201, 0, 0};
    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, buf, sizeof(buf));
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_int_equal(p.ssrc, 0x01020304);
    assert_int_equal(rtcp_next(&it, &p), -EBADMSG);
    assert_int_equal(rtcp_next(&it, &p), -EBADMSG);
}

static int parse_one(const uint8_t *buf, size_t len)
{
    unsigned n;
    return parse_all(buf, len, &n);
}

/* Header lengths that are consistent but too small for the counts or fixed fields inside. */
static void test_counts_do_not_fit(void **state)
{
    (void)state;
    /* RR with RC=2 but room for one block. */
    uint8_t rr[8 + 24] = {0x82, 201, 0, 7};
    assert_int_equal(rtcp_validate(rr, sizeof(rr)), 0);
    assert_int_equal(parse_one(rr, sizeof(rr)), -EBADMSG);
    rr[0] = 0x81;
    assert_int_equal(parse_one(rr, sizeof(rr)), 0);

    /* SR without room for the sender info. */
    static const uint8_t sr[] = {0x80, 200, 0, 1, 1, 2, 3, 4};
    assert_int_equal(parse_one(sr, sizeof(sr)), -EBADMSG);
    /* RR without an SSRC. */
    static const uint8_t rr0[] = {0x80, 201, 0, 0};
    assert_int_equal(parse_one(rr0, sizeof(rr0)), -EBADMSG);

    /* BYE with SC=3 and two SSRCs; BYE whose reason runs past the packet. */
    static const uint8_t bye[] = {0x83, 203, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(parse_one(bye, sizeof(bye)), -EBADMSG);
    static const uint8_t bye_reason[] = {0x81, 203, 0, 2, 1, 2, 3, 4, 9, 'a', 'b', 'c'};
    assert_int_equal(parse_one(bye_reason, sizeof(bye_reason)), -EBADMSG);

    /* SDES: item length past the end; no null terminator; SC=2 with one chunk. */
    static const uint8_t sdes_item[] = {0x81, 202, 0, 2, 1, 2, 3, 4, 1, 9, 'a', 'b'};
    assert_int_equal(parse_one(sdes_item, sizeof(sdes_item)), -EBADMSG);
    static const uint8_t sdes_noend[] = {0x81, 202, 0, 2, 1, 2, 3, 4, 1, 2, 'a', 'b'};
    assert_int_equal(parse_one(sdes_noend, sizeof(sdes_noend)), -EBADMSG);
    static const uint8_t sdes_sc[] = {0x82, 202, 0, 2, 1, 2, 3, 4, 1, 1, 'a', 0};
    assert_int_equal(parse_one(sdes_sc, sizeof(sdes_sc)), -EBADMSG);

    /* Feedback without the media SSRC; APP without its name. */
    static const uint8_t pli[] = {0x81, 206, 0, 1, 1, 2, 3, 4};
    assert_int_equal(parse_one(pli, sizeof(pli)), -EBADMSG);
    static const uint8_t nack[] = {0x81, 205, 0, 1, 1, 2, 3, 4};
    assert_int_equal(parse_one(nack, sizeof(nack)), -EBADMSG);
    static const uint8_t app[] = {0x80, 204, 0, 1, 1, 2, 3, 4};
    assert_int_equal(parse_one(app, sizeof(app)), -EBADMSG);
}

static void test_padding(void **state)
{
    (void)state;
    /* RR (no blocks) with 4 octets of padding, the last holding the count. */
    uint8_t rr[] = {0xa0, 201, 0, 2, 1, 2, 3, 4, 0, 0, 0, 4};
    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, rr, sizeof(rr));
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_int_equal(p.type, RTCP_RR);
    assert_int_equal(p.ssrc, 0x01020304);
    assert_int_equal(rtcp_next(&it, &p), 0);
    assert_int_equal(rtcp_validate(rr, sizeof(rr)), 0);

    rr[11] = 0; /* a count of zero cannot include itself */
    assert_int_equal(parse_one(rr, sizeof(rr)), -EBADMSG);
    assert_int_equal(rtcp_validate(rr, sizeof(rr)), -EBADMSG);
    rr[11] = 9; /* eats into the header */
    assert_int_equal(parse_one(rr, sizeof(rr)), -EBADMSG);
    assert_int_equal(rtcp_validate(rr, sizeof(rr)), -EBADMSG);
    rr[11] = 8; /* eats the SSRC: header fine, body too short */
    assert_int_equal(rtcp_validate(rr, sizeof(rr)), 0);
    assert_int_equal(parse_one(rr, sizeof(rr)), -EBADMSG);

    /* Padding of less than a word leaves a partial FCI entry, which is ignored. */
    static const uint8_t nack[] = {0xa1, 205, 0, 4, 0, 0, 0, 1, 0,    0,
                                   0,    2,   0, 7, 0, 1, 0, 9, 0xff, 2};
    rtcp_iter_init(&it, nack, sizeof(nack));
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_int_equal(p.u.nack.nseq, 2);
    assert_int_equal(p.u.nack.seq[0], 7);
    assert_int_equal(p.u.nack.seq[1], 8);

    /* An SDES chunk whose null padding to the word boundary would run into the packet padding. */
    static const uint8_t sdes[] = {0xa1, 202, 0, 3, 0, 0, 0, 1, 1, 3, 'a', 'b', 'c', 0, 0, 2};
    assert_int_equal(rtcp_validate(sdes, sizeof(sdes)), 0);
    assert_int_equal(parse_one(sdes, sizeof(sdes)), -EBADMSG);
}

static void test_unknown_types_skipped(void **state)
{
    (void)state;
    /* RR, XR (207) with one word of content, APP, a type from the RTP range, then PLI. */
    static const uint8_t buf[] = {
        0x80, 201, 0, 1, 0, 0, 0, 1,                         /* RR */
        0x85, 207, 0, 2, 0, 0, 0, 2, 0xaa, 0xbb, 0xcc, 0xdd, /* XR */
        0x83, 204, 0, 2, 0, 0, 0, 3, 'n',  'a',  'm',  'e',  /* APP */
        0x9f, 99,  0, 0,                                     /* unknown, empty */
        0x81, 206, 0, 2, 0, 0, 0, 4, 0,    0,    0,    5,    /* PLI */
    };
    static const uint8_t types[] = {RTCP_RR, 207, RTCP_APP, 99, RTCP_PSFB};
    static const uint8_t counts[] = {0, 5, 3, 31, 1};
    static const uint32_t ssrcs[] = {1, 2, 3, 0, 4};
    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, buf, sizeof(buf));
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(rtcp_next(&it, &p), 1);
        assert_int_equal(p.type, types[i]);
        assert_int_equal(p.count, counts[i]);
        assert_int_equal(p.ssrc, ssrcs[i]);
    }
    assert_int_equal(p.u.pli.media_ssrc, 5);
    assert_int_equal(rtcp_next(&it, &p), 0);
    assert_int_equal(rtcp_validate(buf, sizeof(buf)), 0);
}

static void test_sdes_first_cname_only(void **state)
{
    (void)state;
    /* Two chunks: the first has NOTE then CNAME "ab", the second a CNAME that is ignored. */
    static const uint8_t buf[] = {
        0x82, 202, 0, 6, 0, 0, 0,   7,   7, 1, 'x', 1, 2, 'a', 'b', 0, /* chunk 1 */
        0,    0,   0, 8, 1, 2, 'c', 'd', 0, 0, 0,   0,                 /* chunk 2 */
    };
    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, buf, sizeof(buf));
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_int_equal(p.ssrc, 7);
    assert_int_equal(p.u.sdes.cname_len, 2);
    assert_memory_equal(p.u.sdes.cname, "ab", 2);
    assert_int_equal(rtcp_next(&it, &p), 0);

    /* No chunks at all: no CNAME, no SSRC. */
    static const uint8_t empty[] = {0x80, 202, 0, 0};
    rtcp_iter_init(&it, empty, sizeof(empty));
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_null(p.u.sdes.cname);
    assert_int_equal(p.ssrc, 0);
}

/* For each writer: every capacity below its size fails without touching anything. */
typedef int (*write_fn)(struct rtcp_writer *w);

static int write_sr(struct rtcp_writer *w)
{
    return rtcp_write_sr(w, SSRC_A, &sender_info, blocks2, 2);
}

static int write_rr(struct rtcp_writer *w)
{
    return rtcp_write_rr(w, SSRC_A, blocks2, 1);
}

static int write_sdes(struct rtcp_writer *w)
{
    return rtcp_write_sdes_cname(w, SSRC_A, "abcdef");
}

static int write_bye(struct rtcp_writer *w)
{
    return rtcp_write_bye(w, bye_ssrcs, 2, "bye");
}

static int write_pli(struct rtcp_writer *w)
{
    return rtcp_write_pli(w, SSRC_A, SSRC_B);
}

static int write_fir(struct rtcp_writer *w)
{
    return rtcp_write_fir(w, SSRC_A, SSRC_B, 1);
}

static int write_nack(struct rtcp_writer *w)
{
    return rtcp_write_nack(w, SSRC_A, SSRC_B, nack_seqs, 5);
}

static void check_enospc(write_fn fn, size_t need)
{
    uint8_t buf[256];
    struct rtcp_writer w;
    for (size_t cap = 0; cap < need; cap++) {
        memset(buf, 0xa5, sizeof(buf));
        rtcp_writer_init(&w, buf, cap);
        assert_int_equal(fn(&w), -ENOSPC);
        assert_int_equal(w.len, 0);
        for (size_t i = 0; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 0xa5);
    }
    /* Also when earlier packets already used part of the buffer. */
    rtcp_writer_init(&w, buf, 8 + need - 1);
    assert_int_equal(rtcp_write_rr(&w, SSRC_A, NULL, 0), 0);
    assert_int_equal(fn(&w), -ENOSPC);
    assert_int_equal(w.len, 8);
    rtcp_writer_init(&w, buf, need);
    assert_int_equal(fn(&w), 0);
    assert_int_equal(w.len, need);
    assert_int_equal(rtcp_validate(buf, need), 0);
}

static void test_writers_enospc(void **state)
{
    (void)state;
    check_enospc(write_sr, 4 + 4 + 20 + 2 * 24);
    check_enospc(write_rr, 4 + 4 + 24);
    check_enospc(write_sdes, 4 + 16); /* SSRC, item, null octet, padding */
    check_enospc(write_bye, 4 + 8 + 4);
    check_enospc(write_pli, 12);
    check_enospc(write_fir, 20);
    check_enospc(write_nack, 12 + 2 * 4);
}

static void test_writers_einval(void **state)
{
    (void)state;
    uint8_t buf[2048];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, sizeof(buf));
    struct rtcp_report_block many[RTCP_MAX_BLOCKS + 1];
    memset(many, 0, sizeof(many));
    assert_int_equal(rtcp_write_rr(&w, 1, many, RTCP_MAX_BLOCKS + 1), -EINVAL);
    assert_int_equal(rtcp_write_sr(&w, 1, NULL, NULL, 0), -EINVAL);
    assert_int_equal(rtcp_write_rr(&w, 1, NULL, 1), -EINVAL);
    char longname[300];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    assert_int_equal(rtcp_write_sdes_cname(&w, 1, longname), -EINVAL);
    assert_int_equal(rtcp_write_sdes_cname(&w, 1, NULL), -EINVAL);
    assert_int_equal(rtcp_write_bye(&w, bye_ssrcs, 2, longname), -EINVAL);
    assert_int_equal(rtcp_write_nack(&w, 1, 2, nack_seqs, 0), -EINVAL);
    assert_int_equal(w.len, 0);

    /* The limits themselves are fine: 31 blocks, a 255-octet CNAME. */
    assert_int_equal(rtcp_write_rr(&w, 1, many, RTCP_MAX_BLOCKS), 0);
    longname[255] = 0;
    assert_int_equal(rtcp_write_sdes_cname(&w, 1, longname), 0);
    assert_int_equal(rtcp_validate(buf, w.len), 0);
    unsigned n;
    assert_int_equal(parse_all(buf, w.len, &n), 0);
    assert_int_equal(n, 2);
}

/* RFC 3550 6.4.2 layout written out by hand. */
static const uint8_t known_rr[] = {
    0x81, 0xc9, 0x00, 0x07, /* V=2 P=0 RC=1, PT=201, length 7 */
    0x11, 0x22, 0x33, 0x44, /* SSRC of packet sender */
    0x55, 0x66, 0x77, 0x88, /* SSRC_1 */
    0x40, 0xff, 0xff, 0xfe, /* fraction 64/256, cumulative -2 */
    0x00, 0x01, 0xab, 0xcd, /* extended highest sequence number */
    0x00, 0x00, 0x01, 0x23, /* jitter */
    0xde, 0xad, 0xbe, 0xef, /* LSR */
    0x00, 0x01, 0x00, 0x00, /* DLSR: one second */
};

static const struct rtcp_report_block known_block = {
    .ssrc = 0x55667788,
    .fraction_lost = 0x40,
    .cumulative_lost = -2,
    .ext_highest_seq = 0x0001abcd,
    .jitter = 0x123,
    .lsr = 0xdeadbeef,
    .dlsr = 0x10000,
};

static void test_known_rr_bytes(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(rtcp_write_rr(&w, 0x11223344, &known_block, 1), 0);
    assert_int_equal(w.len, sizeof(known_rr));
    assert_memory_equal(buf, known_rr, sizeof(known_rr));

    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, known_rr, sizeof(known_rr));
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_int_equal(p.type, RTCP_RR);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.ssrc, 0x11223344);
    assert_int_equal(p.u.report.nblocks, 1);
    assert_block_equal(&p.u.report.blocks[0], &known_block);
    assert_int_equal(rtcp_next(&it, &p), 0);
}

static void test_cumulative_lost_clamped(void **state)
{
    (void)state;
    struct rtcp_report_block rb[2] = {{.cumulative_lost = 0x1000000},
                                      {.cumulative_lost = -9000000}};
    uint8_t buf[64];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, sizeof(buf));
    assert_int_equal(rtcp_write_rr(&w, 1, rb, 2), 0);
    assert_memory_equal(buf + 12 + 1, "\x7f\xff\xff", 3);
    assert_memory_equal(buf + 36 + 1, "\x80\x00\x00", 3);
    struct rtcp_iter it;
    struct rtcp_pkt p;
    rtcp_iter_init(&it, buf, w.len);
    assert_int_equal(rtcp_next(&it, &p), 1);
    assert_int_equal(p.u.report.blocks[0].cumulative_lost, 0x7fffff);
    assert_int_equal(p.u.report.blocks[1].cumulative_lost, -0x800000);
}

static void test_ntp(void **state)
{
    (void)state;
    assert_true(rtcp_ntp_from_unix_us(0) == (uint64_t)2208988800u << 32);
    uint64_t ntp = rtcp_ntp_from_unix_us(1500000); /* 1.5 s */
    assert_true(ntp == ((uint64_t)2208988801u << 32 | 0x80000000u));
    assert_int_equal(rtcp_ntp_mid32(ntp), (uint32_t)((2208988801u & 0xffff) << 16 | 0x8000));
    /* 2024-01-01T00:00:00Z, 0.25 s */
    ntp = rtcp_ntp_from_unix_us(1704067200250000ull);
    assert_true(ntp == ((uint64_t)(1704067200ull + 2208988800ull) << 32 | 0x40000000u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compound_roundtrip),
        cmocka_unit_test(test_nack_packing),
        cmocka_unit_test(test_nack_wire_layout),
        cmocka_unit_test(test_nack_parse_caps_at_max),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_wrong_version),
        cmocka_unit_test(test_length_past_end),
        cmocka_unit_test(test_error_is_sticky),
        cmocka_unit_test(test_counts_do_not_fit),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_unknown_types_skipped),
        cmocka_unit_test(test_sdes_first_cname_only),
        cmocka_unit_test(test_writers_enospc),
        cmocka_unit_test(test_writers_einval),
        cmocka_unit_test(test_known_rr_bytes),
        cmocka_unit_test(test_cumulative_lost_clamped),
        cmocka_unit_test(test_ntp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
