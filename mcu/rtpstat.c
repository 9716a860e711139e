/* Per-source RTP receive statistics: RFC 3550 A.1 sequence validation, A.3 loss, A.8 jitter. */
#include "rtpstat.h"

#include <errno.h>
#include <string.h>

#define MIN_SEQUENTIAL 2
#define MAX_DROPOUT    3000
#define MAX_MISORDER   100
#define RTP_SEQ_MOD    65536u
#define NO_TRANSIT     (-1) /* real transits are reduced to [0, 2^32) */
#define US_PER_S       1000000u
#define LOST_MAX       0x7fffff /* cumulative loss is 24-bit signed on the wire */
#define LOST_MIN       (-0x800000)

/* RFC 3550 A.1 init_seq(): the loss baseline restarts at `seq`. */
static void init_seq(struct rtpstat *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = RTP_SEQ_MOD + 1; /* matches no 16-bit seq */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
}

void rtpstat_init(struct rtpstat *s, uint32_t ssrc, uint16_t seq, uint32_t clock_rate)
{
    memset(s, 0, sizeof(*s));
    s->ssrc = ssrc;
    s->clock_rate = clock_rate;
    init_seq(s, seq);
    /* So that `seq` itself, passed to rtpstat_update next, is the first in-sequence packet. */
    s->max_seq = (uint16_t)(seq - 1);
    s->probation = MIN_SEQUENTIAL;
    s->transit = NO_TRANSIT;
    s->initialised = 1;
}

/* The probation run is the MIN_SEQUENTIAL packets ending at `seq`. Unlike the RFC's sample code
 * (which restarts counting at the last of them) they are all counted, as rtpstat.h promises;
 * the base may sit in the previous cycle when the run crosses 65535 -> 0. */
static void validate_source(struct rtpstat *s, uint16_t seq)
{
    init_seq(s, seq);
    if (seq < MIN_SEQUENTIAL - 1) {
        s->cycles = RTP_SEQ_MOD;
        s->base_seq = RTP_SEQ_MOD + seq - (MIN_SEQUENTIAL - 1);
    } else {
        s->base_seq = seq - (MIN_SEQUENTIAL - 1);
    }
    s->received = MIN_SEQUENTIAL;
}

static int update_probation(struct rtpstat *s, uint16_t seq)
{
    if (seq != (uint16_t)(s->max_seq + 1)) {
        /* Out of sequence: this packet is the first of a new run. */
        s->probation = MIN_SEQUENTIAL - 1;
        s->max_seq = seq;
        return RTPSTAT_PROBATION;
    }
    s->max_seq = seq;
    if (--s->probation > 0)
        return RTPSTAT_PROBATION;
    validate_source(s, seq);
    return RTPSTAT_OK;
}

/* RFC 3550 A.1 update_seq() once the source is valid. Duplicates are only detectable here when
 * they repeat max_seq; older repeats look like reordering and are counted only in `received`. */
static int update_valid(struct rtpstat *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    int verdict = RTPSTAT_OK;
    if (udelta == 0) {
        s->duplicates++;
    } else if (udelta < MAX_DROPOUT) {
        if (seq < s->max_seq)
            s->cycles += RTP_SEQ_MOD;
        s->max_seq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        if (seq != s->bad_seq) {
            /* Remember the jump; only a second packet following it confirms a restart. */
            s->bad_seq = (uint16_t)(seq + 1);
            return -EPROTO;
        }
        init_seq(s, seq);
        verdict = RTPSTAT_RESTART;
    }
    s->received++;
    return verdict;
}

/* Arrival time in RTP timestamp units, modulo 2^32 like the timestamps themselves. Seconds and
 * the sub-second part are scaled separately so that the product cannot overflow. */
static uint32_t arrival_units(const struct rtpstat *s, uint64_t arrival_us)
{
    uint64_t sec = arrival_us / US_PER_S;
    uint64_t sub = arrival_us % US_PER_S;
    return (uint32_t)(sec * s->clock_rate + sub * s->clock_rate / US_PER_S);
}

/* |a - b| taken modulo 2^32, so that timestamp wrap-around is not a jump. */
static int64_t abs_diff32(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d < 0x80000000u ? (int64_t)d : 0x100000000 - (int64_t)d;
}

