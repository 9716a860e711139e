/* flood: unauthenticated traffic as fast as one core can send it, and a receiver that measures
 * the honest streams meanwhile, for the flood test (tests/e2e/flood.sh).
 *
 *   flood send --to HOST:PORT [--to ...] --seconds S [--ssrc N]
 *   flood recv --port PORT[:KEY_B64] [--port ...] [--seconds S] [--clock HZ]
 *
 * send: sendmmsg batches of five kinds of packet, in turn, to the targets in turn, for S
 * seconds (at most 60): random bytes, RTP-looking packets with garbage SRTP tags (half with the
 * SSRC given, so they meet a real stream's replay window, the sequence moving on so they are
 * never taken for replays), RTCP-looking ones (an SR or RR header whose length fits, an SRTCP
 * index with the E bit, a garbage tag), STUN binding requests and DTLS records. None is ever
 * authentic: nothing in the tool holds a key. Prints "sent N", "seconds S", "rate R",
 * "class NAME N" and "target HOST:PORT N" lines: what the kernel took, not what reached the
 * server (the server's socket may drop when its buffer is full: /proc/net/udp counts those).
 *
 * recv: binds each PORT (where the server sends a participant's media) and, with KEY (the
 * server's send key from the participant's SDP, AES_CM_128_HMAC_SHA1_80), authenticates every
 * RTP packet. Arrival times are the kernel's (SO_TIMESTAMPNS), so this tool being scheduled late
 * does not count as jitter. SIGUSR1 starts the next phase; at the end (S seconds, or SIGTERM)
 * prints per phase and port: "phase P port N packets N seconds S rate R lost N jitter_ms J
 * gap_max_ms G gap_max_at_ms T late N auth N bad N rtcp N", where jitter is RFC 3550's
 * interarrival jitter (clock HZ, default 48000) averaged over the phase's packets, T is when in
 * the phase the longest gap ended, and late counts gaps over 30 ms. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base64.h"
#include "bytes.h"
#include "clock.h"
#include "demux.h"
#include "rtp.h"
#include "rtpsec.h"
#include "udp.h"

#define MAX_TARGETS 16
#define MAX_PORTS   8
#define MAX_PHASES  8
#define POOL        1000 /* packets built up front, used in turn: a multiple of NCLASS */
#define SEND_BATCH  64
#define LATE_US     30000 /* a gap of 1.5 frames of 20 ms: the packet came late */

enum kind { K_RANDOM, K_RTP, K_RTCP, K_STUN, K_DTLS, NCLASS };
static const char *const kind_name[NCLASS] = {"random", "rtp", "rtcp", "stun", "dtls"};

struct pkt {
    uint8_t b[256];
    size_t len;
};

static void usage(void)
{
    fprintf(stderr, "usage: flood send --to HOST:PORT [--to ...] --seconds S [--ssrc N]\n"
                    "       flood recv --port PORT[:KEY_B64] [--port ...] [--seconds S] "
                    "[--clock HZ]\n");
}

static void fill_random(uint8_t *b, size_t n)
{
    while (n) {
        ssize_t r = getrandom(b, n, 0);
        if (r <= 0)
            continue;
        b += r;
        n -= (size_t)r;
    }
}

/* Packet i of the pool: kind i % NCLASS, random content shaped to pass the first-byte demux as
 * that kind, so each reaches the check it is meant to test. */
