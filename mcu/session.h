/* One participant's media transport: its UDP port pair, SRTP contexts (none for plain RTP), SSRC
 * state, address latching and RTCP reports.
 *
 * Direction, stated once for the whole server: rx = from the participant to the server,
 * tx = from the server to the participant.
 *
 * Created on the control thread (it may block on nothing but allocation), then handed to the
 * conference's worker, which starts it and from then on is its only user. */
#ifndef MCU_SESSION_H
#define MCU_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "rtpsec.h"
#include "udp.h"

#define SESSION_MAX_STREAMS 8

struct event_base;
struct pstats;
struct rtp_hdr;
struct session;

struct session_params {
    int fd_rtp;  /* bound socket, RTP and muxed RTCP; ownership moves to the session */
    int fd_rtcp; /* bound socket on port+1 for clients that send RTCP there; moves too */
    enum rtpsec_suite suite;
    int plain; /* plain RTP and RTCP both ways: no SRTP contexts; suite and keys unused. Latched
                  without proof of a key, it keeps its first source (see accept_source) */
    uint8_t rx_key[RTPSEC_MAX_KEY]; /* the participant protects with this */
    uint8_t tx_key[RTPSEC_MAX_KEY]; /* the server protects with this */
    int has_recv;                   /* 0: latch onto the first authenticated source */
    struct udp_addr recv;           /* where the participant receives media */
    int rtcp_mux;                   /* with has_recv: RTCP to recv too, not to recv port+1 */
    uint32_t tx_ssrc;               /* stream 0's; stream i sends as tx_ssrc + i */
    unsigned tx_streams; /* outgoing streams (SSRCs), 0 = 1, at most SESSION_MAX_STREAMS. With
                            has_recv, stream i goes to recv's port + 2i (FFmpeg receives one
                            stream per port); a latched peer gets them all on one address */
    unsigned rtx_cache;  /* packets kept to answer NACKs (rounded up to a power of two), 0 = none */
    uint8_t tx_pt;
    uint32_t clock_rate;
    char cname[40];
    struct pstats *stats;    /* owned by the caller; must outlive the session */
    struct event_base *base; /* the worker's loop the session will run on */
};

/* What the session reports to its owner (the conference), on the worker thread. */
struct session_ops {
    /* An authenticated, decrypted, parsed RTP packet. */
    void (*on_rtp)(void *owner, struct session *s, uint8_t *pkt, size_t len,
                   const struct rtp_hdr *h);
    /* A receive burst is over: flush what was queued for sending. */
    void (*on_burst_end)(void *owner);
    /* The participant asked for a keyframe (PLI or FIR) on outgoing stream `stream`. NACKs are
     * answered by the session itself, from its retransmission cache. May be NULL. */
    void (*on_keyframe_request)(void *owner, struct session *s, unsigned stream);
};

/* Control thread: allocates everything, events included, so that starting it on the worker
 * cannot fail for want of memory. On error the sockets are NOT closed (the caller keeps them). */
int session_create(struct session **out, const struct session_params *p);
/* Worker thread: arm the sockets and the RTCP timer. `rx` is scratch owned by the caller and
 * shared by the sessions of one worker loop. -EIO if libevent refuses (the session stays
 * silent but can still be destroyed). */
int session_start(struct session *s, const struct session_ops *ops, void *owner,
                  struct udp_rx_batch *rx);
/* Sends an RTCP BYE when started and a destination is known, then closes and frees. */
void session_destroy(struct session **sp);

/* Queue a decrypted RTP packet from another participant on outgoing stream `stream`, rewritten
 * to the stream's SSRC, sequence and timestamp lines (offsets that keep the source's gaps, so the
 * receiver can still NACK, and move on without a jump when the source changes) and protected
 * with this session's key. Returns 1 when this made the queue non-empty (the caller should flush
 * the session later), 0 when queued, or -errno (dropped). */
int session_forward_rtp_on(struct session *s, unsigned stream, const uint8_t *pkt, size_t len,
                           const struct rtp_hdr *h);
static inline int session_forward_rtp(struct session *s, const uint8_t *pkt, size_t len,
                                      const struct rtp_hdr *h)
{
    return session_forward_rtp_on(s, 0, pkt, len, h);
}
/* Stream `stream` gets a new source: its next forwarded packet starts new offsets. */
void session_forward_reset(struct session *s, unsigned stream);
/* Queue one RTP packet built here on stream `stream`: its SSRC and next sequence number, the
 * given payload type, marker and timestamp (on the stream's own timestamp line), then protected.
 * Returns 1 when this made the queue non-empty, 0 when queued, or -errno (dropped). */
int session_send_rtp_on(struct session *s, unsigned stream, uint8_t pt, int marker, uint32_t ts,
                        const uint8_t *payload, size_t len);
static inline int session_send_rtp(struct session *s, uint8_t pt, int marker, uint32_t ts,
                                   const uint8_t *payload, size_t len)
{
    return session_send_rtp_on(s, 0, pt, marker, ts, payload, len);
}
/* A random starting point for this session's outgoing timestamp line (stream 0). */
uint32_t session_ts_base(const struct session *s);
/* Ask the participant for a keyframe of what it sends (RTCP PLI and FIR), or for the packets
 * `seqs` (generic NACK). Queued like media; -ENOTCONN before its first packet or address. */
int session_request_keyframe(struct session *s);
int session_send_nack(struct session *s, const uint16_t *seqs, unsigned n);
/* Send what is queued. */
void session_flush(struct session *s);

/* An owner's pointer kept for it (the conference's member record). */
void session_set_user(struct session *s, void *user);
void *session_user(const struct session *s);
/* In a callback for a received packet: when it reached the socket (clock_now_us's clock). */
uint64_t session_rx_time_us(const struct session *s);
struct pstats *session_stats(const struct session *s);

/* The participant's receive address is known (named at join, or latched). */
int session_has_destination(const struct session *s);

#endif
