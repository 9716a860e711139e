/* RFC 7983 first-byte classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "demux.h"

static enum demux_kind classify2(uint8_t b0, uint8_t b1, size_t len)
{
    uint8_t buf[64] = {b0, b1};
    return demux_classify(buf, len);
}

static void test_ranges(void **state)
{
    assert_int_equal(classify2(0x00, 0x01, 20), DEMUX_STUN);
    assert_int_equal(classify2(0x01, 0x01, 20), DEMUX_STUN);
    assert_int_equal(classify2(22, 0xfe, 13), DEMUX_DTLS);
    assert_int_equal(classify2(0x80, 111, 12), DEMUX_RTP);
    assert_int_equal(classify2(0x80, 0x80 | 111, 12), DEMUX_RTP);
    assert_int_equal(classify2(0x80, 200, 28), DEMUX_RTCP);
    assert_int_equal(classify2(0x81, 201, 8), DEMUX_RTCP);
    assert_int_equal(classify2(0x81, 206, 12), DEMUX_RTCP);
    assert_int_equal(classify2(64, 0, 20), DEMUX_UNKNOWN);  /* TURN channel */
    assert_int_equal(classify2(4, 0, 20), DEMUX_UNKNOWN);   /* unassigned */
    assert_int_equal(classify2(192, 0, 20), DEMUX_UNKNOWN); /* beyond RTP */
}

static void test_short(void **state)
{
    assert_int_equal(demux_classify(NULL, 0), DEMUX_UNKNOWN);
    assert_int_equal(classify2(0x00, 0x01, 19), DEMUX_UNKNOWN);
    assert_int_equal(classify2(22, 0xfe, 12), DEMUX_UNKNOWN);
    assert_int_equal(classify2(0x80, 111, 11), DEMUX_UNKNOWN);
    assert_int_equal(classify2(0x80, 200, 7), DEMUX_UNKNOWN);
    assert_string_equal(demux_kind_name(DEMUX_RTCP), "rtcp");
    assert_string_equal(demux_kind_name((enum demux_kind)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