static void build(struct pkt *p, unsigned i, int have_ssrc, uint32_t ssrc)
{
    uint8_t r[4];
    fill_random(r, sizeof(r));
    fill_random(p->b, sizeof(p->b));
    p->len = 40 + r[0] % 160;
    switch ((enum kind)(i % NCLASS)) {
    case K_RANDOM:
        break;
    case K_RTP:
        /* V=2, no padding, extension or CSRCs: parses, so it costs an authentication. */
        p->b[0] = 0x80;
        p->b[1] = (uint8_t)((r[1] & 0x80) | 111);
        if (have_ssrc && (i / NCLASS) % 2)
            put32(p->b + 8, ssrc);
        break;
    case K_RTCP: {
        /* An SR or RR whose length field fits the packet, then an SRTCP index with the E bit
         * and a 10-byte garbage tag. */
        size_t words = (p->len - 4 - 10) / 4; /* 32-bit words of the RTCP part */
        p->len = words * 4 + 4 + 10;
        p->b[0] = 0x80;
        p->b[1] = r[1] & 1 ? 200 : 201;
        put16(p->b + 2, (uint16_t)(words - 1));
        p->b[words * 4] |= 0x80;
        break;
    }
    case K_STUN:
        p->b[0] = 0x00; /* binding request, magic cookie, random transaction */
        p->b[1] = 0x01;
        put16(p->b + 2, 0);
        put32(p->b + 4, 0x2112a442);
        p->len = 20;
        break;
    case K_DTLS:
        p->b[0] = 22; /* handshake record, DTLS 1.2 */
        p->b[1] = 0xfe;
        p->b[2] = 0xfd;
        break;
    default:
        break;
    }
}

struct sender {
    int fd;
    struct udp_addr to[MAX_TARGETS];
    unsigned nto;
    struct pkt pool[POOL];
    uint64_t per_kind[NCLASS], per_target[MAX_TARGETS], total, errors;
};

/* One sendmmsg of SEND_BATCH packets starting at pool index *next; counts what the kernel took. */
static void send_batch(struct sender *s, unsigned *next, unsigned *tnext, uint16_t seq)
{
    struct mmsghdr m[SEND_BATCH];
    struct iovec iov[SEND_BATCH];
    unsigned idx[SEND_BATCH], tgt[SEND_BATCH];
    memset(m, 0, sizeof(m));
    for (unsigned k = 0; k < SEND_BATCH; k++) {
        unsigned i = (*next + k) % POOL;
        struct pkt *p = &s->pool[i];
        if (i % NCLASS == K_RTP) /* a sequence number never seen: not a replay */
            put16(p->b + 2, (uint16_t)(seq + k));
        idx[k] = i;
        tgt[k] = (*tnext + k) % s->nto;
        iov[k] = (struct iovec){p->b, p->len};
        m[k].msg_hdr.msg_iov = &iov[k];
        m[k].msg_hdr.msg_iovlen = 1;
        m[k].msg_hdr.msg_name = &s->to[tgt[k]].ss;
        m[k].msg_hdr.msg_namelen = s->to[tgt[k]].len;
    }
    *next = (*next + SEND_BATCH) % POOL;
    *tnext = (*tnext + SEND_BATCH) % s->nto;
    int n = sendmmsg(s->fd, m, SEND_BATCH, 0);
    if (n < 0) {
        s->errors++;
        return;
    }
    for (int k = 0; k < n; k++) {
        s->per_kind[idx[k] % NCLASS]++;
        s->per_target[tgt[k]]++;
    }
    s->total += (uint64_t)n;
}

static int run_send(int argc, char **argv)
{
    struct sender *s = calloc(1, sizeof(*s));
    double secs = 0;
    int have_ssrc = 0;
    uint32_t ssrc = 0;
    if (!s)
        return 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--to") && s->nto < MAX_TARGETS &&
            !udp_addr_parse(&s->to[s->nto], argv[i + 1]))
            s->nto++;
        else if (!strcmp(argv[i], "--seconds"))
            secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--ssrc"))
            have_ssrc = 1, ssrc = (uint32_t)strtoul(argv[i + 1], NULL, 0);
        else
            secs = -1;
    }
    if (!s->nto || secs <= 0 || secs > 60 || argc % 2) {
        usage();
        free(s);
        return 2;
    }
    for (unsigned i = 0; i < POOL; i++)
        build(&s->pool[i], i, have_ssrc, ssrc);
    /* Blocking and unbound: a full send buffer waits rather than fails, and the kernel picks a
     * port the server has never seen. */
    s->fd = socket(s->to[0].ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        perror("flood: socket");
        free(s);
        return 1;
    }
    uint64_t start = clock_now_us(), end = start + (uint64_t)(secs * 1e6), now = start;
    unsigned next = 0, tnext = 0;
    uint16_t seq = 0;
    while (now < end) {
        send_batch(s, &next, &tnext, seq);
        seq = (uint16_t)(seq + SEND_BATCH);
        now = clock_now_us();
    }
    double took = (double)(now - start) / 1e6;
    printf("start_us %llu\nend_us %llu\n", (unsigned long long)start, (unsigned long long)now);
    printf("sent %llu\nseconds %.3f\nrate %.0f\nerrors %llu\n", (unsigned long long)s->total, took,
           (double)s->total / took, (unsigned long long)s->errors);
    for (int k = 0; k < NCLASS; k++)
        printf("class %s %llu\n", kind_name[k], (unsigned long long)s->per_kind[k]);
    for (unsigned t = 0; t < s->nto; t++) {
        char a[80];
        printf("target %s %llu\n", udp_addr_str(&s->to[t], a, sizeof(a)),
               (unsigned long long)s->per_target[t]);
    }
    close(s->fd);
    free(s);
    return 0;
}

