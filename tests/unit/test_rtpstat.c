/* Unit tests for per-source receive statistics (mcu/rtpstat.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rtpstat.h"

#define SSRC     0xcafef00du
#define RATE     8000   /* Hz: 20 ms = 160 timestamp units, exact in microseconds */
#define PTIME_US 20000u /* packet interval */
#define PTIME_TS 160u
#define T0_US    1000000u /* arrival clock at the first packet, before network delay */
#define DELAY_US 50000u

/* Packet k of a 20 ms stream with sequence numbers from `seq0`, sent on time, delayed `extra`. */
static int send_k(struct rtpstat *s, uint16_t seq0, uint32_t k, int64_t extra_us)
{
    uint64_t arrival = T0_US + (uint64_t)k * PTIME_US + DELAY_US + (uint64_t)extra_us;
    return rtpstat_update(s, (uint16_t)(seq0 + k), k * PTIME_TS, arrival);
}

/* Start a source at `seq0` and pass probation with packets 0 and 1. */
static void start(struct rtpstat *s, uint16_t seq0)
{
    rtpstat_init(s, SSRC, seq0, RATE);
    assert_int_equal(send_k(s, seq0, 0, 0), RTPSTAT_PROBATION);
    assert_int_equal(send_k(s, seq0, 1, 0), RTPSTAT_OK);
}

static void report(struct rtpstat *s, struct rtcp_report_block *rb)
{
    rtpstat_report(s, rb, 10 * T0_US);
}

static void test_in_order(void **state)
{
    (void)state;
    struct rtpstat s;
    start(&s, 1000);
    for (uint32_t k = 2; k < 100; k++)
        assert_int_equal(send_k(&s, 1000, k, 0), RTPSTAT_OK);
    assert_int_equal(rtpstat_ext_max(&s), 1099);
    assert_int_equal(s.received, 100); /* both probation packets are counted */
    assert_int_equal(rtpstat_lost(&s), 0);
    assert_int_equal(s.duplicates, 0);

    struct rtcp_report_block rb;
    report(&s, &rb);
    assert_int_equal(rb.ssrc, SSRC);
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cumulative_lost, 0);
    assert_int_equal(rb.ext_highest_seq, 1099);
    assert_int_equal(rb.jitter, 0);
    assert_int_equal(rb.lsr, 0);
    assert_int_equal(rb.dlsr, 0);
}

static void test_probation(void **state)
{
    (void)state;
    struct rtpstat s;
    struct rtcp_report_block rb;
    rtpstat_init(&s, SSRC, 10, RATE);
    assert_int_equal(rtpstat_update(&s, 10, 0, T0_US), RTPSTAT_PROBATION);
    assert_int_equal(rtpstat_update(&s, 12, 320, T0_US + 40000), RTPSTAT_PROBATION);
    report(&s, &rb); /* nothing counted yet: no loss reported for the gap */
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cumulative_lost, 0);
    assert_int_equal(rtpstat_update(&s, 13, 480, T0_US + 60000), RTPSTAT_OK);
    /* The run that validated the source is 12, 13; packet 10 belongs to no run. */
    assert_int_equal(s.received, 2);
    assert_int_equal(rtpstat_ext_max(&s), 13);
    assert_int_equal(rtpstat_lost(&s), 0);
    report(&s, &rb);
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cumulative_lost, 0);
}

static void test_loss(void **state)
{
    (void)state;
    struct rtpstat s;
    struct rtcp_report_block rb;
    start(&s, 0);
    for (uint32_t k = 2; k < 100; k++) {
        if (k % 10 == 0 && k <= 50)
            continue; /* 10, 20, 30, 40, 50 */
        assert_int_equal(send_k(&s, 0, k, 0), RTPSTAT_OK);
    }
    assert_int_equal(rtpstat_lost(&s), 5);
    report(&s, &rb);
    assert_int_equal(rb.fraction_lost, 5 * 256 / 100);
    assert_int_equal(rb.cumulative_lost, 5);
    assert_int_equal(rb.ext_highest_seq, 99);

    for (uint32_t k = 100; k < 200; k++) {
        if (k >= 150 && k < 170)
            continue;
        assert_int_equal(send_k(&s, 0, k, 0), RTPSTAT_OK);
    }
    report(&s, &rb);
    assert_int_equal(rb.fraction_lost, 20 * 256 / 100);
    assert_int_equal(rb.cumulative_lost, 25);

    /* An interval with nothing expected reports no loss, and the total stays. */
    report(&s, &rb);
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cumulative_lost, 25);

    /* Everything lost in an interval but the last packet. */
    assert_int_equal(send_k(&s, 0, 299, 0), RTPSTAT_OK);
    report(&s, &rb);
    assert_int_equal(rb.fraction_lost, 99 * 256 / 100);
    assert_int_equal(rb.cumulative_lost, 124);
}

