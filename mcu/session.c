/* Participant transport: receive, authenticate, account; rewrite, protect, send; RTCP. Plain RTP
 * sessions skip the SRTP steps and nothing else. */
#include "session.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "demux.h"
#include "log.h"
#include "pstats.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtpstat.h"

#define RTCP_INTERVAL_US 2500000u /* mean report interval; randomized 0.5x..1.5x (RFC 3550 6.3) */
#define RX_BURSTS_MAX    4        /* recvmmsg calls per wake-up, so one flood cannot starve */
#define RTX_PER_NACK     32       /* packets resent for one NACK at most */

/* One outgoing stream: an SSRC with its own sequence and timestamp lines. */
struct txstream {
    uint32_t ssrc;
    uint16_t seq;      /* next sequence number to send */
    uint32_t ts;       /* last timestamp sent */
    uint64_t ts_at_us; /* when it was sent */
    int fwd_init;      /* forwarding: offsets below are set */
    uint32_t fwd_src_ssrc;
    int fwd_rebase; /* the next packet starts new offsets even from the same source */
    uint32_t fwd_ts_off;
    uint16_t fwd_seq_off;
    uint32_t count, octets; /* for SR */
};

/* A sent packet, protected, kept so a NACK can be answered with the very same bytes (the receiver
 * never got them, so its replay window takes them). */
struct rtx_entry {
    uint32_t ssrc;
    uint16_t seq;
    uint16_t len; /* 0 = empty */
    uint8_t stream;
    uint8_t buf[UDP_MTU + 36];
};

struct session {
    struct session_params p;
    struct pstats *st;
    struct rtpsec *rx_sec, *tx_sec;
    struct event *ev_rtp, *ev_rtcp, *ev_report;
    int started;
    void *user;
    const struct session_ops *ops;
    void *owner;
    struct udp_rx_batch *rx;
    struct udp_tx_batch *tx;

    int has_dst;
    struct udp_addr dst, dst_rtcp;

    int rx_seen;
    uint64_t rx_at_us; /* arrival of the packet being handled (session_rx_time_us) */
    struct rtpstat rxs;
    uint8_t fir_seq;

    unsigned nstreams;
    struct txstream out[SESSION_MAX_STREAMS];
    struct udp_addr recv_at[SESSION_MAX_STREAMS]; /* with has_recv: stream i's destination */
    struct rtx_entry *rtx;                        /* rtx_mask + 1 entries, or NULL */
    unsigned rtx_mask;
    unsigned rtx_shift; /* stream i owns the slots whose low rtx_shift bits are i */
};

static void on_readable(evutil_socket_t fd, short what, void *arg);
static void on_report_timer(evutil_socket_t fd, short what, void *arg);
static void send_rtcp_compound(struct session *s, int bye);

/* The next free send buffer, flushing the queue when it is full. */
static uint8_t *tx_slot(struct session *s)
{
    uint8_t *slot = udp_tx_slot(s->tx);
    if (!slot) {
        session_flush(s);
        slot = udp_tx_slot(s->tx);
    }
    return slot;
}

static uint32_t rand32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
        v = (uint32_t)random();
    return v;
}

