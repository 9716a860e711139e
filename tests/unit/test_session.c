/* The participant transport over real loopback sockets and a real libevent loop. The test plays
 * the participant: its own UDP sockets, its own SRTP contexts (it protects with the session's
 * rx_key and unprotects with its tx_key). Covered: one port per outgoing stream, NACKs answered
 * from the retransmission cache with the very same bytes, PLI/FIR reported per stream, keyframe
 * requests and NACKs sent to the participant, forwarding offsets across a loss and a source
 * switch, and the limits session_create refuses. Plain RTP sessions (no SRTP) exchange RTP and
 * RTCP with each other, put bare packets on the wire, take an SRTP packet as RTP with a noisy
 * payload, and once latched drop other sources. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pstats.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtpsec.h"
#include "session.h"
#include "udp.h"

#define TX_SSRC   0x5e550010u /* the session's stream 0 */
#define MY_SSRC   0x7e570001u /* the participant's (the test's) own SSRC */
#define CLOCK     90000u
#define TX_PT     96
#define NSTREAMS  3
#define WAIT_MS   1000 /* longest wait for one expected packet */
#define NPEER     5    /* the test's receive sockets at P .. P+4 */
#define RTX_CACHE 256

struct fx {
    struct event_base *base;
    struct udp_rx_batch *rx;
    struct session *s;
    struct pstats st;
    uint8_t rx_key[RTPSEC_MAX_KEY], tx_key[RTPSEC_MAX_KEY];
    struct rtpsec *out; /* test -> session: protects with rx_key */
    struct rtpsec *in;  /* session -> test: unprotects with tx_key */
    uint16_t sess_port; /* the session's RTP port (even); its RTCP socket is on +1 */
    uint16_t peer_port; /* P: stream i arrives at P + 2i, RTCP at P + 1 */
    int peer[NPEER];
    int snd; /* the test's sending socket (ephemeral port) */
    struct sockaddr_in sess_addr;
    uint16_t my_seq;
    uint8_t my_fir_seq;
    /* What the session reported through session_ops. */
    unsigned rtp_calls, burst_calls, key_calls, key_stream;
    unsigned key_mask; /* bit i: stream i was asked for a keyframe */
    uint32_t last_rtp_ssrc;
    uint8_t last_rtp_payload[64];
    size_t last_rtp_payload_len;
};

/* A packet as it arrived on the wire, before the test unprotects its copy. */
struct wire {
    uint8_t b[UDP_BUF];
    size_t len;
};

static uint32_t rnd32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (uint32_t)rand();
    return v;
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void sleep_ms(long ms)
{
    struct timespec d = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&d, NULL);
}

/* Run the session's loop without blocking until a datagram waits on fd, for at most WAIT_MS.
 * Returns its length, or -1 when none came. */
static int wait_recv(struct fx *f, int fd, uint8_t *buf, size_t cap)
{
    uint64_t end = mono_ms() + WAIT_MS;
    do {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
        if (n >= 0)
            return (int)n;
        sleep_ms(1);
    } while (mono_ms() < end);
    return -1;
}

/* Run the loop until counter c reaches want (the session has handled what was sent). */
static void wait_count(struct fx *f, _Atomic uint64_t *c, uint64_t want)
{
    uint64_t end = mono_ms() + WAIT_MS;
    while (pstat_get(c) < want && mono_ms() < end) {
        event_base_loop(f->base, EVLOOP_NONBLOCK);
        if (pstat_get(c) < want)
            sleep_ms(1);
    }
    assert_int_equal(pstat_get(c), want);
}

/* Nothing waits on fd. Loopback delivery is synchronous, so once the session has handled a
 * packet whatever it sent in answer is already queued here. */