static void test_reorder(void **state)
{
    (void)state;
    struct rtpstat s;
    start(&s, 0);
    assert_int_equal(send_k(&s, 0, 2, 0), RTPSTAT_OK);
    assert_int_equal(send_k(&s, 0, 4, 0), RTPSTAT_OK);
    assert_int_equal(rtpstat_lost(&s), 1);
    assert_int_equal(send_k(&s, 0, 3, 5000), RTPSTAT_OK); /* late, not a loss any more */
    assert_int_equal(rtpstat_lost(&s), 0);
    assert_int_equal(rtpstat_ext_max(&s), 4);
    assert_int_equal(s.duplicates, 0);
}

static void test_misorder_and_dropout_limits(void **state)
{
    (void)state;
    struct rtpstat s;
    start(&s, 0);
    assert_int_equal(rtpstat_update(&s, 2000, 0, T0_US), RTPSTAT_OK); /* gap < MAX_DROPOUT */
    /* Up to 99 behind is reordering; 100 behind is a jump. */
    assert_int_equal(rtpstat_update(&s, 1901, 0, T0_US), RTPSTAT_OK);
    assert_int_equal(rtpstat_update(&s, 1900, 0, T0_US), -EPROTO);
    assert_int_equal(rtpstat_update(&s, 4999, 0, T0_US), RTPSTAT_OK); /* 2999 ahead */
    assert_int_equal(rtpstat_update(&s, 7999, 0, T0_US), -EPROTO);    /* 3000 ahead */
    assert_int_equal(rtpstat_ext_max(&s), 4999);
    assert_int_equal(s.received, 5);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct rtpstat s;
    struct rtcp_report_block rb;
    start(&s, 1);
    assert_int_equal(send_k(&s, 1, 2, 0), RTPSTAT_OK);
    /* Repeat of the highest seq, arriving late: detected, and not a jitter sample. */
    assert_int_equal(send_k(&s, 1, 2, 30000), RTPSTAT_OK);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(send_k(&s, 1, 3, 0), RTPSTAT_OK);
    /* Expected 4 (1..4), received 5: RFC 3550 counts duplicates as received. */
    assert_int_equal(rtpstat_lost(&s), -1);
    assert_int_equal(rtpstat_jitter(&s), 0);

    /* An older repeat looks like a late packet: counted as received, not as a duplicate. */
    assert_int_equal(send_k(&s, 1, 1, 0), RTPSTAT_OK);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(rtpstat_lost(&s), -2);

    report(&s, &rb);
    assert_int_equal(rb.cumulative_lost, -2);
    assert_int_equal(rb.fraction_lost, 0); /* negative interval loss reports as 0 */
}

static void test_wraparound(void **state)
{
    (void)state;
    struct rtpstat s;
    struct rtcp_report_block rb;
    start(&s, 65530);
    for (uint32_t k = 2; k < 17; k++)
        assert_int_equal(send_k(&s, 65530, k, 0), RTPSTAT_OK);
    assert_int_equal(s.max_seq, 10);
    assert_int_equal(s.cycles, 65536);
    assert_int_equal(rtpstat_ext_max(&s), 65536 + 10);
    assert_int_equal(rtpstat_lost(&s), 0);
    report(&s, &rb);
    assert_int_equal(rb.ext_highest_seq, 65546);
    assert_int_equal(rb.cumulative_lost, 0);

    /* Losses straddling the wrap: 65535 and 0 never arrive. */
    start(&s, 65530);
    for (uint32_t k = 2; k < 10; k++) {
        if (k == 5 || k == 6)
            continue;
        assert_int_equal(send_k(&s, 65530, k, 0), RTPSTAT_OK);
    }
    assert_int_equal(rtpstat_ext_max(&s), 65536 + 3);
    assert_int_equal(rtpstat_lost(&s), 2);

    /* Probation itself crossing the wrap. */
    start(&s, 65535);
    assert_int_equal(rtpstat_ext_max(&s), 65536);
    assert_int_equal(rtpstat_lost(&s), 0);
    assert_int_equal(send_k(&s, 65535, 2, 0), RTPSTAT_OK);
    assert_int_equal(rtpstat_ext_max(&s), 65537);
    assert_int_equal(rtpstat_lost(&s), 0);
}