int session_create(struct session **out, const struct session_params *p)
{
    if (p->tx_streams > SESSION_MAX_STREAMS || p->rtx_cache > 4096)
        return -EINVAL;
    struct session *s = mcu_calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->p = *p;
    s->st = p->stats;
    s->tx = mcu_malloc(sizeof(*s->tx));
    int err = s->tx ? 0 : -ENOMEM;
    if (!err && p->rtx_cache) {
        unsigned streams = p->tx_streams ? p->tx_streams : 1, shift = 0;
        while ((1u << shift) < streams)
            shift++;
        unsigned n = 1u << shift; /* at least one slot per stream */
        while (n < p->rtx_cache)
            n <<= 1;
        s->rtx = mcu_calloc(n, sizeof(*s->rtx));
        s->rtx_mask = n - 1;
        s->rtx_shift = shift;
        err = s->rtx ? 0 : -ENOMEM;
    }
    if (!err && !p->plain)
        err = rtpsec_create(&s->rx_sec, p->suite, p->rx_key, RTPSEC_INBOUND);
    if (!err && !p->plain)
        err = rtpsec_create(&s->tx_sec, p->suite, p->tx_key, RTPSEC_OUTBOUND);
    if (!err) {
        s->ev_rtp = event_new(p->base, p->fd_rtp, EV_READ | EV_PERSIST, on_readable, s);
        s->ev_rtcp = event_new(p->base, p->fd_rtcp, EV_READ | EV_PERSIST, on_readable, s);
        s->ev_report = evtimer_new(p->base, on_report_timer, s);
        if (!s->ev_rtp || !s->ev_rtcp || !s->ev_report)
            err = -ENOMEM;
    }
    if (err) {
        s->p.fd_rtp = s->p.fd_rtcp = -1; /* still the caller's */
        session_destroy(&s);
        return err;
    }
    s->tx->fd = p->fd_rtp;
    s->tx->n = 0;
    s->nstreams = p->tx_streams ? p->tx_streams : 1;
    for (unsigned i = 0; i < s->nstreams; i++) {
        s->out[i].ssrc = p->tx_ssrc + i;
        /* Random initial sequence and timestamp (RFC 3550 5.1) keep known-plaintext away. */
        s->out[i].seq = (uint16_t)rand32();
        s->out[i].ts = rand32();
        s->recv_at[i] = p->recv;
        if (p->has_recv)
            udp_addr_set_port(&s->recv_at[i], (uint16_t)(udp_addr_port(&p->recv) + 2 * i));
    }
    if (p->has_recv) {
        s->has_dst = 1;
        s->dst = p->recv;
        s->dst_rtcp = p->recv;
        if (!p->rtcp_mux)
            udp_addr_set_port(&s->dst_rtcp, (uint16_t)(udp_addr_port(&p->recv) + 1));
    }
    *out = s;
    return 0;
}

void session_destroy(struct session **sp)
{
    struct session *s = *sp;
    if (!s)
        return;
    if (s->started) {
        send_rtcp_compound(s, 1);
        session_flush(s);
    }
    if (s->ev_rtp)
        event_free(s->ev_rtp);
    if (s->ev_rtcp)
        event_free(s->ev_rtcp);
    if (s->ev_report)
        event_free(s->ev_report);
    if (s->p.fd_rtp >= 0)
        close(s->p.fd_rtp);
    if (s->p.fd_rtcp >= 0)
        close(s->p.fd_rtcp);
    rtpsec_destroy(&s->rx_sec);
    rtpsec_destroy(&s->tx_sec);
    mcu_free(s->rtx);
    mcu_free(s->tx);
    mcu_free(s);
    *sp = NULL;
}

void session_set_user(struct session *s, void *user)
{
    s->user = user;
}

uint64_t session_rx_time_us(const struct session *s)
{
    return s->rx_at_us;
}

void *session_user(const struct session *s)
{
    return s->user;
}

struct pstats *session_stats(const struct session *s)
{
    return s->st;
}

int session_has_destination(const struct session *s)
{
    return s->has_dst;
}

/* Only an authenticated packet may set or move the destination: a stranger's bytes fail
 * authentication before they get here, so they cannot hijack the stream. Plain RTP proves
 * nothing, so a latched plain session keeps its first source and drops packets from any other
 * address (counted in rx_foreign): a NAT rebinding ends its media, but no stranger can take the
 * stream. 0 when the packet may be used, -EPERM when it must be dropped. */
static int accept_source(struct session *s, const struct udp_addr *from)
{
    if (s->p.has_recv)
        return 0;
    if (!s->has_dst) {
        s->has_dst = 1;
        s->dst = *from;
        s->dst_rtcp = *from;
        return 0;
    }
    if (udp_addr_equal(&s->dst, from))
        return 0;
    pstat_add(&s->st->rx_foreign, 1);
    if (s->p.plain)
        return -EPERM;
    /* A NAT rebinding: the new address proved it holds the key. */
    s->dst = *from;
    s->dst_rtcp = *from;
    return 0;
}

static void count_unprotect_error(struct session *s, int err)
{
    if (err == -EACCES)
        pstat_add(&s->st->rx_auth_fail, 1);
    else if (err == -EALREADY)
        pstat_add(&s->st->rx_replay, 1);
    else
        pstat_add(&s->st->rx_malformed, 1);
}

/* SRTP: authenticate and decrypt in place, then parse what is left. Plain RTP was parsed
 * already and is taken as it is (an SRTP packet is then RTP whose payload is noise). 0, or
 * -errno with the drop counted. */