static void assert_quiet(int fd)
{
    uint8_t b[UDP_BUF];
    ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
    assert_int_equal(n, -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void wait_wire(struct fx *f, int fd, struct wire *w)
{
    int n = wait_recv(f, fd, w->b, sizeof(w->b));
    assert_true(n > 0);
    w->len = (size_t)n;
}

/* Bind n consecutive ports from `base` on 127.0.0.1 with udp_open: all, or none left open. */
static int open_run(uint16_t base, int n, int *fds)
{
    for (int i = 0; i < n; i++) {
        struct udp_addr a;
        assert_int_equal(udp_addr_from_ip(&a, "127.0.0.1", (uint16_t)(base + i)), 0);
        if (udp_open(&a, &fds[i])) {
            while (i--)
                close(fds[i]);
            return -1;
        }
    }
    return 0;
}

/* An even/odd pair for a session, tried at random in 20000..59999 until both bind. */
static uint16_t open_session_pair(int fds[2])
{
    for (int tries = 0; tries < 1000; tries++) {
        uint16_t base = (uint16_t)(20000u + 2u * (rnd32() % 20000u));
        if (!open_run(base, 2, fds))
            return base;
    }
    fail_msg("no free even/odd port pair");
    return 0;
}

static int bind_any(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (const struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static uint16_t local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    return ntohs(a.sin_port);
}

/* The participant's receive sockets: P from the kernel's ephemeral ports (bind to 0, then
 * getsockname), then P+1 .. P+4 next to it; retried elsewhere when a neighbour is taken. */
static uint16_t open_peer_run(int *fds)
{
    for (int tries = 0; tries < 1000; tries++) {
        fds[0] = bind_any(0);
        assert_true(fds[0] >= 0);
        uint16_t p = local_port(fds[0]);
        int i = 1;
        if (p <= 65535 - NPEER)
            for (; i < NPEER; i++) {
                fds[i] = bind_any((uint16_t)(p + i));
                if (fds[i] < 0)
                    break;
            }
        if (i == NPEER && p <= 65535 - NPEER)
            return p;
        while (i--)
            close(fds[i]);
    }
    fail_msg("no free run of %d ports", NPEER);
    return 0;
}

static void on_rtp(void *owner, struct session *s, uint8_t *pkt, size_t len,
                   const struct rtp_hdr *h)
{
    struct fx *f = owner;
    f->rtp_calls++;
    f->last_rtp_ssrc = h->ssrc;
    f->last_rtp_payload_len = h->payload_len;
    if (h->payload_len <= sizeof(f->last_rtp_payload))
        memcpy(f->last_rtp_payload, h->payload, h->payload_len);
}

static void on_burst_end(void *owner)
{
    struct fx *f = owner;
    f->burst_calls++;
}

static void on_keyframe_request(void *owner, struct session *s, unsigned stream)
{
    struct fx *f = owner;
    f->key_calls++;
    f->key_stream = stream;
    if (stream < 32)
        f->key_mask |= 1u << stream;
}

static const struct session_ops ops = {
    .on_rtp = on_rtp,
    .on_burst_end = on_burst_end,
    .on_keyframe_request = on_keyframe_request,
};

static int setup_session(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->rx = malloc(sizeof(*f->rx));
    assert_non_null(f->rx);
    f->peer_port = open_peer_run(f->peer);
    f->snd = bind_any(0);
    assert_true(f->snd >= 0);

    const enum rtpsec_suite suite = RTPSEC_AES_CM_128_HMAC_SHA1_80;
    assert_int_equal(rtpsec_keygen(suite, f->rx_key), 0);
    assert_int_equal(rtpsec_keygen(suite, f->tx_key), 0);
    assert_int_equal(rtpsec_create(&f->out, suite, f->rx_key, RTPSEC_OUTBOUND), 0);
    assert_int_equal(rtpsec_create(&f->in, suite, f->tx_key, RTPSEC_INBOUND), 0);

    int fds[2];
    f->sess_port = open_session_pair(fds);
    f->sess_addr.sin_family = AF_INET;
    f->sess_addr.sin_port = htons(f->sess_port);
    f->sess_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    struct session_params p = {
        .fd_rtp = fds[0],
        .fd_rtcp = fds[1],
        .suite = suite,
        .has_recv = 1,
        .rtcp_mux = 0,
        .tx_ssrc = TX_SSRC,
        .tx_streams = NSTREAMS,
        .rtx_cache = RTX_CACHE,
        .tx_pt = TX_PT,
        .clock_rate = CLOCK,
        .cname = "test@session",
        .stats = &f->st,
        .base = f->base,
    };
    memcpy(p.rx_key, f->rx_key, sizeof(p.rx_key));
    memcpy(p.tx_key, f->tx_key, sizeof(p.tx_key));
    assert_int_equal(udp_addr_from_ip(&p.recv, "127.0.0.1", f->peer_port), 0);
    int err = session_create(&f->s, &p);
    if (err) {
        close(fds[0]);
        close(fds[1]);
    }
    assert_int_equal(err, 0);
    assert_true(session_has_destination(f->s));
    assert_int_equal(session_start(f->s, &ops, f, f->rx), 0);
    f->my_seq = (uint16_t)rnd32();
    *state = f;
    return 0;
}

static int teardown_session(void **state)
{
    struct fx *f = *state;
    session_destroy(&f->s);
    assert_null(f->s);
    for (int i = 0; i < NPEER; i++)
        close(f->peer[i]);
    close(f->snd);
    rtpsec_destroy(&f->out);
    rtpsec_destroy(&f->in);
    event_base_free(f->base);
    free(f->rx);
    free(f);
    return 0;
}

static int peer_fd(const struct fx *f, uint16_t port)
{
    assert_true(port >= f->peer_port && port < f->peer_port + NPEER);
    return f->peer[port - f->peer_port];
}

static void peer_send(struct fx *f, const uint8_t *buf, size_t len)
{
    ssize_t n =
        sendto(f->snd, buf, len, 0, (const struct sockaddr *)&f->sess_addr, sizeof(f->sess_addr));
    assert_int_equal(n, (ssize_t)len);
}

enum fb_kind { FB_NACK, FB_PLI, FB_FIR };

/* An SRTCP compound RR + one feedback packet from the participant, to the session's RTP port,
 * then the loop runs until the session has accepted it. */
static void peer_send_fb(struct fx *f, enum fb_kind kind, uint32_t media, const uint16_t *seqs,
                         unsigned n)
{
    uint8_t buf[UDP_BUF];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, UDP_MTU);
    assert_int_equal(rtcp_write_rr(&w, MY_SSRC, NULL, 0), 0);
    if (kind == FB_NACK)
        assert_int_equal(rtcp_write_nack(&w, MY_SSRC, media, seqs, n), 0);
    else if (kind == FB_PLI)
        assert_int_equal(rtcp_write_pli(&w, MY_SSRC, media), 0);
    else
        assert_int_equal(rtcp_write_fir(&w, MY_SSRC, media, f->my_fir_seq++), 0);
    size_t len = w.len;
    assert_int_equal(rtpsec_protect_rtcp(f->out, buf, &len), 0);
    uint64_t before = pstat_get(&f->st.rx_rtcp);
    peer_send(f, buf, len);
    wait_count(f, &f->st.rx_rtcp, before + 1);
}

/* One authenticated RTP packet from the participant, accepted by the session. */
static void peer_send_rtp(struct fx *f, const uint8_t *payload, size_t plen)
{
    uint8_t buf[UDP_BUF];
    rtp_write_header(buf, 0, 111, f->my_seq, 960u * f->my_seq, MY_SSRC);
    f->my_seq++;
    memcpy(buf + RTP_HDR_MIN, payload, plen);
    size_t len = RTP_HDR_MIN + plen;
    assert_int_equal(rtpsec_protect(f->out, buf, &len), 0);
    uint64_t before = pstat_get(&f->st.rx_packets);
    peer_send(f, buf, len);
    wait_count(f, &f->st.rx_packets, before + 1);
}

/* Unprotect a copy of a received SRTP packet and parse it; the payload lands in plain. */
static void open_rtp(struct fx *f, const struct wire *w, uint8_t *plain, struct rtp_hdr *h)
{
    size_t len = w->len;
    memcpy(plain, w->b, len);
    assert_int_equal(rtpsec_unprotect(f->in, plain, &len), 0);
    assert_int_equal(rtp_parse(h, plain, len), 0);
}

static int has_feedback(const uint8_t *buf, size_t len)
{
    struct rtcp_iter it;
    struct rtcp_pkt pkt;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_next(&it, &pkt) > 0)
        if (pkt.type == RTCP_RTPFB || pkt.type == RTCP_PSFB)
            return 1;
    return 0;
}

/* The next SRTCP compound on fd that carries feedback, decrypted into buf (a periodic report
 * from the session's timer may come first: it must decrypt too, and is skipped). */
static size_t wait_feedback(struct fx *f, int fd, uint8_t *buf, size_t cap)
{
    uint64_t end = mono_ms() + WAIT_MS;
    while (mono_ms() < end) {
        int n = wait_recv(f, fd, buf, cap);
        if (n < 0)
            break;
        size_t len = (size_t)n;
        assert_int_equal(rtpsec_unprotect_rtcp(f->in, buf, &len), 0);
        assert_int_equal(rtcp_validate(buf, len), 0);
        if (has_feedback(buf, len))
            return len;
    }
    fail_msg("no feedback compound within %d ms", WAIT_MS);
    return 0;
}

static void fill(uint8_t *p, size_t n, unsigned tag)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(tag * 31u + i * 7u);
}

