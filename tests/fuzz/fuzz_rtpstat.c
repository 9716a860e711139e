/* libFuzzer target for mcu/rtpstat.c: the input is a stream of (seq, ts, arrival) records. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rtpstat.h"

/* Header: first seq (2), clock rate selector (1). Record: seq (2), RTP timestamp (4), arrival
 * step in us (3), flags (1). Arrival is a step so that the clock stays monotonic, as the API
 * requires, unless FLAG_BACKWARDS asks for a misbehaving clock. */
#define HDR_LEN        3
#define REC_LEN        10
#define FLAG_REPORT    0x01
#define FLAG_SR        0x02
#define FLAG_BACKWARDS 0x04

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static uint32_t be(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static uint32_t pick_rate(uint8_t sel)
{
    static const uint32_t rates[] = {8000, 16000, 48000, 90000, 0, 1, UINT32_MAX};
    return rates[sel % (sizeof(rates) / sizeof(rates[0]))];
}

static void check_report(struct rtpstat *s, uint64_t now)
{
    struct rtcp_report_block rb;
    int64_t lost = rtpstat_lost(s);
    rtpstat_report(s, &rb, now);
    check(rb.ssrc == s->ssrc);
    check(rb.ext_highest_seq == rtpstat_ext_max(s));
    check(rb.jitter == rtpstat_jitter(s));
    int64_t clamped = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : lost;
    check(rb.cumulative_lost == clamped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR_LEN)
        return 0;
    struct rtpstat s;
    rtpstat_init(&s, 0x12345678, (uint16_t)be(data, 2), pick_rate(data[2]));
    uint64_t now = 1000000;
    for (size_t off = HDR_LEN; off + REC_LEN <= size; off += REC_LEN) {
        const uint8_t *r = data + off;
        uint8_t flags = r[9];
        uint32_t step = be(r + 6, 3);
        now = (flags & FLAG_BACKWARDS) ? now - (step < now ? step : now) : now + step;
        int v = rtpstat_update(&s, (uint16_t)be(r, 2), be(r + 2, 4), now);
        check(v == -EPROTO || v == RTPSTAT_OK || v == RTPSTAT_PROBATION || v == RTPSTAT_RESTART);
        if (flags & FLAG_SR)
            rtpstat_on_sr(&s, (uint64_t)be(r + 2, 4) << 24, now);
        if (flags & FLAG_REPORT)
            check_report(&s, now);
    }
    check_report(&s, now);
    return 0;
}