static int unprotect_rtp(struct session *s, uint8_t *buf, size_t *len, struct rtp_hdr *h)
{
    if (s->p.plain)
        return 0;
    int err = rtpsec_unprotect(s->rx_sec, buf, len);
    if (err) {
        count_unprotect_error(s, err);
        return err;
    }
    if (rtp_parse(h, buf, *len)) {
        pstat_add(&s->st->rx_malformed, 1);
        return -EBADMSG;
    }
    return 0;
}

static void handle_rtp(struct session *s, uint8_t *buf, size_t len, const struct udp_addr *from)
{
    struct rtp_hdr h;
    /* Parse before decrypting: libsrtp trusts the header lengths it reads. Padding is checked
     * after: until then the last byte is the SRTP tag's. */
    if ((s->p.plain ? rtp_parse : rtp_parse_header)(&h, buf, len)) {
        pstat_add(&s->st->rx_malformed, 1);
        return;
    }
    if (unprotect_rtp(s, buf, &len, &h) || accept_source(s, from))
        return;
    uint64_t now = s->rx_at_us;
    if (!s->rx_seen || h.ssrc != s->rxs.ssrc) {
        rtpstat_init(&s->rxs, h.ssrc, h.seq, s->p.clock_rate);
        s->rx_seen = 1;
    }
    rtpstat_update(&s->rxs, h.seq, h.ts, now);
    pstat_add(&s->st->rx_packets, 1);
    pstat_add(&s->st->rx_bytes, len);
    if (s->ops && s->ops->on_rtp)
        s->ops->on_rtp(s->owner, s, buf, len, &h);
}

static int stream_of(const struct session *s, uint32_t ssrc)
{
    uint32_t i = ssrc - s->p.tx_ssrc;
    return i < s->nstreams ? (int)i : -1;
}

static void keyframe_requested(struct session *s, uint32_t media_ssrc)
{
    int i = stream_of(s, media_ssrc);
    if (i < 0)
        return;
    pstat_add(&s->st->rx_keyreq, 1);
    if (s->ops && s->ops->on_keyframe_request)
        s->ops->on_keyframe_request(s->owner, s, (unsigned)i);
}

static const struct udp_addr *stream_dst(const struct session *s, unsigned i);

/* The cache slot of `stream`'s packet `seq`. The cache is split among the streams: indexed by
 * sequence number alone, streams evicted each other's packets, since their sequence lines start
 * at random points and two streams whose numbers were close (modulo the cache size) overwrote
 * each other's newest entries, so NACKs found nothing however big the cache. Now each stream
 * keeps its own last (cache size >> rtx_shift) packets whatever the others send. */
static struct rtx_entry *rtx_slot(const struct session *s, unsigned stream, uint16_t seq)
{
    return &s->rtx[(((unsigned)seq << s->rtx_shift) | stream) & s->rtx_mask];
}

static void answer_nack(struct session *s, uint32_t media_ssrc, const uint16_t *seqs, unsigned n)
{
    int i = stream_of(s, media_ssrc);
    if (i < 0)
        return;
    pstat_add(&s->st->rx_nack, n);
    /* Each named packet is resent once per NACK, and at most RTX_PER_NACK of them: a forged or
     * confused NACK cannot turn one small packet into a flood. */
    unsigned sent = 0;
    for (unsigned k = 0; s->rtx && k < n && sent < RTX_PER_NACK; k++) {
        int dup = 0;
        for (unsigned j = 0; j < k; j++)
            dup |= seqs[j] == seqs[k];
        if (dup)
            continue;
        const struct rtx_entry *e = rtx_slot(s, (unsigned)i, seqs[k]);
        if (!e->len || e->seq != seqs[k] || e->ssrc != media_ssrc)
            continue; /* too old: the receiver will ask for a keyframe */
        uint8_t *slot = tx_slot(s);
        memcpy(slot, e->buf, e->len);
        udp_tx_commit(s->tx, e->len, stream_dst(s, e->stream));
        pstat_add(&s->st->tx_rtx, 1);
        sent++;
    }
    session_flush(s);
}

