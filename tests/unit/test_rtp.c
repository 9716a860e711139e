/* RTP header and RFC 8285 extension parse/build. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rtp.h"

static void test_roundtrip(void **state)
{
    uint8_t buf[64];
    rtp_write_header(buf, 1, 111, 65535, 0xdeadbeef, 0x01020304);
    memcpy(buf + 12, "abc", 3);
    struct rtp_hdr h;
    assert_int_equal(rtp_parse(&h, buf, 15), 0);
    assert_int_equal(h.marker, 1);
    assert_int_equal(h.pt, 111);
    assert_int_equal(h.seq, 65535);
    assert_int_equal(h.ts, 0xdeadbeef);
    assert_int_equal(h.ssrc, 0x01020304);
    assert_int_equal(h.hdr_len, 12);
    assert_int_equal(h.payload_len, 3);
    assert_memory_equal(h.payload, "abc", 3);

    rtp_rewrite(buf, 7, 8, 9);
    assert_int_equal(rtp_parse(&h, buf, 15), 0);
    assert_int_equal(h.seq, 7);
    assert_int_equal(h.ts, 8);
    assert_int_equal(h.ssrc, 9);
    assert_int_equal(h.marker, 1);
}

static void test_malformed(void **state)
{
    uint8_t buf[32] = {0};
    struct rtp_hdr h;
    rtp_write_header(buf, 0, 0, 0, 0, 0);
    for (size_t len = 0; len < 12; len++)
        assert_int_equal(rtp_parse(&h, buf, len), -EBADMSG);
    buf[0] = 0x40; /* version 1 */
    assert_int_equal(rtp_parse(&h, buf, 20), -EBADMSG);
    buf[0] = 0x8f; /* 15 CSRCs need 72 bytes */
    assert_int_equal(rtp_parse(&h, buf, 32), -EBADMSG);
    buf[0] = 0x90; /* extension header past the end */
    assert_int_equal(rtp_parse(&h, buf, 14), -EBADMSG);
    buf[12] = 0xbe, buf[13] = 0xde, buf[14] = 0, buf[15] = 9; /* 36 bytes of extension */
    assert_int_equal(rtp_parse(&h, buf, 32), -EBADMSG);
    buf[0] = 0xa0; /* padding */
    buf[19] = 0;   /* zero pad count */
    assert_int_equal(rtp_parse(&h, buf, 20), -EBADMSG);
    buf[19] = 9; /* more than the 8 payload bytes */
    assert_int_equal(rtp_parse(&h, buf, 20), -EBADMSG);
    buf[19] = 8;
    assert_int_equal(rtp_parse(&h, buf, 20), 0);
    assert_int_equal(h.payload_len, 0);
    /* Before SRTP decryption the last byte is the tag's: the header parse leaves padding alone,
     * but still refuses what does not fit. */
    buf[19] = 0;
    assert_int_equal(rtp_parse_header(&h, buf, 20), 0);
    assert_int_equal(h.payload_len, 8);
    assert_int_equal(h.hdr_len, 12);
    buf[0] = 0xb0; /* padding and an extension past the end */
    assert_int_equal(rtp_parse_header(&h, buf, 14), -EBADMSG);
    for (size_t len = 0; len < 12; len++)
        assert_int_equal(rtp_parse_header(&h, buf, len), -EBADMSG);
}

static void test_csrc(void **state)
{
    uint8_t buf[40] = {0};
    rtp_write_header(buf, 0, 96, 1, 2, 3);
    buf[0] |= 2;
    buf[15] = 0xaa;
    buf[19] = 0xbb;
    struct rtp_hdr h;
    assert_int_equal(rtp_parse(&h, buf, 24), 0);
    assert_int_equal(h.cc, 2);
    assert_int_equal(h.csrc[0], 0xaa);
    assert_int_equal(h.csrc[1], 0xbb);
    assert_int_equal(h.hdr_len, 20);
    assert_int_equal(h.payload_len, 4);
}

static void test_ext_one_byte(void **state)
{
    uint8_t buf[64];
    const uint8_t level[1] = {0x80 | 42}; /* RFC 6464: voice flag + 42 dBov */
    const uint8_t mid[3] = {'a', 'b', 'c'};
    const uint8_t ids[2] = {1, 3};
    const uint8_t *vals[2] = {level, mid};
    const uint8_t lens[2] = {1, 3};
    int n = rtp_write_header_ext(buf, sizeof(buf), 0, 111, 1, 2, 3, ids, vals, lens, 2);
    assert_int_equal(n, 12 + 4 + 8);
    struct rtp_hdr h;
    assert_int_equal(rtp_parse(&h, buf, (size_t)n + 5), 0);
    assert_int_equal(h.ext_profile, RTP_EXT_ONE_BYTE);
    assert_int_equal(h.payload_len, 5);
    const uint8_t *d;
    size_t dl;
    assert_int_equal(rtp_ext_find(&h, 1, &d, &dl), 0);
    assert_int_equal(dl, 1);
    assert_int_equal(d[0], 0x80 | 42);
    assert_int_equal(rtp_ext_find(&h, 3, &d, &dl), 0);
    assert_int_equal(dl, 3);
    assert_memory_equal(d, "abc", 3);
    assert_int_equal(rtp_ext_find(&h, 2, &d, &dl), -ENOENT);

    assert_int_equal(rtp_write_header_ext(buf, 20, 0, 111, 1, 2, 3, ids, vals, lens, 2), -ENOSPC);
    const uint8_t bad_ids[1] = {15};
    assert_int_equal(rtp_write_header_ext(buf, 64, 0, 1, 1, 2, 3, bad_ids, vals, lens, 1), -EINVAL);
}

static void test_ext_two_byte_and_malformed(void **state)
{
    uint8_t buf[32] = {0};
    rtp_write_header(buf, 0, 96, 1, 2, 3);
    buf[0] |= 0x10;
    buf[12] = 0x10, buf[13] = 0x00, buf[14] = 0, buf[15] = 2;
    /* id 200, len 3, padding, id 7 len 0 */
    buf[16] = 200, buf[17] = 3, buf[18] = 'x', buf[19] = 'y', buf[20] = 'z';
    buf[21] = 0, buf[22] = 7, buf[23] = 0;
    struct rtp_hdr h;
    assert_int_equal(rtp_parse(&h, buf, 24), 0);
    const uint8_t *d;
    size_t dl;
    assert_int_equal(rtp_ext_find(&h, 200, &d, &dl), 0);
    assert_int_equal(dl, 3);
    assert_memory_equal(d, "xyz", 3);
    assert_int_equal(rtp_ext_find(&h, 7, &d, &dl), 0);
    assert_int_equal(dl, 0);
    buf[17] = 9; /* element longer than the block */
    assert_int_equal(rtp_parse(&h, buf, 24), 0);
    assert_int_equal(rtp_ext_find(&h, 7, &d, &dl), -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_csrc),
        cmocka_unit_test(test_ext_one_byte),
        cmocka_unit_test(test_ext_two_byte_and_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