/* One phase's figures for one port. */
struct phase {
    uint64_t packets, lost, auth, bad, rtcp, gap_max_us;
    uint64_t gap_max_at; /* when the longest gap ended (us, clock_now_us) */
    uint64_t late;       /* gaps longer than LATE_US */
    double jitter_sum;   /* of J after each packet, to average */
};

struct stream {
    int fd;
    uint16_t port;
    struct rtpsec *sec; /* NULL: count without authenticating */
    int seen;
    uint16_t last_seq;
    uint32_t last_ts;
    uint64_t last_at;
    double jitter; /* RFC 3550 J, in timestamp units */
    struct phase ph[MAX_PHASES];
};

static volatile sig_atomic_t phase_asked, stop_asked;

static void on_usr1(int sig)
{
    phase_asked++;
}

static void on_stop(int sig)
{
    stop_asked = 1;
}

/* Timing, loss and jitter of one RTP packet that arrived at `at` (kernel time, us). */
static void account(struct stream *st, struct phase *ph, const struct rtp_hdr *h, uint64_t at,
                    uint32_t clock)
{
    if (st->seen) {
        uint64_t gap = at - st->last_at;
        if (gap > ph->gap_max_us) {
            ph->gap_max_us = gap;
            ph->gap_max_at = at;
        }
        ph->late += gap > LATE_US;
        uint16_t d = (uint16_t)(h->seq - st->last_seq);
        if (d >= 1 && d < 1000)
            ph->lost += d - 1u;
        /* D(i-1, i) = (Rj - Ri) - (Sj - Si), in timestamp units (RFC 3550 6.4.1). */
        double dr = (double)gap * clock / 1e6;
        double ds = (double)(int32_t)(h->ts - st->last_ts);
        double dd = dr - ds;
        st->jitter += ((dd < 0 ? -dd : dd) - st->jitter) / 16.0;
    }
    st->seen = 1;
    st->last_seq = h->seq;
    st->last_ts = h->ts;
    st->last_at = at;
    ph->packets++;
    ph->jitter_sum += st->jitter;
}

static void take(struct stream *st, struct phase *ph, uint8_t *buf, size_t len, uint64_t at,
                 uint32_t clock)
{
    struct rtp_hdr h;
    enum demux_kind k = demux_classify(buf, len);
    if (k == DEMUX_RTCP) {
        ph->rtcp++;
        return;
    }
    if (k != DEMUX_RTP || rtp_parse(&h, buf, len)) {
        ph->bad++;
        return;
    }
    if (st->sec) {
        if (rtpsec_unprotect(st->sec, buf, &len)) {
            ph->bad++;
            return; /* not the server's: no timing from it */
        }
        ph->auth++;
    }
    account(st, ph, &h, at, clock);
}

static int open_stream(struct stream *st, const char *arg)
{
    char portbuf[16];
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    if (n == 0 || n >= sizeof(portbuf))
        return -EINVAL;
    memcpy(portbuf, arg, n);
    portbuf[n] = '\0';
    st->port = (uint16_t)atoi(portbuf);
    struct udp_addr a;
    if (!st->port || udp_addr_from_ip(&a, "127.0.0.1", st->port))
        return -EINVAL;
    if (colon) {
        uint8_t key[RTPSEC_MAX_KEY];
        if (base64_decode(key, sizeof(key), colon + 1, strlen(colon + 1)) != 30)
            return -EINVAL;
        int err = rtpsec_create(&st->sec, RTPSEC_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_INBOUND);
        if (err)
            return err;
    }
    return udp_open(&a, &st->fd);
}