static void handle_rtcp(struct session *s, uint8_t *buf, size_t len, const struct udp_addr *from)
{
    int err = s->p.plain ? 0 : rtpsec_unprotect_rtcp(s->rx_sec, buf, &len);
    if (err) {
        count_unprotect_error(s, err);
        return;
    }
    if (rtcp_validate(buf, len)) {
        pstat_add(&s->st->rx_malformed, 1);
        return;
    }
    if (accept_source(s, from))
        return;
    pstat_add(&s->st->rx_rtcp, 1);
    struct rtcp_iter it;
    struct rtcp_pkt pkt;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_next(&it, &pkt) > 0) {
        if (pkt.type == RTCP_SR && s->rx_seen && pkt.ssrc == s->rxs.ssrc)
            rtpstat_on_sr(&s->rxs, pkt.u.report.si.ntp, clock_now_us());
        else if (pkt.type == RTCP_RTPFB && pkt.count == RTCP_FB_NACK)
            answer_nack(s, pkt.u.nack.media_ssrc, pkt.u.nack.seq, pkt.u.nack.nseq);
        else if (pkt.type == RTCP_PSFB && pkt.count == RTCP_FB_PLI)
            keyframe_requested(s, pkt.u.pli.media_ssrc);
        else if (pkt.type == RTCP_PSFB && pkt.count == RTCP_FB_FIR)
            /* One FIR may address several media senders, one FCI entry each (RFC 5104
             * 4.3.1.2): checking only the first entry missed requests for our streams listed
             * after another sender's SSRC, or for a second stream of ours. */
            for (unsigned k = 0; k < pkt.u.fir.n; k++)
                keyframe_requested(s, pkt.u.fir.ssrc[k]);
    }
}

static void handle_packet(struct session *s, uint8_t *buf, size_t len, const struct udp_addr *from)
{
    switch (demux_classify(buf, len)) {
    case DEMUX_RTP:
        handle_rtp(s, buf, len, from);
        break;
    case DEMUX_RTCP:
        handle_rtcp(s, buf, len, from);
        break;
    case DEMUX_STUN:
    case DEMUX_DTLS:
        pstat_add(&s->st->rx_unknown, 1); /* WebRTC comes later; counted, not answered */
        break;
    default:
        pstat_add(&s->st->rx_malformed, 1);
        break;
    }
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;
    for (int burst = 0; burst < RX_BURSTS_MAX; burst++) {
        int n = udp_recv_batch(fd, s->rx);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            s->rx_at_us = s->rx->at_us[i];
            handle_packet(s, s->rx->buf[i], s->rx->msgs[i].msg_len, &s->rx->from[i]);
        }
        if (n < UDP_BATCH)
            break;
    }
    if (s->ops && s->ops->on_burst_end)
        s->ops->on_burst_end(s->owner);
}

/* Current position on stream 0's timestamp line, for the SR (RFC 3550 6.4.1). */
static uint32_t tx_ts_now(const struct session *s, uint64_t now_us)
{
    const struct txstream *o = &s->out[0];
    uint64_t dt = now_us - o->ts_at_us;
    return o->ts + (uint32_t)(dt * s->p.clock_rate / 1000000u);
}

static int build_report(struct session *s, struct rtcp_writer *w, uint64_t now)
{
    struct rtcp_report_block rb;
    unsigned nrb = 0;
    if (s->rx_seen) {
        rtpstat_report(&s->rxs, &rb, now);
        nrb = 1;
        atomic_store_explicit(&s->st->rx_lost, rtpstat_lost(&s->rxs), memory_order_relaxed);
    }
    /* A session with several streams (forward video) sends no SR: an SR for stream 0 alone made
     * FFmpeg, which syncs the streams of one SDP by their SRs, jump stream 0 by minutes (1 run in
     * 3 under ASan: 8 GB of repeated frames). Per-stream SRs, each to its stream's RTCP port, are
     * what lip sync in forward mode will need. */
    if (s->out[0].count && s->nstreams == 1) {
        struct rtcp_sender_info si = {
            .ntp = rtcp_ntp_from_unix_us(clock_wall_us()),
            .rtp_ts = tx_ts_now(s, now),
            .packets = s->out[0].count,
            .octets = s->out[0].octets,
        };
        return rtcp_write_sr(w, s->p.tx_ssrc, &si, &rb, nrb);
    }
    return rtcp_write_rr(w, s->p.tx_ssrc, &rb, nrb);
}

enum rtcp_extra { EXTRA_NONE, EXTRA_BYE, EXTRA_KEYREQ, EXTRA_NACK };