/* 1. With has_recv, stream i goes to recv port + 2i as SSRC tx_ssrc + i, protected with tx_key,
 * its own sequence line, the given timestamp, payload and marker intact. */
static void test_streams_to_own_ports(void **state)
{
    struct fx *f = *state;
    const uint32_t ts0 = 123456;
    for (unsigned r = 0; r < 2; r++)
        for (unsigned i = 0; i < NSTREAMS; i++) {
            uint8_t payload[40 + NSTREAMS];
            size_t plen = 40 + i;
            fill(payload, plen, i * 2 + r);
            int ret =
                session_send_rtp_on(f->s, i, TX_PT, (int)r, ts0 + r * 3000u + i, payload, plen);
            assert_int_equal(ret, r == 0 && i == 0 ? 1 : 0); /* 1: the queue was empty */
        }
    uint8_t one = 0;
    assert_int_equal(session_send_rtp_on(f->s, NSTREAMS, TX_PT, 0, 0, &one, 1), -EINVAL);
    session_flush(f->s);

    for (unsigned i = 0; i < NSTREAMS; i++) {
        int fd = peer_fd(f, (uint16_t)(f->peer_port + 2 * i));
        uint16_t first_seq = 0;
        for (unsigned r = 0; r < 2; r++) {
            struct wire w;
            wait_wire(f, fd, &w);
            uint8_t plain[UDP_BUF], payload[40 + NSTREAMS];
            struct rtp_hdr h;
            open_rtp(f, &w, plain, &h);
            assert_true(w.len > RTP_HDR_MIN + 40 + i); /* carries the auth tag */
            assert_int_equal(h.ssrc, TX_SSRC + i);
            assert_int_equal(h.pt, TX_PT);
            assert_int_equal(h.marker, r);
            assert_int_equal(h.ts, ts0 + r * 3000u + i);
            if (r == 0)
                first_seq = h.seq;
            else
                assert_int_equal(h.seq, (uint16_t)(first_seq + 1));
            fill(payload, 40 + i, i * 2 + r);
            assert_int_equal(h.payload_len, 40 + i);
            assert_memory_equal(h.payload, payload, 40 + i);
        }
        assert_quiet(fd);
    }
    assert_quiet(f->snd);
    assert_int_equal(pstat_get(&f->st.tx_packets), 2 * NSTREAMS);
    assert_int_equal(pstat_get(&f->st.tx_errors), 0);
}

/* 2. A NACK is answered from the cache with the very bytes first sent, to the stream's address;
 * seqs never sent, another stream's SSRC and unknown SSRCs resend nothing. */
