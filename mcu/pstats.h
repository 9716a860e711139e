/* A participant's live counters. The media worker is the only writer (plain relaxed stores,
 * no locked instructions on the hot path); the control thread reads them for the API.
 * The block is owned by the control thread's participant record and outlives the session. */
#ifndef MCU_PSTATS_H
#define MCU_PSTATS_H

#include <stdatomic.h>
#include <stdint.h>

struct pstats {
    _Atomic uint64_t rx_packets; /* authenticated RTP */
    _Atomic uint64_t rx_bytes;
    _Atomic uint64_t rx_rtcp;      /* authenticated RTCP compounds */
    _Atomic uint64_t rx_malformed; /* not RTP/RTCP, or unparseable after decryption */
    _Atomic uint64_t rx_auth_fail; /* SRTP/SRTCP authentication failed */
    _Atomic uint64_t rx_replay;    /* SRTP replay window rejected it */
    _Atomic uint64_t rx_unknown;   /* STUN/DTLS/other not handled on this port yet */
    _Atomic uint64_t rx_foreign;   /* authenticated from an address other than the latched one */
    _Atomic int64_t rx_lost;
    _Atomic uint64_t rx_jitter_us;
    _Atomic uint64_t tx_packets;
    _Atomic uint64_t tx_bytes;
    _Atomic uint64_t tx_rtcp; /* RTCP compounds (SR/RR + SDES) sent */
    _Atomic uint64_t tx_errors;
    _Atomic uint64_t rx_nack;        /* sequence numbers the participant asked us to resend */
    _Atomic uint64_t rx_keyreq;      /* PLI/FIR the participant sent us */
    _Atomic uint64_t tx_rtx;         /* packets resent from the retransmission cache */
    _Atomic uint64_t tx_nack;        /* sequence numbers we asked the participant to resend */
    _Atomic uint64_t tx_keyreq;      /* PLI+FIR we sent the participant */
    _Atomic uint64_t rx_frames;      /* video frames decoded (or, forwarding, reassembled) */
    _Atomic uint64_t rx_frames_lost; /* video frames dropped incomplete or undecodable */
    _Atomic uint64_t talking;        /* 1 while the mixer hears this participant talking */
    _Atomic uint64_t mixed;          /* 1 while it is one of the mixed talkers */
    _Atomic uint64_t active;         /* 1 while it is the meeting's active speaker */
};

/* A conference's live counters: written by its worker, read by the control thread; owned by
 * the meeting record, which outlives the conference. */
struct cstats {
    _Atomic uint64_t ticks;
    _Atomic uint64_t tick_overruns;     /* ticks that ran late by more than a frame */
    _Atomic uint64_t encoders_running;  /* encoders used in the last tick */
    _Atomic uint64_t decoders_running;  /* inputs decoded in the last tick */
    _Atomic uint64_t talkers;           /* mixed talkers in the last tick */
    _Atomic uint64_t tick_us_max;       /* slowest tick's processing time so far */
    _Atomic uint64_t video_frames;      /* composite canvases encoded (once per codec) */
    _Atomic uint64_t video_tick_us_max; /* slowest video tick so far */
    _Atomic uint64_t video_key_forced;  /* keyframes granted to new receivers or PLIs */
};

static inline void pstat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline void pstat_set(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t pstat_get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