/* RFC 3550 A.8 in Q4: J += |D| - J/16, with the rounding of the RFC's integer form. */
static void update_jitter(struct rtpstat *s, uint32_t rtp_ts, uint64_t arrival_us)
{
    if (s->clock_rate == 0)
        return;
    uint32_t transit = arrival_units(s, arrival_us) - rtp_ts;
    if (s->transit != NO_TRANSIT) {
        int64_t d = abs_diff32(transit, (uint32_t)s->transit);
        int64_t j = (int64_t)s->jitter_q4 + d - (((int64_t)s->jitter_q4 + 8) >> 4);
        s->jitter_q4 = j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
    }
    s->transit = transit;
}

int rtpstat_update(struct rtpstat *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_us)
{
    /* A repeated packet carries an old timestamp and would read as a delay spike. */
    int dup = !s->probation && seq == s->max_seq;
    int verdict = s->probation ? update_probation(s, seq) : update_valid(s, seq);
    if (verdict < 0)
        return verdict;
    /* A probation packet may start a new run and a restart usually brings a new timestamp base:
     * the previous transit is no reference for either. The jitter itself is kept because it
     * describes the network, not the sender. */
    if (verdict != RTPSTAT_OK)
        s->transit = NO_TRANSIT;
    if (!dup)
        update_jitter(s, rtp_ts, arrival_us);
    return verdict;
}

uint32_t rtpstat_ext_max(const struct rtpstat *s)
{
    return s->cycles + s->max_seq;
}

static uint32_t expected(const struct rtpstat *s)
{
    return rtpstat_ext_max(s) - s->base_seq + 1;
}

int64_t rtpstat_lost(const struct rtpstat *s)
{
    if (s->probation)
        return 0; /* nothing is counted before the source is valid */
    return (int64_t)expected(s) - s->received;
}

/* Rounded rather than truncated: a truncated Q4 value settles one unit below a constant |D|. */
uint32_t rtpstat_jitter(const struct rtpstat *s)
{
    return (uint32_t)(((uint64_t)s->jitter_q4 + 8) >> 4);
}

void rtpstat_on_sr(struct rtpstat *s, uint64_t ntp, uint64_t arrival_us)
{
    s->last_sr_mid32 = rtcp_ntp_mid32(ntp);
    /* 0 means "no SR yet"; an SR at exactly time 0 is recorded 1 us late. */
    s->last_sr_arrival_us = arrival_us ? arrival_us : 1;
}

/* RFC 3550 A.3: loss over the interval since the previous report, as a Q8 fraction. */
static uint8_t interval_fraction(struct rtpstat *s)
{
    if (s->probation)
        return 0;
    uint32_t exp = expected(s);
    uint32_t expected_interval = exp - s->expected_prior;
    uint32_t received_interval = s->received - s->received_prior;
    s->expected_prior = exp;
    s->received_prior = s->received;
    int64_t lost_interval = (int64_t)expected_interval - received_interval;
    if (expected_interval == 0 || lost_interval <= 0)
        return 0;
    if (lost_interval >= expected_interval)
        return 255; /* cannot happen with a consistent state; keeps the Q8 value in range */
    return (uint8_t)(((uint64_t)lost_interval << 8) / expected_interval);
}

static int32_t clamp_lost(int64_t lost)
{
    if (lost > LOST_MAX)
        return LOST_MAX;
    if (lost < LOST_MIN)
        return LOST_MIN;
    return (int32_t)lost;
}

/* Delay since the last SR in 1/65536 s, saturated rather than wrapped. */
static uint32_t dlsr_since(const struct rtpstat *s, uint64_t now_us)
{
    if (!s->last_sr_arrival_us || now_us <= s->last_sr_arrival_us)
        return 0;
    uint64_t delta = now_us - s->last_sr_arrival_us;
    if (delta >= (uint64_t)UINT32_MAX / 65536 * US_PER_S)
        return UINT32_MAX;
    return (uint32_t)(delta * 65536 / US_PER_S);
}

void rtpstat_report(struct rtpstat *s, struct rtcp_report_block *rb, uint64_t now_us)
{
    memset(rb, 0, sizeof(*rb));
    rb->ssrc = s->ssrc;
    rb->fraction_lost = interval_fraction(s);
    rb->cumulative_lost = clamp_lost(rtpstat_lost(s));
    rb->ext_highest_seq = rtpstat_ext_max(s);
    rb->jitter = rtpstat_jitter(s);
    if (s->last_sr_arrival_us) {
        rb->lsr = s->last_sr_mid32;
        rb->dlsr = dlsr_since(s, now_us);
    }
}