static void test_nack_resends_same_bytes(void **state)
{
    struct fx *f = *state;
    enum { N = 4 };
    struct wire sent[N];
    uint16_t seq[N];
    int fd1 = peer_fd(f, (uint16_t)(f->peer_port + 2));
    for (unsigned k = 0; k < N; k++) {
        uint8_t payload[100];
        fill(payload, sizeof(payload), 50 + k);
        assert_true(session_send_rtp_on(f->s, 1, TX_PT, 0, 9000u * k, payload, sizeof(payload)) >=
                    0);
    }
    session_flush(f->s);
    for (unsigned k = 0; k < N; k++) {
        wait_wire(f, fd1, &sent[k]);
        struct rtp_hdr h;
        assert_int_equal(rtp_parse(&h, sent[k].b, sent[k].len), 0); /* header is in the clear */
        assert_int_equal(h.ssrc, TX_SSRC + 1);
        seq[k] = h.seq;
    }
    /* Then stream 2 sends more packets than the whole cache holds: another stream's traffic
     * must not evict stream 1's packets (its own sequence line is independent and random). */
    int fd2 = peer_fd(f, (uint16_t)(f->peer_port + 4));
    uint8_t other[60];
    for (unsigned k = 0; k < 2 * RTX_CACHE; k++) {
        fill(other, sizeof(other), 99 + k);
        assert_true(session_send_rtp_on(f->s, 2, TX_PT, 0, 3000u * k, other, sizeof(other)) >= 0);
        if (k % 16 == 15) { /* drained as it goes, so the socket buffer never drops */
            session_flush(f->s);
            for (unsigned j = 0; j < 16; j++) {
                struct wire w2;
                wait_wire(f, fd2, &w2);
            }
        }
    }
    session_flush(f->s);

    const uint16_t want[2] = {seq[0], seq[2]};
    peer_send_fb(f, FB_NACK, TX_SSRC + 1, want, 2);
    assert_int_equal(pstat_get(&f->st.tx_rtx), 2);
    assert_int_equal(pstat_get(&f->st.rx_nack), 2);
    int got0 = 0, got2 = 0;
    for (unsigned k = 0; k < 2; k++) {
        struct wire r;
        wait_wire(f, fd1, &r);
        const struct wire *orig = NULL;
        struct rtp_hdr h;
        assert_int_equal(rtp_parse(&h, r.b, r.len), 0);
        if (h.seq == seq[0]) {
            orig = &sent[0];
            got0++;
        } else if (h.seq == seq[2]) {
            orig = &sent[2];
            got2++;
        }
        assert_non_null(orig);
        assert_int_equal(r.len, orig->len);
        assert_memory_equal(r.b, orig->b, r.len);
    }
    assert_int_equal(got0, 1);
    assert_int_equal(got2, 1);
    assert_quiet(fd1);
    assert_quiet(f->peer[0]);
    assert_quiet(peer_fd(f, (uint16_t)(f->peer_port + 4)));

    /* A sequence number never sent on the stream: counted as asked, nothing resent. */
    const uint16_t never[1] = {(uint16_t)(seq[N - 1] + 100)};
    peer_send_fb(f, FB_NACK, TX_SSRC + 1, never, 1);
    assert_int_equal(pstat_get(&f->st.rx_nack), 3);
    /* A known SSRC whose stream never sent that number (it was stream 1's). */
    peer_send_fb(f, FB_NACK, TX_SSRC, &seq[1], 1);
    assert_int_equal(pstat_get(&f->st.rx_nack), 4);
    /* Unknown media SSRCs, naming numbers the session did send on stream 1. */
    peer_send_fb(f, FB_NACK, TX_SSRC + NSTREAMS, seq, N);
    peer_send_fb(f, FB_NACK, 0xdeadbeefu, seq, N);
    peer_send_fb(f, FB_NACK, TX_SSRC - 1, seq, N);
    assert_int_equal(pstat_get(&f->st.rx_nack), 4);
    assert_int_equal(pstat_get(&f->st.tx_rtx), 2);
    assert_quiet(f->peer[0]);
    assert_quiet(fd1);
    assert_quiet(peer_fd(f, (uint16_t)(f->peer_port + 4)));
    assert_quiet(f->snd);
    assert_int_equal(pstat_get(&f->st.rx_auth_fail), 0);
    assert_int_equal(pstat_get(&f->st.rx_malformed), 0);
    assert_int_equal(f->key_calls, 0);
}

/* 3. PLI and FIR name the session's stream by media SSRC; unknown SSRCs are ignored. */
static void test_keyframe_requests_from_peer(void **state)
{
    struct fx *f = *state;
    peer_send_fb(f, FB_PLI, TX_SSRC + 2, NULL, 0);
    assert_int_equal(f->key_calls, 1);
    assert_int_equal(f->key_stream, 2);
    assert_int_equal(pstat_get(&f->st.rx_keyreq), 1);

    f->key_stream = 99;
    peer_send_fb(f, FB_FIR, TX_SSRC + 2, NULL, 0);
    assert_int_equal(f->key_calls, 2);
    assert_int_equal(f->key_stream, 2);
    assert_int_equal(pstat_get(&f->st.rx_keyreq), 2);

    peer_send_fb(f, FB_PLI, TX_SSRC + NSTREAMS, NULL, 0);
    peer_send_fb(f, FB_PLI, 0x01020304u, NULL, 0);
    peer_send_fb(f, FB_FIR, TX_SSRC - 1, NULL, 0);
    assert_int_equal(f->key_calls, 2);
    assert_int_equal(pstat_get(&f->st.rx_keyreq), 2);

    peer_send_fb(f, FB_PLI, TX_SSRC, NULL, 0);
    assert_int_equal(f->key_calls, 3);
    assert_int_equal(f->key_stream, 0);
    assert_int_equal(pstat_get(&f->st.rx_keyreq), 3);

    /* One FIR addressed to several media senders, one FCI entry each (RFC 5104 4.3.1.2): every
     * entry naming one of our streams counts, not only the first. */
    uint8_t buf[UDP_BUF];
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, UDP_MTU);
    assert_int_equal(rtcp_write_rr(&w, MY_SSRC, NULL, 0), 0);
    const uint32_t targets[3] = {0x01020304u, TX_SSRC + 1, TX_SSRC + 2};
    uint8_t *p = buf + w.len;
    size_t fir_len = 12 + 8 * 3;
    p[0] = 0x80 | RTCP_FB_FIR;
    p[1] = RTCP_PSFB;
    p[2] = 0;
    p[3] = (uint8_t)(fir_len / 4 - 1);
    for (unsigned k = 0; k < 4; k++) {
        p[4 + k] = (uint8_t)(MY_SSRC >> (24 - 8 * k));
        p[8 + k] = 0; /* media source: unused in a FIR */
    }
    for (unsigned e = 0; e < 3; e++) {
        uint8_t *fci = p + 12 + 8 * e;
        for (unsigned k = 0; k < 4; k++)
            fci[k] = (uint8_t)(targets[e] >> (24 - 8 * k));
        fci[4] = f->my_fir_seq++;
        fci[5] = fci[6] = fci[7] = 0;
    }
    size_t len = w.len + fir_len;
    assert_int_equal(rtcp_validate(buf, len), 0);
    assert_int_equal(rtpsec_protect_rtcp(f->out, buf, &len), 0);
    f->key_mask = 0;
    peer_send(f, buf, len);
    wait_count(f, &f->st.rx_rtcp, 7);
    assert_int_equal(f->key_mask, (1u << 1) | (1u << 2));
    assert_int_equal(f->key_calls, 5);
    assert_int_equal(pstat_get(&f->st.rx_keyreq), 5);

    assert_int_equal(pstat_get(&f->st.rx_rtcp), 7);
    assert_true(f->burst_calls >= 7);
    assert_int_equal(pstat_get(&f->st.rx_nack), 0);
    assert_int_equal(pstat_get(&f->st.tx_rtx), 0);
}