/* One compound (RFC 3550 6.1): SR or RR, SDES CNAME, then the extra packet if any. */
static int send_rtcp(struct session *s, enum rtcp_extra extra, const uint16_t *seqs, unsigned n)
{
    if (!s->has_dst)
        return -ENOTCONN;
    uint8_t *slot = tx_slot(s);
    struct rtcp_writer w;
    rtcp_writer_init(&w, slot, UDP_MTU);
    int err = build_report(s, &w, clock_now_us());
    if (!err)
        err = rtcp_write_sdes_cname(&w, s->p.tx_ssrc, s->p.cname);
    if (!err && extra == EXTRA_BYE)
        err = rtcp_write_bye(&w, &s->p.tx_ssrc, 1, "left");
    if (!err && extra == EXTRA_KEYREQ) {
        /* PLI for RFC 4585 peers, FIR for RFC 5104 ones; a sender ignores what it lacks. */
        err = rtcp_write_pli(&w, s->p.tx_ssrc, s->rxs.ssrc);
        if (!err)
            err = rtcp_write_fir(&w, s->p.tx_ssrc, s->rxs.ssrc, s->fir_seq++);
    }
    if (!err && extra == EXTRA_NACK)
        err = rtcp_write_nack(&w, s->p.tx_ssrc, s->rxs.ssrc, seqs, n);
    size_t len = w.len;
    if (!err && !s->p.plain)
        err = rtpsec_protect_rtcp(s->tx_sec, slot, &len);
    if (err) {
        pstat_add(&s->st->tx_errors, 1);
        return err;
    }
    udp_tx_commit(s->tx, len, &s->dst_rtcp);
    pstat_add(&s->st->tx_rtcp, 1);
    return 0;
}

static void send_rtcp_compound(struct session *s, int bye)
{
    send_rtcp(s, bye ? EXTRA_BYE : EXTRA_NONE, NULL, 0);
}

/* Feedback is rare and urgent: it goes out now rather than with the owner's batch. */
int session_request_keyframe(struct session *s)
{
    if (!s->rx_seen)
        return -ENOTCONN;
    int err = send_rtcp(s, EXTRA_KEYREQ, NULL, 0);
    if (!err)
        pstat_add(&s->st->tx_keyreq, 1);
    session_flush(s);
    return err;
}

int session_send_nack(struct session *s, const uint16_t *seqs, unsigned n)
{
    if (!s->rx_seen)
        return -ENOTCONN;
    int err = send_rtcp(s, EXTRA_NACK, seqs, n);
    if (!err)
        pstat_add(&s->st->tx_nack, n);
    session_flush(s);
    return err;
}

static void schedule_report(struct session *s)
{
    uint64_t us = RTCP_INTERVAL_US / 2 + rand32() % RTCP_INTERVAL_US;
    struct timeval tv = {.tv_sec = (time_t)(us / 1000000u),
                         .tv_usec = (suseconds_t)(us % 1000000u)};
    evtimer_add(s->ev_report, &tv);
}

static void on_report_timer(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;
    if (s->rx_seen)
        atomic_store_explicit(&s->st->rx_jitter_us,
                              (uint64_t)rtpstat_jitter(&s->rxs) * 1000000u / s->p.clock_rate,
                              memory_order_relaxed);
    send_rtcp_compound(s, 0);
    session_flush(s);
    schedule_report(s);
}

int session_start(struct session *s, const struct session_ops *ops, void *owner,
                  struct udp_rx_batch *rx)
{
    s->ops = ops;
    s->owner = owner;
    s->rx = rx;
    s->started = 1;
    if (event_add(s->ev_rtp, NULL) || event_add(s->ev_rtcp, NULL))
        return -EIO;
    schedule_report(s);
    return 0;
}

static int queue_slot(struct session *s, uint8_t **slot)
{
    int was_empty = s->tx->n == 0;
    *slot = tx_slot(s);
    return was_empty;
}

/* Where stream i goes: a receiver named at join takes stream i on its port + 2i. The batch keeps
 * a pointer to the address until the flush, so it must live in the session. */
static const struct udp_addr *stream_dst(const struct session *s, unsigned i)
{
    return s->p.has_recv && i ? &s->recv_at[i] : &s->dst;
}

