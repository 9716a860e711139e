/* bench_transport: SRTP forwarding packets per CPU-second on loopback, as a ratio to raw UDP. */
#include <errno.h>
#include <poll.h>
#include <srtp2/srtp.h> /* only for --nss-space */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "demux.h"
#include "rtp.h"
#include "rtpsec.h"
#include "udp.h"

/* An Opus-sized packet: 12-byte header + 178-byte payload is 190 bytes of RTP, 200 on the wire
 * with AES_CM_128_HMAC_SHA1_80's 10-byte tag (206 with GCM's 16). */
#define RTP_LEN         190
#define PKT_STRIDE      256  /* one pre-generated packet slot: RTP_LEN + the largest tag */
#define ROUNDS          3    /* paths run interleaved, round by round; the median round is shown */
#define STEP            256  /* lock-step group: packets sent, then forwarded, then sunk */
#define WARM            1024 /* packets per round forwarded before the meter starts */
#define DEFAULT_PACKETS 500000
#define MIN_PACKETS     300
#define IN_SSRC         0x1d2e3f40u
#define OUT_SSRC        0x5a6b7c8du
#define IN_PT           111
#define OUT_PT          96
#define VERIFY_EVERY    16 /* the sink checks one forwarded packet in this many */
#define CHUNKS          9  /* a session-table cell is the median of this many timed chunks */
#define PASSES          3  /* ... in each of this many passes over the table; median pass shown */
#define MAX_SESSIONS    2000

static const enum rtpsec_suite full_suites[] = {RTPSEC_AES_CM_128_HMAC_SHA1_80,
                                                RTPSEC_AEAD_AES_128_GCM};
#define NSUITES (sizeof(full_suites) / sizeof(full_suites[0]))
#define NPATHS  (1 + NSUITES) /* path 0 is raw UDP */

static const unsigned session_counts[] = {0, 10, 200, 1000, MAX_SESSIONS};
#define NCOUNTS (sizeof(session_counts) / sizeof(session_counts[0]))