/* 4. Keyframe requests and NACKs to the participant: refused until it has sent media, then an
 * SRTCP compound to recv port + 1 (rtcp_mux is 0) naming the participant's SSRC. */
static void test_keyframe_and_nack_to_peer(void **state)
{
    struct fx *f = *state;
    const uint16_t ask[3] = {100, 101, 105};
    assert_int_equal(session_request_keyframe(f->s), -ENOTCONN);
    assert_int_equal(session_send_nack(f->s, ask, 3), -ENOTCONN);
    assert_int_equal(pstat_get(&f->st.tx_keyreq), 0);
    assert_int_equal(pstat_get(&f->st.tx_nack), 0);

    uint8_t payload[33];
    fill(payload, sizeof(payload), 7);
    peer_send_rtp(f, payload, sizeof(payload));
    assert_int_equal(f->rtp_calls, 1);
    assert_int_equal(f->last_rtp_ssrc, MY_SSRC);
    assert_int_equal(f->last_rtp_payload_len, sizeof(payload));
    assert_memory_equal(f->last_rtp_payload, payload, sizeof(payload));

    int rtcp_fd = peer_fd(f, (uint16_t)(f->peer_port + 1));
    for (unsigned round = 0; round < 2; round++) {
        assert_int_equal(session_request_keyframe(f->s), 0);
        assert_int_equal(pstat_get(&f->st.tx_keyreq), round + 1);
        uint8_t buf[UDP_BUF];
        size_t len = wait_feedback(f, rtcp_fd, buf, sizeof(buf));
        struct rtcp_iter it;
        struct rtcp_pkt pkt;
        rtcp_iter_init(&it, buf, len);
        int first = 1, pli = 0, fir = 0;
        while (rtcp_next(&it, &pkt) > 0) {
            if (first) { /* a compound starts with a report from the session */
                assert_true(pkt.type == RTCP_SR || pkt.type == RTCP_RR);
                assert_int_equal(pkt.ssrc, TX_SSRC);
                first = 0;
            }
            if (pkt.type == RTCP_PSFB && pkt.count == RTCP_FB_PLI) {
                assert_int_equal(pkt.u.pli.media_ssrc, MY_SSRC);
                pli++;
            } else if (pkt.type == RTCP_PSFB && pkt.count == RTCP_FB_FIR) {
                assert_int_equal(pkt.u.fir.n, 1);
                assert_int_equal(pkt.u.fir.ssrc[0], MY_SSRC);
                assert_int_equal(pkt.u.fir.seqnr[0], round); /* a new request, a new number */
                fir++;
            }
        }
        assert_int_equal(pli, 1);
        assert_int_equal(fir, 1);
    }

    assert_int_equal(session_send_nack(f->s, ask, 3), 0);
    assert_int_equal(pstat_get(&f->st.tx_nack), 3);
    uint8_t buf[UDP_BUF];
    size_t len = wait_feedback(f, rtcp_fd, buf, sizeof(buf));
    struct rtcp_iter it;
    struct rtcp_pkt pkt;
    rtcp_iter_init(&it, buf, len);
    int nacks = 0;
    while (rtcp_next(&it, &pkt) > 0) {
        if (pkt.type == RTCP_RTPFB && pkt.count == RTCP_FB_NACK) {
            assert_int_equal(pkt.ssrc, TX_SSRC);
            assert_int_equal(pkt.u.nack.media_ssrc, MY_SSRC);
            assert_int_equal(pkt.u.nack.nseq, 3);
            assert_int_equal(pkt.u.nack.seq[0], 100);
            assert_int_equal(pkt.u.nack.seq[1], 101);
            assert_int_equal(pkt.u.nack.seq[2], 105);
            nacks++;
        }
        assert_false(pkt.type == RTCP_PSFB);
    }
    assert_int_equal(nacks, 1);
    assert_int_equal(pstat_get(&f->st.tx_keyreq), 2);
    /* RTCP went to P + 1 only: not to the media ports, not back to the packets' source. */
    assert_quiet(f->peer[0]);
    assert_quiet(f->snd);
    assert_int_equal(pstat_get(&f->st.tx_errors), 0);
}

static size_t make_src(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts, int marker,
                       struct rtp_hdr *h)
{
    rtp_write_header(buf, marker, 111, seq, ts, ssrc);
    fill(buf + RTP_HDR_MIN, 50, seq);
    size_t len = RTP_HDR_MIN + 50;
    assert_int_equal(rtp_parse(h, buf, len), 0);
    return len;
}

/* 5. Forwarding rewrites to the stream's SSRC and payload type with offsets: the source's gap is
 * kept (so the receiver can NACK it) and a new source continues both lines without a jump. */