static void test_restart(void **state)
{
    (void)state;
    struct rtpstat s;
    start(&s, 1);
    for (uint32_t k = 2; k < 50; k++)
        assert_int_equal(send_k(&s, 1, k, 0), RTPSTAT_OK);
    assert_int_equal(rtpstat_ext_max(&s), 50);

    /* A lone jump is rejected and changes nothing. */
    assert_int_equal(rtpstat_update(&s, 30000, 0, T0_US), -EPROTO);
    assert_int_equal(send_k(&s, 1, 50, 0), RTPSTAT_OK);
    assert_int_equal(rtpstat_ext_max(&s), 51);
    assert_int_equal(s.received, 51);

    /* Two sequential packets after the jump: the sender restarted, with a new timestamp base. */
    uint64_t t = T0_US + 51 * PTIME_US + DELAY_US;
    assert_int_equal(rtpstat_update(&s, 20000, 900000000, t), -EPROTO);
    assert_int_equal(rtpstat_update(&s, 20001, 900000000 + PTIME_TS, t + PTIME_US),
                     RTPSTAT_RESTART);
    assert_int_equal(rtpstat_update(&s, 20002, 900000000 + 2 * PTIME_TS, t + 2 * PTIME_US),
                     RTPSTAT_OK);
    assert_int_equal(rtpstat_ext_max(&s), 20002);
    assert_int_equal(s.received, 2);
    assert_int_equal(rtpstat_lost(&s), 0);
    assert_int_equal(rtpstat_jitter(&s), 0); /* the timestamp jump is no delay spike */

    struct rtcp_report_block rb;
    report(&s, &rb);
    assert_int_equal(rb.fraction_lost, 0);
    assert_int_equal(rb.cumulative_lost, 0);
    assert_int_equal(rb.ext_highest_seq, 20002);
}

static void test_jitter_constant_delay(void **state)
{
    (void)state;
    struct rtpstat s;
    start(&s, 0);
    /* Some jitter first, then a constant delay: J decays by 1/16 per packet down to 0. */
    for (uint32_t k = 2; k < 40; k++)
        send_k(&s, 0, k, (k & 1) ? 10000 : 0);
    assert_true(rtpstat_jitter(&s) > 50);
    uint32_t prev = rtpstat_jitter(&s);
    for (uint32_t k = 40; k < 400; k++) {
        send_k(&s, 0, k, 10000); /* the delay of the last noisy packet */
        assert_true(rtpstat_jitter(&s) <= prev);
        prev = rtpstat_jitter(&s);
    }
    assert_int_equal(rtpstat_jitter(&s), 0);

    /* RTP timestamps wrapping past 2^32 are no jump either. */
    rtpstat_init(&s, SSRC, 0, RATE);
    for (uint32_t k = 0; k < 100; k++) {
        uint32_t ts = UINT32_MAX - 50 * PTIME_TS + k * PTIME_TS;
        rtpstat_update(&s, (uint16_t)k, ts, T0_US + (uint64_t)k * PTIME_US);
    }
    assert_int_equal(s.jitter_q4, 0);
}

/* Delay alternating 10 ms above and below the mean: every |D| is 20 ms, where J settles. */
static uint32_t alternating_jitter(uint32_t rate)
{
    struct rtpstat s;
    uint32_t ts_step = rate / 50; /* 20 ms */
    rtpstat_init(&s, SSRC, 0, rate);
    for (uint32_t k = 0; k < 1000; k++) {
        uint64_t delay = (k & 1) ? DELAY_US + 10000 : DELAY_US - 10000;
        rtpstat_update(&s, (uint16_t)k, k * ts_step, T0_US + (uint64_t)k * PTIME_US + delay);
    }
    return rtpstat_jitter(&s);
}

static void test_jitter_alternating(void **state)
{
    (void)state;
    assert_int_equal(alternating_jitter(8000), 160);
    assert_int_equal(alternating_jitter(48000), 960);
    assert_int_equal(alternating_jitter(90000), 1800);
}

static void test_lsr_dlsr(void **state)
{
    (void)state;
    struct rtpstat s;
    struct rtcp_report_block rb;
    start(&s, 0);
    uint64_t ntp = 0xe8a1b2c3d4e5f607ull;
    rtpstat_on_sr(&s, ntp, 5000000);
    rtpstat_report(&s, &rb, 5500000);
    assert_int_equal(rb.lsr, 0xb2c3d4e5);
    assert_int_equal(rb.dlsr, 32768); /* 0.5 s in 1/65536 s */
    rtpstat_report(&s, &rb, 7000000);
    assert_int_equal(rb.dlsr, 2 * 65536);
    rtpstat_report(&s, &rb, 4000000); /* clock before the SR: no negative delay */
    assert_int_equal(rb.lsr, 0xb2c3d4e5);
    assert_int_equal(rb.dlsr, 0);

    /* A newer SR replaces the old one. */
    rtpstat_on_sr(&s, rtcp_ntp_from_unix_us(1500000), 8000000);
    rtpstat_report(&s, &rb, 8000100);
    assert_int_equal(rb.lsr, rtcp_ntp_mid32(rtcp_ntp_from_unix_us(1500000)));
    assert_int_equal(rb.dlsr, 100 * 65536 / 1000000);

    /* An SR at clock 0 is still an SR (recorded 1 us late). */
    start(&s, 0);
    rtpstat_on_sr(&s, ntp, 0);
    rtpstat_report(&s, &rb, 1000000);
    assert_int_equal(rb.lsr, 0xb2c3d4e5);
    assert_int_equal(rb.dlsr, 65535);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_probation),
        cmocka_unit_test(test_loss),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_misorder_and_dropout_limits),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_jitter_constant_delay),
        cmocka_unit_test(test_jitter_alternating),
        cmocka_unit_test(test_lsr_dlsr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
