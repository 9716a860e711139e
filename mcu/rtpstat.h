/* Per-SSRC receive statistics (RFC 3550 section 6.4.1 and appendix A.1, A.3, A.8):
 * extended sequence numbers, loss, interarrival jitter, and the report block for RR/SR.
 * Pure state machine: time is a parameter. */
#ifndef MCU_RTPSTAT_H
#define MCU_RTPSTAT_H

#include <stdint.h>

#include "rtcp.h"

struct rtpstat {
    uint32_t ssrc;
    uint32_t clock_rate;
    uint16_t max_seq;
    uint32_t cycles; /* shifted count of sequence number cycles (seq wraps << 16) */
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t probation;
    uint32_t received;
    uint32_t expected_prior;
    uint32_t received_prior;
    int64_t transit;     /* last relative transit, timestamp units */
    uint32_t jitter_q4;  /* interarrival jitter in timestamp units, Q4 */
    uint64_t duplicates; /* packets whose extended seq was already seen recently */
    uint32_t last_sr_mid32;
    uint64_t last_sr_arrival_us; /* 0: no SR yet */
    int initialised;
};

enum rtpstat_verdict {
    RTPSTAT_OK = 0,        /* in sequence, counted */
    RTPSTAT_PROBATION = 1, /* source not yet validated (counted once validated) */
    RTPSTAT_RESTART = 2,   /* large jump accepted as a restart of the sequence */
};

/* Initialise for a source whose first packet has sequence `seq`. */
void rtpstat_init(struct rtpstat *s, uint32_t ssrc, uint16_t seq, uint32_t clock_rate);
/* Account one packet that arrived at `arrival_us` (a monotonic clock). Returns an
 * enum rtpstat_verdict, or -EPROTO for a packet rejected as a bad jump (counted nowhere). */
int rtpstat_update(struct rtpstat *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_us);
/* Extended highest sequence number received. */
uint32_t rtpstat_ext_max(const struct rtpstat *s);
/* Cumulative packets lost (expected - received), may be negative with duplicates. */
int64_t rtpstat_lost(const struct rtpstat *s);
/* Jitter in timestamp units. */
uint32_t rtpstat_jitter(const struct rtpstat *s);
/* Record an SR from this source received at `arrival_us` (for LSR/DLSR). */
void rtpstat_on_sr(struct rtpstat *s, uint64_t ntp, uint64_t arrival_us);
/* Fill a report block at `now_us` and start a new interval for fraction_lost. */
void rtpstat_report(struct rtpstat *s, struct rtcp_report_block *rb, uint64_t now_us);

#endif