static void test_forward_offsets(void **state)
{
    struct fx *f = *state;
    const uint32_t A = 0xa0a0a0a0u, B = 0xb0b0b0b0u;
    const struct {
        uint32_t ssrc;
        uint16_t seq;
        uint32_t ts;
        int marker;
    } src[5] = {
        {A, 10, 4000000000u, 0}, {A, 11, 4000003000u, 1}, {A, 13, 4000009000u, 0}, /* 12 lost */
        {B, 500, 777, 0},        {B, 501, 3777, 1},
    };
    for (unsigned k = 0; k < 5; k++) {
        uint8_t pkt[UDP_BUF];
        struct rtp_hdr h;
        size_t len = make_src(pkt, src[k].ssrc, src[k].seq, src[k].ts, src[k].marker, &h);
        assert_int_equal(session_forward_rtp_on(f->s, 0, pkt, len, &h), k == 0 ? 1 : 0);
    }
    session_flush(f->s);

    uint16_t seq[5];
    uint32_t ts[5];
    struct wire wires[5];
    for (unsigned k = 0; k < 5; k++) {
        wait_wire(f, f->peer[0], &wires[k]);
        uint8_t plain[UDP_BUF], payload[50];
        struct rtp_hdr h;
        open_rtp(f, &wires[k], plain, &h);
        assert_int_equal(h.ssrc, TX_SSRC);
        assert_int_equal(h.pt, TX_PT);
        assert_int_equal(h.marker, src[k].marker);
        fill(payload, sizeof(payload), src[k].seq);
        assert_int_equal(h.payload_len, sizeof(payload));
        assert_memory_equal(h.payload, payload, sizeof(payload));
        seq[k] = h.seq;
        ts[k] = h.ts;
    }
    assert_quiet(f->peer[0]);
    const uint16_t x = seq[0];
    assert_int_equal(seq[1], (uint16_t)(x + 1));
    assert_int_equal(seq[2], (uint16_t)(x + 3)); /* the gap is kept */
    assert_int_equal(seq[3], (uint16_t)(x + 4)); /* B continues without a jump */
    assert_int_equal(seq[4], (uint16_t)(x + 5));
    /* Timestamps keep each source's spacing and move forward (mod 2^32) across the switch. */
    assert_int_equal((uint32_t)(ts[1] - ts[0]), 3000);
    assert_int_equal((uint32_t)(ts[2] - ts[0]), 9000);
    assert_int_equal((uint32_t)(ts[4] - ts[3]), 3000);
    for (unsigned k = 1; k < 5; k++)
        assert_true((int32_t)(ts[k] - ts[k - 1]) > 0);
    int32_t step = (int32_t)(ts[3] - ts[2]);
    assert_true(step > 0 && step <= (int32_t)(CLOCK / 10)); /* a frame or so, not a jump */

    /* The forwarded packets are in the cache under their mapped numbers. */
    const uint16_t want[1] = {(uint16_t)(x + 3)};
    peer_send_fb(f, FB_NACK, TX_SSRC, want, 1);
    struct wire r;
    wait_wire(f, f->peer[0], &r);
    assert_int_equal(r.len, wires[2].len);
    assert_memory_equal(r.b, wires[2].b, r.len);
    assert_int_equal(pstat_get(&f->st.tx_rtx), 1);
    /* The lost one was never sent: nothing to resend. */
    const uint16_t lost[1] = {(uint16_t)(x + 2)};
    peer_send_fb(f, FB_NACK, TX_SSRC, lost, 1);
    assert_quiet(f->peer[0]);
    assert_int_equal(pstat_get(&f->st.tx_rtx), 1);
}

/* 6. Limits refused before anything is taken: the sockets are still the caller's. */
static void test_create_refuses(void **state)
{
    struct event_base *base = event_base_new();
    assert_non_null(base);
    struct pstats st;
    memset(&st, 0, sizeof(st));
    struct session_params p = {
        .suite = RTPSEC_AES_CM_128_HMAC_SHA1_80,
        .has_recv = 1,
        .tx_ssrc = TX_SSRC,
        .clock_rate = CLOCK,
        .tx_pt = TX_PT,
        .cname = "refused",
        .stats = &st,
        .base = base,
    };
    assert_int_equal(rtpsec_keygen(p.suite, p.rx_key), 0);
    assert_int_equal(rtpsec_keygen(p.suite, p.tx_key), 0);
    assert_int_equal(udp_addr_from_ip(&p.recv, "127.0.0.1", 40000), 0);
    const struct {
        unsigned streams, cache;
        int err;
    } cases[] = {
        {SESSION_MAX_STREAMS + 1, 0, -EINVAL},
        {1000, 16, -EINVAL},
        {1, 4097, -EINVAL},
        {2, 100000, -EINVAL},
        {SESSION_MAX_STREAMS, 4096, 0}, /* the limits themselves are fine */
    };
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int fds[2];
        open_session_pair(fds);
        p.fd_rtp = fds[0];
        p.fd_rtcp = fds[1];
        p.tx_streams = cases[c].streams;
        p.rtx_cache = cases[c].cache;
        struct session *s = NULL;
        assert_int_equal(session_create(&s, &p), cases[c].err);
        if (cases[c].err) {
            assert_null(s);
            assert_true(fcntl(fds[0], F_GETFD) >= 0); /* not closed behind the caller's back */
            assert_true(fcntl(fds[1], F_GETFD) >= 0);
            close(fds[0]);
            close(fds[1]);
        } else {
            assert_non_null(s);
            session_destroy(&s); /* closes the sockets it now owns */
            assert_true(fcntl(fds[0], F_GETFD) < 0);
        }
    }
    event_base_free(base);
}

/* ---- plain RTP (no SRTP): sessions of a meeting that allows it ---- */

/* Plain sessions on one loop; in the exchange test each is the other's participant. */
struct pair {
    struct event_base *base;
    struct udp_rx_batch *rx;
    struct session *s[2];
    struct pstats st[2];
    uint16_t port[2]; /* each session's RTP port; RTCP is muxed onto it */
    unsigned rtp_calls[2], key_calls[2];
    uint16_t seq[2];        /* of the last packet each received */
    uint8_t payload[2][64]; /* the last payload each received */
    size_t payload_len[2];
};

