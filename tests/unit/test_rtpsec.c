/* SRTP/SRTCP through libsrtp2: round trips per suite, and every way a packet must be refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rtp.h"
#include "rtpsec.h"

static int setup(void **state)
{
    return rtpsec_global_init();
}

static size_t make_rtp(uint8_t *buf, uint16_t seq)
{
    rtp_write_header(buf, 0, 111, seq, 960u * seq, 0xabcdef01);
    for (int i = 0; i < 100; i++)
        buf[12 + i] = (uint8_t)(i * 7 + seq);
    return 112;
}

static void roundtrip(enum rtpsec_suite suite)
{
    uint8_t key[RTPSEC_MAX_KEY];
    assert_int_equal(rtpsec_keygen(suite, key), 0);
    struct rtpsec *tx, *rx;
    assert_int_equal(rtpsec_create(&tx, suite, key, RTPSEC_OUTBOUND), 0);
    assert_int_equal(rtpsec_create(&rx, suite, key, RTPSEC_INBOUND), 0);
    for (uint16_t seq = 65530; seq != 10; seq++) { /* across the sequence wrap */
        uint8_t buf[112 + RTPSEC_MAX_TRAILER], plain[112];
        size_t len = make_rtp(buf, seq);
        memcpy(plain, buf, len);
        assert_int_equal(rtpsec_protect(tx, buf, &len), 0);
        assert_true(len > 112);
        assert_memory_not_equal(buf + 12, plain + 12, 100);
        assert_int_equal(rtpsec_unprotect(rx, buf, &len), 0);
        assert_int_equal(len, 112);
        assert_memory_equal(buf, plain, 112);
    }
    uint8_t r[64 + RTPSEC_MAX_TRAILER] = {0x80, 201, 0, 1, 1, 2, 3, 4};
    size_t rl = 8;
    assert_int_equal(rtpsec_protect_rtcp(tx, r, &rl), 0);
    assert_int_equal(rtpsec_unprotect_rtcp(rx, r, &rl), 0);
    assert_int_equal(rl, 8);
    assert_int_equal(r[1], 201);
    rtpsec_destroy(&tx);
    rtpsec_destroy(&rx);
    assert_null(tx);
}

static void test_roundtrip_all_suites(void **state)
{
    roundtrip(RTPSEC_AES_CM_128_HMAC_SHA1_80);
    roundtrip(RTPSEC_AES_CM_128_HMAC_SHA1_32);
    roundtrip(RTPSEC_AEAD_AES_128_GCM);
}

static void test_refusals(void **state)
{
    uint8_t key[RTPSEC_MAX_KEY], other[RTPSEC_MAX_KEY];
    rtpsec_keygen(RTPSEC_AES_CM_128_HMAC_SHA1_80, key);
    rtpsec_keygen(RTPSEC_AES_CM_128_HMAC_SHA1_80, other);
    struct rtpsec *tx, *rx, *wrong;
    assert_int_equal(rtpsec_create(&tx, RTPSEC_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_OUTBOUND), 0);
    assert_int_equal(rtpsec_create(&rx, RTPSEC_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_INBOUND), 0);
    assert_int_equal(rtpsec_create(&wrong, RTPSEC_AES_CM_128_HMAC_SHA1_80, other, RTPSEC_OUTBOUND),
                     0);

    uint8_t buf[256], copy[256];
    size_t len = make_rtp(buf, 5), clen;
    assert_int_equal(rtpsec_protect(wrong, buf, &len), 0);
    assert_int_equal(rtpsec_unprotect(rx, buf, &len), -EACCES); /* wrong key */

    len = make_rtp(buf, 6);
    assert_int_equal(rtpsec_protect(tx, buf, &len), 0);
    memcpy(copy, buf, len);
    clen = len;
    buf[20] ^= 1; /* one flipped payload bit */
    assert_int_equal(rtpsec_unprotect(rx, buf, &len), -EACCES);
    assert_int_equal(rtpsec_unprotect(rx, copy, &clen), 0);
    make_rtp(buf, 6);
    len = 112;
    /* The same index again is a replay, even with a valid tag. */
    uint8_t again[256];
    memcpy(again, copy, sizeof(again));
    len = make_rtp(again, 7);
    assert_int_equal(rtpsec_protect(tx, again, &len), 0);
    memcpy(copy, again, len);
    clen = len;
    assert_int_equal(rtpsec_unprotect(rx, again, &len), 0);
    assert_int_equal(rtpsec_unprotect(rx, copy, &clen), -EALREADY);

    len = 10; /* shorter than header + tag */
    assert_int_equal(rtpsec_unprotect(rx, buf, &len), -EBADMSG);
    len = 8;
    assert_int_equal(rtpsec_unprotect_rtcp(rx, buf, &len), -EBADMSG);
    rtpsec_destroy(&tx);
    rtpsec_destroy(&rx);
    rtpsec_destroy(&wrong);
}

static void test_suites(void **state)
{
    enum rtpsec_suite s;
    assert_int_equal(rtpsec_suite_parse("AEAD_AES_128_GCM", &s), 0);
    assert_int_equal(s, RTPSEC_AEAD_AES_128_GCM);
    assert_int_equal(rtpsec_key_len(s), 28);
    assert_int_equal(rtpsec_suite_parse("aes_cm_128_hmac_sha1_80", &s), 0);
    assert_int_equal(rtpsec_key_len(s), 30);
    assert_string_equal(rtpsec_suite_name(s), "AES_CM_128_HMAC_SHA1_80");
    assert_int_equal(rtpsec_suite_parse("NULL_CIPHER", &s), -EINVAL);
    struct rtpsec *x;
    uint8_t key[RTPSEC_MAX_KEY] = {0};
    assert_int_equal(rtpsec_create(&x, RTPSEC_SUITE_COUNT, key, RTPSEC_INBOUND), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all_suites),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_suites),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