static void report(const struct stream *st, unsigned nst, const uint64_t *at, unsigned nph,
                   uint32_t clock)
{
    for (unsigned p = 0; p < nph; p++) {
        double secs = (double)(at[p + 1] - at[p]) / 1e6;
        for (unsigned i = 0; i < nst; i++) {
            const struct phase *ph = &st[i].ph[p];
            double j = ph->packets ? ph->jitter_sum / (double)ph->packets : 0;
            printf("phase %u port %u packets %llu seconds %.3f rate %.2f lost %llu jitter_ms %.3f "
                   "gap_max_ms %.2f gap_max_at_ms %.0f late %llu auth %llu bad %llu rtcp %llu\n",
                   p, st[i].port, (unsigned long long)ph->packets, secs,
                   secs > 0 ? (double)ph->packets / secs : 0, (unsigned long long)ph->lost,
                   j * 1000.0 / clock, (double)ph->gap_max_us / 1000.0,
                   ph->gap_max_at ? (double)(ph->gap_max_at - at[p]) / 1000.0 : 0,
                   (unsigned long long)ph->late, (unsigned long long)ph->auth,
                   (unsigned long long)ph->bad, (unsigned long long)ph->rtcp);
        }
    }
}

static int run_recv(int argc, char **argv)
{
    struct stream st[MAX_PORTS];
    unsigned nst = 0;
    double secs = 60;
    uint32_t clock = 48000;
    memset(st, 0, sizeof(st));
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port") && nst < MAX_PORTS) {
            if (open_stream(&st[nst], argv[i + 1])) {
                fprintf(stderr, "flood: cannot receive on %s\n", argv[i + 1]);
                return 1;
            }
            nst++;
        } else if (!strcmp(argv[i], "--seconds")) {
            secs = atof(argv[i + 1]);
        } else if (!strcmp(argv[i], "--clock")) {
            clock = (uint32_t)atoi(argv[i + 1]);
        } else {
            nst = 0;
            break;
        }
    }
    if (!nst || argc % 2 || secs <= 0 || !clock) {
        usage();
        return 2;
    }
    struct udp_rx_batch *rx = malloc(sizeof(*rx));
    if (!rx)
        return 1;
    signal(SIGUSR1, on_usr1);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    uint64_t at[MAX_PHASES + 1];
    unsigned phase = 0;
    at[0] = clock_now_us();
    uint64_t end = at[0] + (uint64_t)(secs * 1e6);
    struct pollfd pfd[MAX_PORTS];
    for (unsigned i = 0; i < nst; i++)
        pfd[i] = (struct pollfd){st[i].fd, POLLIN, 0};
    while (!stop_asked && clock_now_us() < end) {
        while (phase_asked > (sig_atomic_t)phase && phase + 1 < MAX_PHASES)
            at[++phase] = clock_now_us();
        poll(pfd, nst, 20);
        for (unsigned i = 0; i < nst; i++) {
            int n;
            while ((n = udp_recv_batch(st[i].fd, rx)) > 0) {
                for (int k = 0; k < n; k++)
                    take(&st[i], &st[i].ph[phase], rx->buf[k], rx->msgs[k].msg_len, rx->at_us[k],
                         clock);
            }
        }
    }
    at[phase + 1] = clock_now_us();
    report(st, nst, at, phase + 1, clock);
    for (unsigned i = 0; i < nst; i++) {
        close(st[i].fd);
        rtpsec_destroy(&st[i].sec);
    }
    free(rx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    if (rtpsec_global_init()) {
        fprintf(stderr, "flood: cannot initialise SRTP\n");
        return 1;
    }
    if (!strcmp(argv[1], "send"))
        return run_send(argc, argv);
    if (!strcmp(argv[1], "recv"))
        return run_recv(argc, argv);
    usage();
    return 2;
}