static unsigned pair_index(const struct pair *p, const struct session *s)
{
    return s == p->s[1];
}

static void pair_on_rtp(void *owner, struct session *s, uint8_t *pkt, size_t len,
                        const struct rtp_hdr *h)
{
    struct pair *p = owner;
    unsigned i = pair_index(p, s);
    p->rtp_calls[i]++;
    p->seq[i] = h->seq;
    p->payload_len[i] = h->payload_len;
    if (h->payload_len <= sizeof(p->payload[i]))
        memcpy(p->payload[i], h->payload, h->payload_len);
}

static void pair_on_keyframe_request(void *owner, struct session *s, unsigned stream)
{
    struct pair *p = owner;
    p->key_calls[pair_index(p, s)]++;
}

static const struct session_ops pair_ops = {
    .on_rtp = pair_on_rtp,
    .on_keyframe_request = pair_on_keyframe_request,
};

/* Session i of p: plain, on a fresh port pair, sending to port `to` (has_recv, RTCP muxed) or
 * latching onto its first source (to == 0); started on p's loop. */
static void pair_open(struct pair *p, unsigned i, uint32_t ssrc, uint16_t to)
{
    int fds[2];
    p->port[i] = open_session_pair(fds);
    struct session_params sp = {
        .fd_rtp = fds[0],
        .fd_rtcp = fds[1],
        .plain = 1,
        .has_recv = to != 0,
        .rtcp_mux = 1,
        .tx_ssrc = ssrc,
        .rtx_cache = 16,
        .tx_pt = 111,
        .clock_rate = 48000,
        .cname = "plain@session",
        .stats = &p->st[i],
        .base = p->base,
    };
    if (to)
        assert_int_equal(udp_addr_from_ip(&sp.recv, "127.0.0.1", to), 0);
    assert_int_equal(session_create(&p->s[i], &sp), 0);
    assert_int_equal(session_start(p->s[i], &pair_ops, p, p->rx), 0);
}

static struct pair *pair_new(void)
{
    struct pair *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->base = event_base_new();
    p->rx = malloc(sizeof(*p->rx));
    assert_true(p->base && p->rx);
    return p;
}

static void pair_free(struct pair *p)
{
    for (unsigned i = 0; i < 2; i++)
        session_destroy(&p->s[i]);
    event_base_free(p->base);
    free(p->rx);
    free(p);
}

/* Run the loop until counter c reaches want. */
static void pair_wait(struct pair *p, _Atomic uint64_t *c, uint64_t want)
{
    uint64_t end = mono_ms() + WAIT_MS;
    while (pstat_get(c) < want && mono_ms() < end) {
        event_base_loop(p->base, EVLOOP_NONBLOCK);
        if (pstat_get(c) < want)
            sleep_ms(1);
    }
    assert_int_equal(pstat_get(c), want);
}

static void pair_send(struct pair *p, unsigned from, const uint8_t *payload, size_t len)
{
    assert_true(session_send_rtp(p->s[from], 111, 0, 960, payload, len) >= 0);
    session_flush(p->s[from]);
}

/* 7. Two plain sessions exchange RTP both ways and RTCP: a keyframe request reported, a NACK
 * answered from the other's cache; no drop of any kind. s[0] latches onto s[1], which sends to
 * s[0]'s port, so both ways work without s[0] knowing s[1]'s port. */
static void test_plain_sessions_exchange(void **state)
{
    struct pair *p = pair_new();
    pair_open(p, 0, 0x0a000000u, 0);
    pair_open(p, 1, 0x0b000000u, p->port[0]);
    assert_false(session_has_destination(p->s[0]));
    const uint8_t hello[5] = "hello", back[4] = "back";
    pair_send(p, 1, hello, sizeof(hello));
    pair_wait(p, &p->st[0].rx_packets, 1);
    assert_int_equal(p->payload_len[0], sizeof(hello));
    assert_memory_equal(p->payload[0], hello, sizeof(hello));
    assert_true(session_has_destination(p->s[0]));
    pair_send(p, 0, back, sizeof(back));
    pair_wait(p, &p->st[1].rx_packets, 1);
    assert_int_equal(p->payload_len[1], sizeof(back));
    assert_memory_equal(p->payload[1], back, sizeof(back));

    /* A keyframe request is one compound with a PLI and a FIR: both reach the owner. */
    assert_int_equal(session_request_keyframe(p->s[0]), 0);
    pair_wait(p, &p->st[1].rx_rtcp, 1);
    assert_int_equal(p->key_calls[1], 2);
    assert_int_equal(session_request_keyframe(p->s[1]), 0);
    pair_wait(p, &p->st[0].rx_rtcp, 1);
    assert_int_equal(p->key_calls[0], 2);
    /* s[0] asks again for s[1]'s packet: the very same plain bytes come back. */
    const uint16_t seq = p->seq[0];
    memset(p->payload[0], 0, sizeof(p->payload[0]));
    assert_int_equal(session_send_nack(p->s[0], &seq, 1), 0);
    pair_wait(p, &p->st[0].rx_packets, 2);
    assert_int_equal(pstat_get(&p->st[1].rx_nack), 1);
    assert_int_equal(pstat_get(&p->st[1].tx_rtx), 1);
    assert_int_equal(p->seq[0], seq);
    assert_memory_equal(p->payload[0], hello, sizeof(hello));
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(p->rtp_calls[i], 2 - i);
        assert_int_equal(pstat_get(&p->st[i].rx_auth_fail), 0);
        assert_int_equal(pstat_get(&p->st[i].rx_replay), 0);
        assert_int_equal(pstat_get(&p->st[i].rx_malformed), 0);
        assert_int_equal(pstat_get(&p->st[i].rx_foreign), 0);
        assert_int_equal(pstat_get(&p->st[i].tx_errors), 0);
    }
    pair_free(p);
}