static int commit_rtp(struct session *s, unsigned stream, uint8_t *slot, size_t len, uint16_t seq,
                      uint32_t ts, size_t payload_len)
{
    int err = s->p.plain ? 0 : rtpsec_protect(s->tx_sec, slot, &len);
    if (err) {
        pstat_add(&s->st->tx_errors, 1);
        return err;
    }
    struct txstream *o = &s->out[stream];
    udp_tx_commit(s->tx, len, stream_dst(s, stream));
    if (s->rtx && len <= sizeof(s->rtx[0].buf)) {
        struct rtx_entry *e = rtx_slot(s, stream, seq);
        e->ssrc = o->ssrc;
        e->seq = seq;
        e->stream = (uint8_t)stream;
        e->len = (uint16_t)len;
        memcpy(e->buf, slot, len);
    }
    o->ts = ts;
    o->ts_at_us = clock_now_us();
    o->count++;
    o->octets += (uint32_t)payload_len;
    pstat_add(&s->st->tx_packets, 1);
    pstat_add(&s->st->tx_bytes, len);
    return 0;
}

int session_send_rtp_on(struct session *s, unsigned stream, uint8_t pt, int marker, uint32_t ts,
                        const uint8_t *payload, size_t len)
{
    if (!s->has_dst)
        return -ENOTCONN;
    if (stream >= s->nstreams)
        return -EINVAL;
    if (len + RTP_HDR_MIN > UDP_MTU)
        return -EMSGSIZE;
    uint8_t *slot;
    int was_empty = queue_slot(s, &slot);
    struct txstream *o = &s->out[stream];
    uint16_t seq = o->seq++;
    rtp_write_header(slot, marker, pt, seq, ts, o->ssrc);
    memcpy(slot + RTP_HDR_MIN, payload, len);
    int err = commit_rtp(s, stream, slot, RTP_HDR_MIN + len, seq, ts, len);
    return err ? err : was_empty;
}

uint32_t session_ts_base(const struct session *s)
{
    return s->out[0].ts;
}

/* The forwarded stream must look like one continuous source to the receiver, whichever sender
 * it came from: our SSRC, and sequence and timestamp lines that continue without a jump when the
 * source changes. Offsets rather than a counter keep the source's own gaps visible, so the
 * receiver's NACKs name packets that really went missing. */
static void map_forward(struct txstream *o, uint32_t clock_rate, const struct rtp_hdr *h,
                        uint16_t *seq, uint32_t *ts)
{
    uint16_t ahead = (uint16_t)(h->seq + o->fwd_seq_off - o->seq);
    /* A new source, or the same one after a long silence (muted, or out of the last-N). */
    if (!o->fwd_init || o->fwd_rebase || h->ssrc != o->fwd_src_ssrc ||
        (ahead > 1000 && ahead < 64536)) {
        o->fwd_rebase = 0;
        uint32_t next = o->fwd_init ? o->ts + clock_rate / 50 : o->ts;
        o->fwd_ts_off = next - h->ts;
        o->fwd_seq_off = (uint16_t)(o->seq - h->seq);
        o->fwd_src_ssrc = h->ssrc;
        o->fwd_init = 1;
        ahead = 0;
    }
    *seq = (uint16_t)(h->seq + o->fwd_seq_off);
    *ts = h->ts + o->fwd_ts_off;
    if (ahead < 32768) /* newer than anything sent: the next fresh number follows it */
        o->seq = (uint16_t)(*seq + 1);
}

void session_forward_reset(struct session *s, unsigned stream)
{
    if (stream < s->nstreams && s->out[stream].fwd_init)
        s->out[stream].fwd_rebase = 1;
}

int session_forward_rtp_on(struct session *s, unsigned stream, const uint8_t *pkt, size_t len,
                           const struct rtp_hdr *h)
{
    if (!s->has_dst)
        return -ENOTCONN;
    if (stream >= s->nstreams)
        return -EINVAL;
    if (len > UDP_MTU)
        return -EMSGSIZE;
    /* Judged before any flush: a full queue is already on the owner's flush list. */
    uint8_t *slot;
    int was_empty = queue_slot(s, &slot);
    struct txstream *o = &s->out[stream];
    uint16_t seq;
    uint32_t ts;
    map_forward(o, s->p.clock_rate, h, &seq, &ts);
    memcpy(slot, pkt, len);
    slot[1] = (uint8_t)((h->marker ? 0x80 : 0) | s->p.tx_pt);
    rtp_rewrite(slot, seq, ts, o->ssrc);
    int err = commit_rtp(s, stream, slot, len, seq, ts, h->payload_len);
    return err ? err : was_empty;
}

void session_flush(struct session *s)
{
    if (s->tx->n)
        pstat_add(&s->st->tx_errors, udp_tx_flush(s->tx));
}