static int64_t now_ns(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_transport: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

/* A: the sender, S: the server socket under test, B: the receiver S forwards to. */
struct net {
    int fd_a, fd_s, fd_b;
    struct udp_addr s_addr, b_addr;
    struct udp_rx_batch *rx;   /* S's receive batch */
    struct udp_rx_batch *sink; /* B's */
    struct udp_tx_batch *tx;   /* S -> B */
};

/* Input packets, SRTP-protected with the inbound key before any timing. */
struct stream {
    uint8_t *buf; /* count slots of PKT_STRIDE */
    size_t len;   /* every packet has the same length */
    size_t count;
    size_t warm; /* the first `warm` packets are forwarded unmetered */
    enum rtpsec_suite suite;
    uint8_t key[RTPSEC_MAX_KEY];
};

/* What one forwarding run of one path did. */
struct run {
    int64_t cpu_ns, wall_ns; /* spent in the forwarding side's metered batches only */
    uint64_t metered;        /* packets forwarded inside metered batches */
    uint64_t forwarded, lost, refused, errors;
    uint64_t sunk, checked, bad;
};

/* The forwarding side's per-path state. in == NULL is the raw path. */
struct fwd {
    struct rtpsec *in, *out;
    uint16_t seq;
    uint32_t ts_off;
};

static void open_local(int *fd, struct udp_addr *addr)
{
    struct udp_addr any;
    udp_addr_from_ip(&any, "127.0.0.1", 0);
    int err = udp_open(&any, fd);
    if (err)
        die("udp_open", err);
    *addr = any;
    addr->len = sizeof(addr->ss);
    if (getsockname(*fd, (struct sockaddr *)&addr->ss, &addr->len) < 0)
        die("getsockname", errno);
}

static void net_open(struct net *nt)
{
    struct udp_addr a_addr;
    open_local(&nt->fd_a, &a_addr);
    open_local(&nt->fd_s, &nt->s_addr);
    open_local(&nt->fd_b, &nt->b_addr);
    /* The sender is connected so its sendmmsg needs no per-message address. */
    if (connect(nt->fd_a, (const struct sockaddr *)&nt->s_addr.ss, nt->s_addr.len) < 0)
        die("connect", errno);
    nt->rx = calloc(1, sizeof(*nt->rx));
    nt->sink = calloc(1, sizeof(*nt->sink));
    nt->tx = calloc(1, sizeof(*nt->tx));
    if (!nt->rx || !nt->sink || !nt->tx)
        die("calloc", ENOMEM);
    nt->tx->fd = nt->fd_s;
}

static void net_close(struct net *nt)
{
    close(nt->fd_a);
    close(nt->fd_s);
    close(nt->fd_b);
    free(nt->rx);
    free(nt->sink);
    free(nt->tx);
}

static void write_payload(uint8_t *p, uint32_t index)
{
    p[0] = (uint8_t)(index >> 24);
    p[1] = (uint8_t)(index >> 16);
    p[2] = (uint8_t)(index >> 8);
    p[3] = (uint8_t)index;
    for (size_t i = 4; i < RTP_LEN - RTP_HDR_MIN; i++)
        p[i] = (uint8_t)(i * 7);
}

static uint32_t read_index(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Packets with unique increasing sequence numbers (the receiver's replay window rejects
 * repeats), protected by one outbound context in order so the rollover counter stays right
 * past 65535. */
static void stream_make(struct stream *st, enum rtpsec_suite suite, size_t count, size_t warm)
{
    st->suite = suite;
    st->count = count;
    st->warm = warm;
    st->buf = malloc(count * PKT_STRIDE);
    if (!st->buf)
        die("malloc packets", ENOMEM);
    int err = rtpsec_keygen(suite, st->key);
    struct rtpsec *tx = NULL;
    if (!err)
        err = rtpsec_create(&tx, suite, st->key, RTPSEC_OUTBOUND);
    if (err)
        die("rtpsec_create (sender)", err);
    uint8_t work[RTP_LEN + RTPSEC_MAX_TRAILER];
    for (size_t i = 0; i < count; i++) {
        rtp_write_header(work, 0, IN_PT, (uint16_t)(1000 + i), (uint32_t)(960 * i), IN_SSRC);
        write_payload(work + RTP_HDR_MIN, (uint32_t)i);
        size_t len = RTP_LEN;
        err = rtpsec_protect(tx, work, &len);
        if (err)
            die("rtpsec_protect (sender)", err);
        if (i == 0)
            st->len = len;
        memcpy(st->buf + i * PKT_STRIDE, work, len);
    }
    rtpsec_destroy(&tx);
}

static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r > 0;
}

static void send_burst(int fd, const struct stream *st, size_t first, unsigned k)
{
    struct mmsghdr m[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    memset(m, 0, sizeof(m));
    for (unsigned i = 0; i < k; i++) {
        iov[i].iov_base = st->buf + (first + i) * PKT_STRIDE;
        iov[i].iov_len = st->len;
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned done = 0;
    while (done < k) {
        int r = sendmmsg(fd, m + done, k - done, 0);
        if (r >= 0) {
            done += (unsigned)r;
        } else if (errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 100);
        } else if (errno != EINTR) {
            die("sendmmsg (sender)", errno);
        }
    }
}

/* The measured work for n packets in S's receive batch: what session.c does per packet
 * (classify, parse, unprotect, parse, copy to a send slot, rewrite, protect) or, for the raw
 * path, only the copy into the send slot, then the sendmmsg flushes. */
static void forward(struct net *nt, struct fwd *f, int n, struct run *r)
{
    for (int i = 0; i < n; i++) {
        uint8_t *buf = nt->rx->buf[i];
        size_t len = nt->rx->msgs[i].msg_len;
        struct rtp_hdr h;
        if (f->in && (demux_classify(buf, len) != DEMUX_RTP || rtp_parse(&h, buf, len) ||
                      rtpsec_unprotect(f->in, buf, &len) || rtp_parse(&h, buf, len))) {
            r->errors++;
            continue;
        }
        uint8_t *slot = udp_tx_slot(nt->tx);
        if (!slot) {
            r->refused += udp_tx_flush(nt->tx);
            slot = udp_tx_slot(nt->tx);
        }
        memcpy(slot, buf, len);
        if (f->in) {
            slot[1] = (uint8_t)((h.marker ? 0x80 : 0) | OUT_PT);
            rtp_rewrite(slot, f->seq++, h.ts + f->ts_off, OUT_SSRC);
            if (rtpsec_protect(f->out, slot, &len)) {
                r->errors++;
                continue;
            }
        }
        udp_tx_commit(nt->tx, len, &nt->b_addr);
        r->forwarded++;
    }
    r->refused += udp_tx_flush(nt->tx);
}

/* Receiver B: count what arrived and check a sample, so a fast figure cannot come from a path
 * that forwards garbage. Packets arrive in order on loopback, so arrival k carries index k. */
static void drain_sink(struct net *nt, const struct stream *st, struct rtpsec *verify,
                       struct run *r)
{
    int n;
    while ((n = udp_recv_batch(nt->fd_b, nt->sink)) > 0) {
        for (int i = 0; i < n; i++, r->sunk++) {
            if (r->sunk % VERIFY_EVERY)
                continue;
            uint8_t *buf = nt->sink->buf[i];
            size_t len = nt->sink->msgs[i].msg_len;
            r->checked++;
            if (!verify) {
                if (r->sunk >= st->count || len != st->len ||
                    memcmp(buf, st->buf + r->sunk * PKT_STRIDE, len))
                    r->bad++;
                continue;
            }
            struct rtp_hdr h;
            if (rtpsec_unprotect(verify, buf, &len) || rtp_parse(&h, buf, len) ||
                h.ssrc != OUT_SSRC || h.pt != OUT_PT || h.payload_len != RTP_LEN - RTP_HDR_MIN ||
                read_index(h.payload) != (uint32_t)r->sunk)
                r->bad++;
        }
    }
}

/* One forwarding run over the whole stream, lock-step in this one thread: the sender pushes a
 * group of STEP packets (sendmmsg bursts of UDP_BATCH), the forwarding side receives (recvmmsg)
 * and forwards them, B drains. Only the forwarding side sits between the clock reads, so the
 * thread's CPU time between them is the forwarding cost alone. Lock-step rather than a paced
 * sender thread: S's receive queue never holds more than one group (a few hundred KB against
 * 2 MB of buffer), so nothing is dropped, and on 2 vCPUs a sender thread would compete with the
 * measured thread for a core. Groups of STEP rather than one burst because a thread-CPU clock
 * read is a system call (about 0.7 us here): per 32 packets it would add 3 % to the raw figure,
 * per STEP under 0.5 %. Note that on loopback the kernel
 * delivers a datagram (IP/UDP input, socket enqueue) inside the sender's syscall: the metered
 * time therefore includes B's receive-side kernel work for what S sends, and excludes S's own
 * input processing, charged to A. Both paths carry that same kernel cost, so the ratio compares
 * like with like. */
static void run_path(struct net *nt, const struct stream *st, int srtp, struct run *r)
{
    memset(r, 0, sizeof(*r));
    struct fwd f = {.seq = 4242, .ts_off = 123456};
    struct rtpsec *verify = NULL;
    if (srtp) {
        uint8_t out_key[RTPSEC_MAX_KEY];
        int err = rtpsec_keygen(st->suite, out_key);
        if (!err)
            err = rtpsec_create(&f.in, st->suite, st->key, RTPSEC_INBOUND);
        if (!err)
            err = rtpsec_create(&f.out, st->suite, out_key, RTPSEC_OUTBOUND);
        if (!err)
            err = rtpsec_create(&verify, st->suite, out_key, RTPSEC_INBOUND);
        if (err)
            die("rtpsec_create", err);
    }
    uint64_t received = 0;
    for (size_t sent = 0; sent < st->count;) {
        size_t group = st->count - sent < STEP ? st->count - sent : STEP;
        int metered = sent >= st->warm;
        for (size_t end = sent + group; sent < end;) {
            unsigned k = end - sent < UDP_BATCH ? (unsigned)(end - sent) : UDP_BATCH;
            send_burst(nt->fd_a, st, sent, k);
            sent += k;
        }
        while (received < sent) {
            /* Waiting, when the kernel has not queued the group yet, is not forwarding work. */
            if (!wait_readable(nt->fd_s, 500)) {
                r->lost += sent - received;
                received = sent;
                break;
            }
            int64_t c0 = 0, w0 = 0;
            if (metered) {
                c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
                w0 = now_ns(CLOCK_MONOTONIC);
            }
            int n;
            do {
                n = udp_recv_batch(nt->fd_s, nt->rx);
                if (n > 0) {
                    forward(nt, &f, n, r);
                    received += (uint64_t)n;
                    if (metered)
                        r->metered += (uint64_t)n;
                }
            } while (n > 0 && received < sent);
            if (metered) {
                r->cpu_ns += now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
                r->wall_ns += now_ns(CLOCK_MONOTONIC) - w0;
            }
        }
        drain_sink(nt, st, verify, r);
    }
    uint64_t expect = r->forwarded - r->refused;
    while (r->sunk < expect && wait_readable(nt->fd_b, 200))
        drain_sink(nt, st, verify, r);
    rtpsec_destroy(&f.in);
    rtpsec_destroy(&f.out);
    rtpsec_destroy(&verify);
}

/* What the meter itself costs per metered batch: two clock reads of each kind. */
static double meter_overhead_ns(void)
{
    int64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < 10000; i++) {
        now_ns(CLOCK_THREAD_CPUTIME_ID);
        now_ns(CLOCK_MONOTONIC);
    }
    return (double)(now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / 10000.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *path_name(size_t p)
{
    static char names[NPATHS][48];
    if (p == 0)
        return "raw udp recvmmsg+sendmmsg";
    snprintf(names[p], sizeof(names[p]), "srtp %s", rtpsec_suite_name(full_suites[p - 1]));
    return names[p];
}

static int transport_table(size_t packets)
{
    size_t per_round = (packets + ROUNDS - 1) / ROUNDS;
    /* Warm-up: libsrtp sets up the stream on the first packet, and caches need filling. A whole
     * number of lock-step groups, so metering starts on a group boundary. */
    size_t warm = WARM;
    struct stream st[NSUITES];
    for (size_t s = 0; s < NSUITES; s++)
        stream_make(&st[s], full_suites[s], warm + per_round, warm);

    struct net nt;
    net_open(&nt);
    /* Rounds interleave the paths so that a change in the machine's load during the run hits
     * every path alike instead of skewing the ratio. */
    struct run runs[NPATHS][ROUNDS];
    for (int round = 0; round < ROUNDS; round++) {
        run_path(&nt, &st[0], 0, &runs[0][round]);
        for (size_t s = 0; s < NSUITES; s++)
            run_path(&nt, &st[s], 1, &runs[1 + s][round]);
    }
    net_close(&nt);
    for (size_t s = 0; s < NSUITES; s++)
        free(st[s].buf);

    printf("Forwarding A -> S -> B on 127.0.0.1, one thread, %d-byte RTP (%zu bytes on the wire "
           "with AES_CM_80, %zu with GCM)\n",
           RTP_LEN, st[0].len, st[NSUITES - 1].len);
    printf("%zu packets per path in %d interleaved rounds (+%zu warm-up each); median round; "
           "CPU = forwarding side's thread CPU time\n\n",
           per_round * ROUNDS, ROUNDS, warm);
    printf("%-32s %12s %8s %7s %8s %12s\n", "path", "pkts/s/core", "us/pkt", "ratio", "spread",
           "pkts/s wall");
    double base[ROUNDS];
    int failed = 0;
    for (size_t p = 0; p < NPATHS; p++) {
        double cpu[ROUNDS], wall[ROUNDS], ratio[ROUNDS];
        uint64_t lost = 0, refused = 0, errors = 0, bad = 0, short_sink = 0, checked = 0;
        for (int i = 0; i < ROUNDS; i++) {
            struct run *r = &runs[p][i];
            cpu[i] = r->cpu_ns ? (double)r->metered * 1e9 / (double)r->cpu_ns : 0;
            wall[i] = r->wall_ns ? (double)r->metered * 1e9 / (double)r->wall_ns : 0;
            if (p == 0)
                base[i] = cpu[i];
            /* Within a round the paths run back to back: a ratio per round cancels a change of
             * the machine's speed between rounds, which the medians of each path alone do not. */
            ratio[i] = base[i] > 0 ? cpu[i] / base[i] : 0;
            lost += r->lost;
            refused += r->refused;
            errors += r->errors;
            bad += r->bad;
            checked += r->checked;
            if (r->sunk < r->forwarded - r->refused)
                short_sink += r->forwarded - r->refused - r->sunk;
        }
        double lo = cpu[0], hi = cpu[0];
        for (int i = 1; i < ROUNDS; i++) {
            lo = cpu[i] < lo ? cpu[i] : lo;
            hi = cpu[i] > hi ? cpu[i] : hi;
        }
        double pps = median(cpu, ROUNDS);
        double pps_wall = median(wall, ROUNDS);
        printf("%-32s %12.0f %8.2f %7.2f %7.1f%% %12.0f\n", path_name(p), pps,
               pps > 0 ? 1e6 / pps : 0, median(ratio, ROUNDS), pps > 0 ? 100 * (hi - lo) / pps : 0,
               pps_wall);
        if (pps <= 0 || lost || refused || errors || bad || short_sink || !checked) {
            printf("  ! lost %llu, refused %llu, crypto/parse errors %llu, bad at sink %llu of "
                   "%llu checked, missing at sink %llu\n",
                   (unsigned long long)lost, (unsigned long long)refused,
                   (unsigned long long)errors, (unsigned long long)bad, (unsigned long long)checked,
                   (unsigned long long)short_sink);
            failed = 1;
        }
    }
    printf("\nratio = median over the rounds of the path's rate / raw's rate in the same round; "
           "spread = (max - min) / median of the rounds' rates;\nthe meter's own clock reads add "
           "%.0f ns per %d-packet group (included)\n",
           meter_overhead_ns(), STEP);
    return failed;
}

/* Sessions for the protect-cost table: all outbound, one SSRC and sequence counter each. */
struct sessions {
    struct rtpsec *ctx[MAX_SESSIONS + 1];
    uint16_t seq[MAX_SESSIONS + 1];
    size_t n;
};

static void protect_one(struct sessions *ss, size_t j, uint8_t *work, const uint8_t *tmpl)
{
    memcpy(work, tmpl, RTP_LEN);
    uint16_t seq = ss->seq[j]++;
    rtp_rewrite(work, seq, 960u * seq, 0x10000u + (uint32_t)j);
    size_t len = RTP_LEN;
    int err = rtpsec_protect(ss->ctx[j], work, &len);
    if (err)
        die("rtpsec_protect (session table)", err);
}

/* Microseconds per protect, median over CHUNKS chunks of thread CPU time (the machine may be
 * busy; a chunk that lost its cache to another process should not set the figure). all == 0
 * protects on session 0 only, the others idle; all == 1 goes round-robin over every session, as
 * a server sending one shared mix to each listener does. The 190-byte copy and header rewrite
 * that give each protect a fresh packet are included (a few ns). */
static double protect_cost(struct sessions *ss, int all, size_t m, const uint8_t *tmpl)
{
    uint8_t work[RTP_LEN + RTPSEC_MAX_TRAILER];
    double chunk[CHUNKS];
    size_t per = m / CHUNKS ? m / CHUNKS : 1, j = 0;
    for (int c = 0; c < CHUNKS; c++) {
        int64_t t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < per; i++) {
            protect_one(ss, j, work, tmpl);
            if (all && ++j == ss->n)
                j = 0;
        }
        chunk[c] = (double)(now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e3 / (double)per;
    }
    return median(chunk, CHUNKS);
}

static void sessions_grow(struct sessions *ss, enum rtpsec_suite suite, size_t n,
                          const uint8_t *tmpl)
{
    uint8_t work[RTP_LEN + RTPSEC_MAX_TRAILER];
    while (ss->n < n) {
        uint8_t key[RTPSEC_MAX_KEY];
        int err = rtpsec_keygen(suite, key);
        if (!err)
            err = rtpsec_create(&ss->ctx[ss->n], suite, key, RTPSEC_OUTBOUND);
        if (err)
            die("rtpsec_create (session table)", err);
        ss->seq[ss->n] = 1;
        /* libsrtp builds an ssrc_any session's stream on its first packet: a live session has
         * had one, and the timed loops should not pay for it. */
        protect_one(ss, ss->n, work, tmpl);
        ss->n++;
    }
}

static void session_table(size_t packets)
{
    /* Enough protects that the round-robin goes over the largest set more than once per chunk. */
    size_t m = packets / 20;
    m = m < 2000 ? 2000 : m > 30000 ? 30000 : m;
    uint8_t tmpl[RTP_LEN];
    rtp_write_header(tmpl, 0, OUT_PT, 0, 0, 0);
    write_payload(tmpl + RTP_HDR_MIN, 0);

    /* The rows are measured one after another, growing the set, so a slow spell of the machine
     * would pass for a session-count effect: whole passes over the table, built from zero each
     * time, and the median pass per cell. */
    double cell[NCOUNTS][NSUITES][2][PASSES], us[NCOUNTS][NSUITES][2];
    struct sessions *ss = calloc(1, sizeof(*ss));
    if (!ss)
        die("calloc", ENOMEM);
    for (int pass = 0; pass < PASSES; pass++) {
        for (size_t s = 0; s < NSUITES; s++) {
            for (size_t c = 0; c < NCOUNTS; c++) {
                sessions_grow(ss, full_suites[s], 1 + session_counts[c], tmpl);
                protect_cost(ss, 0, m / 10, tmpl); /* warm the measured session */
                cell[c][s][0][pass] = protect_cost(ss, 0, m, tmpl);
                cell[c][s][1][pass] = protect_cost(ss, 1, m, tmpl);
            }
            while (ss->n)
                rtpsec_destroy(&ss->ctx[--ss->n]);
        }
    }
    free(ss);
    for (size_t c = 0; c < NCOUNTS; c++)
        for (size_t s = 0; s < NSUITES; s++)
            for (int k = 0; k < 2; k++)
                us[c][s][k] = median(cell[c][s][k], PASSES);

    printf("\nrtpsec_protect vs live SRTP sessions in the process (%d-byte RTP; per cell %zu "
           "protects in %d chunks, median chunk, median of %d passes; CPU time)\n",
           RTP_LEN, m, CHUNKS, PASSES);
    printf("  one = the same session every time, the others idle; all = round-robin over every "
           "live session\n\n");
    printf("%-8s %6s", "extra", "live");
    for (size_t s = 0; s < NSUITES; s++)
        printf("  %-27s", rtpsec_suite_name(full_suites[s]));
    printf("\n%-8s %6s", "sessions", "");
    for (size_t s = 0; s < NSUITES; s++)
        printf("  %11s %11s     ", "us one", "us all");
    printf("\n");
    for (size_t c = 0; c < NCOUNTS; c++) {
        printf("%-8u %6u", session_counts[c], session_counts[c] + 1);
        for (size_t s = 0; s < NSUITES; s++)
            printf("  %11.2f %11.2f     ", us[c][s][0], us[c][s][1]);
        printf("\n");
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_transport [--packets N] [--nss-space]\n"
            "  Packets per CPU-second of one core forwarding on loopback: raw recvmmsg+sendmmsg,\n"
            "  then receive + unprotect + parse + rewrite + protect + send for each SRTP suite,\n"
            "  as a ratio to raw; then rtpsec_protect cost against the number of live sessions.\n"
            "  --packets N  packets per path, split over %d rounds (default %d, at least %d)\n"
            "  --nss-space  for comparison: skip rtpsec_global_init and let libsrtp open NSS in\n"
            "               its own space-saving mode, as the server did before that fix\n"
            "  --help       this text\n",
            ROUNDS, DEFAULT_PACKETS, MIN_PACKETS);
}

int main(int argc, char **argv)
{
    size_t packets = DEFAULT_PACKETS;
    int nss_space = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--nss-space")) {
            nss_space = 1;
            continue;
        }
        if (!strcmp(argv[i], "--packets") && i + 1 < argc) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (errno || *end || argv[i][0] == '-' || v < MIN_PACKETS || v > 100000000ull) {
                fprintf(stderr, "bench_transport: --packets wants %d to 100000000\n", MIN_PACKETS);
                return 2;
            }
            packets = (size_t)v;
            continue;
        }
        usage(stderr);
        return 2;
    }
    int err = nss_space ? (srtp_init() == srtp_err_status_ok ? 0 : -EIO) : rtpsec_global_init();
    if (err)
        die("rtpsec_global_init", err);
    printf("NSS opened by %s\n\n",
           nss_space ? "libsrtp (space-saving mode, --nss-space)" : "rtpsec_global_init()");
    int failed = transport_table(packets);
    session_table(packets);
    rtpsec_global_deinit();
    if (failed)
        fprintf(stderr, "bench_transport: some packets were lost or mangled: figures invalid\n");
    return failed;
}