/* A plain RTP packet (header + payload) from socket fd to the session's RTP port. */
static void raw_send(int fd, uint16_t port, uint16_t seq, const uint8_t *payload, size_t len)
{
    uint8_t buf[UDP_BUF];
    rtp_write_header(buf, 0, 111, seq, 960u * seq, MY_SSRC);
    memcpy(buf + RTP_HDR_MIN, payload, len);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ssize_t n = sendto(fd, buf, RTP_HDR_MIN + len, 0, (const struct sockaddr *)&to, sizeof(to));
    assert_int_equal(n, (ssize_t)(RTP_HDR_MIN + len));
}

/* The session's next datagram on fd, as it was on the wire. */
static size_t raw_recv(struct pair *p, int fd, uint8_t *buf, size_t cap)
{
    uint64_t end = mono_ms() + WAIT_MS;
    do {
        event_base_loop(p->base, EVLOOP_NONBLOCK);
        ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
        if (n >= 0)
            return (size_t)n;
        sleep_ms(1);
    } while (mono_ms() < end);
    fail_msg("nothing arrived within %d ms", WAIT_MS);
    return 0;
}

/* 8. What a plain session puts on the wire is bare RTP and RTCP, and what it takes is whatever
 * parses as RTP: an SRTP packet is RTP whose payload is ciphertext and tag, counted and handed
 * on like any other (the codec then meets noise; SRTP's counters stay 0). Latched without a key
 * to prove anything, it keeps its first source: another address's packets are dropped. */
static void test_plain_wire_and_srtp_packet(void **state)
{
    struct pair *p = pair_new();
    pair_open(p, 0, TX_SSRC, 0);
    int x = bind_any(0), y = bind_any(0);
    assert_true(x >= 0 && y >= 0);
    const uint8_t plain[5] = "plain", secret[6] = "secret", out[3] = "out";
    raw_send(x, p->port[0], 1, plain, sizeof(plain));
    pair_wait(p, &p->st[0].rx_packets, 1);
    assert_memory_equal(p->payload[0], plain, sizeof(plain));

    uint8_t buf[UDP_BUF];
    struct rtp_hdr h;
    pair_send(p, 0, out, sizeof(out));
    assert_int_equal(raw_recv(p, x, buf, sizeof(buf)), RTP_HDR_MIN + sizeof(out)); /* no tag */
    assert_int_equal(rtp_parse(&h, buf, RTP_HDR_MIN + sizeof(out)), 0);
    assert_int_equal(h.ssrc, TX_SSRC);
    assert_memory_equal(h.payload, out, sizeof(out));
    assert_int_equal(session_request_keyframe(p->s[0]), 0);
    size_t n = raw_recv(p, x, buf, sizeof(buf));
    assert_int_equal(rtcp_validate(buf, n), 0); /* no SRTCP index or tag after it */
    assert_true(has_feedback(buf, n));

    /* An SRTP packet from the latched source: taken as RTP, its payload the ciphertext + tag. */
    uint8_t key[RTPSEC_MAX_KEY];
    struct rtpsec *sec;
    assert_int_equal(rtpsec_keygen(RTPSEC_AES_CM_128_HMAC_SHA1_80, key), 0);
    assert_int_equal(rtpsec_create(&sec, RTPSEC_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_OUTBOUND), 0);
    rtp_write_header(buf, 0, 111, 2, 1920, MY_SSRC);
    memcpy(buf + RTP_HDR_MIN, secret, sizeof(secret));
    size_t len = RTP_HDR_MIN + sizeof(secret);
    assert_int_equal(rtpsec_protect(sec, buf, &len), 0);
    rtpsec_destroy(&sec);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(p->port[0])};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(sendto(x, buf, len, 0, (const struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)len);
    pair_wait(p, &p->st[0].rx_packets, 2);
    assert_int_equal(p->seq[0], 2);
    assert_int_equal(p->payload_len[0], sizeof(secret) + 10); /* HMAC-SHA1-80 tag */
    assert_memory_equal(p->payload[0], buf + RTP_HDR_MIN, p->payload_len[0]);
    assert_memory_not_equal(p->payload[0], secret, sizeof(secret));
    assert_int_equal(pstat_get(&p->st[0].rx_auth_fail), 0);
    assert_int_equal(pstat_get(&p->st[0].rx_malformed), 0);

    /* Another address: dropped, and the session still sends to the first. */
    raw_send(y, p->port[0], 3, plain, sizeof(plain));
    pair_wait(p, &p->st[0].rx_foreign, 1);
    assert_int_equal(pstat_get(&p->st[0].rx_packets), 2);
    assert_int_equal(p->rtp_calls[0], 2);
    pair_send(p, 0, out, sizeof(out));
    assert_int_equal(raw_recv(p, x, buf, sizeof(buf)), RTP_HDR_MIN + sizeof(out));
    assert_quiet(y);
    close(x);
    close(y);
    pair_free(p);
}

static int global_setup(void **state)
{
    return rtpsec_global_init();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_streams_to_own_ports, setup_session, teardown_session),
        cmocka_unit_test_setup_teardown(test_nack_resends_same_bytes, setup_session,
                                        teardown_session),
        cmocka_unit_test_setup_teardown(test_keyframe_requests_from_peer, setup_session,
                                        teardown_session),
        cmocka_unit_test_setup_teardown(test_keyframe_and_nack_to_peer, setup_session,
                                        teardown_session),
        cmocka_unit_test_setup_teardown(test_forward_offsets, setup_session, teardown_session),
        cmocka_unit_test(test_create_refuses),
        cmocka_unit_test(test_plain_sessions_exchange),
        cmocka_unit_test(test_plain_wire_and_srtp_packet),
    };
    return cmocka_run_group_tests(tests, global_setup, NULL);
}
