/* impair: a two-way UDP relay on loopback that impairs what it relays, to stand for a bad
 * network between a test's client and the server (lossy.c only drops, one way).
 *
 *   impair [OPTIONS] LISTEN_PORT [127.0.0.1:]DEST_PORT
 *
 * "Up": datagrams arriving on 127.0.0.1:LISTEN_PORT (from the client) go to 127.0.0.1:DEST_PORT
 * (the server), sent from an ephemeral port of the relay's. "Down": what DEST sends back to that
 * port goes to the client's last address, from LISTEN_PORT. A receive-only client works too: a
 * server told to send to LISTEN_PORT is then the "client", and DEST the real receiver.
 *
 * Options (rates in percent, of the packets of the impaired directions):
 *   --drop PCT           drop at random
 *   --dup PCT            send twice (the copy right after the original)
 *   --reorder PCT        hold a packet back until DEPTH later packets of its direction have
 *   --reorder-depth N      been queued (default 1), or 200 ms have passed
 *   --delay MS           delay every packet by MS +- JITTER (uniform, per packet; not below 0):
 *   --jitter MS            packets whose delays differ by more than their spacing overtake
 *   --corrupt PCT        flip the bits of one random byte (never to the same value)
 *   --burst N/SECS[/K]   every SECS seconds from the start, drop the next N packets in a row
 *                          (K times at most, when given)
 *   --dir up|down|both   which directions are impaired (default both; the other is relayed as
 *                          it comes)
 *   --seed N             the random stream (default 1): the same seed and the same arrivals
 *                          give the same decisions, so a failure can be replayed
 *   --seconds S          run time (default 30); SIGTERM or SIGINT ends it early
 *
 * Every burst prints, when the first packet after it gets through, "burst K at_ms T packets N
 * gap_ms G ts_lost_first A ts_lost_last B ts_after C": G is the time between the last packet let
 * through before the burst and that one, i.e. the hole the receiver sees; A, B and C are the RTP
 * timestamps of the first and last packets lost and of that packet ("-" if not RTP), so that a
 * test knows which frames went missing. The first RTP packet of an impaired direction prints
 * "rtp_first ts T". At the end it prints one line of counters:
 *   stats in N out N down_in N down_out N dropped N burst_dropped N duplicated N
 *   reordered N corrupted N delayed N late N overflow N pending N send_errors N
 *   gap_max_ms G gap_at_ms T stalls K stall_ms S send_late_max_ms L
 * "in" and "out" count both directions, "down_in" and "down_out" the down direction's share.
 * "late" counts packets sent after a packet of their direction that arrived after them (the
 * reordering the receiver sees, from --reorder and from jitter alike); "overflow" counts packets
 * dropped because the queue was full; "pending" those still queued when the time was up (not
 * sent). G is the longest time between two arrivals in an impaired direction (at T ms from the
 * start), K the number of such gaps of 100 ms or more and S their total, L the latest a packet
 * left after its due time: stalls of the machine (a starved sender or relay; media comes every
 * 20-33 ms), which a test must not blame on the impairment it asked for. Only loopback addresses
 * are used; the queue and every loop are bounded. */
#ifndef _GNU_SOURCE /* the build defines it; ppoll times delays to the microsecond */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT_MAX     2048   /* datagram bytes kept; RTP on loopback stays far below */
#define QUEUE_MAX   4096   /* packets in flight: 100 ms of 1 Mbit/s video is about 15 */
#define HOLD_MAX    8      /* packets held back for reordering per direction */
#define HOLD_MAX_US 200000 /* a held packet goes out anyway after this (the stream stopped) */
/* Datagrams read per socket per wake-up, so that one side cannot starve the queue's deadlines. */
#define RX_PER_WAKE  256
#define IDLE_WAIT_US 50000 /* poll at least this often to see the time limit */
/* An arrival gap this long in an impaired direction is a stall: media comes every 20-33 ms. */
#define STALL_US 100000
#define DIR_UP   0
#define DIR_DOWN 1

struct config {
    double drop, dup, reorder, corrupt; /* percent */
    unsigned depth;                     /* reorder depth, packets */
    unsigned delay_ms, jitter_ms;
    unsigned burst_n, burst_max; /* burst_max 0: no limit */
    double burst_every_s;
    int impaired[2];
    uint64_t seed;
    double seconds;
    uint16_t listen_port, dest_port;
};

struct pkt {
    uint64_t due_us;
    uint64_t order;   /* queue order: ties on due_us go out first-in, first-out */
    uint64_t arrival; /* arrival index in its direction, for the "late" count */
    int dir;
    size_t len;
    uint8_t data[PKT_MAX];
};

struct hold {
    unsigned slot, left;
    uint64_t since_us;
};

struct stats {
    unsigned long in, out, down_in, down_out, dropped, burst_dropped, duplicated, reordered,
        corrupted, delayed, late, overflow, pending, send_errors;
    /* The machine, not the network: the longest silence between two arrivals in a direction
     * (a sender that stalled, or this relay starved of CPU) and the latest a packet left after
     * its due time. A test can tell a stall it did not ask for from the impairment it did. */
    uint64_t gap_max_us, gap_at_us, send_late_max_us, stall_us;
    unsigned long stalls;
};

struct relay {
    struct config cfg;
    int fd[2]; /* fd[DIR_UP] receives from the client; fd[DIR_DOWN] from DEST */
    struct sockaddr_in dest, client;
    int have_client;
    uint64_t rng;
    /* The delay queue: a binary min-heap of slot indices on (due_us, order). */
    struct pkt *slots;
    unsigned free_list[QUEUE_MAX], nfree;
    unsigned heap[QUEUE_MAX], nheap;
    uint64_t next_order;
    struct hold held[2][HOLD_MAX];
    unsigned nheld[2];
    uint64_t arrivals[2], max_sent_arrival[2], last_arrival_us[2];
    int sent_any[2];
    /* Bursts: armed when their time comes; they swallow the next burst_n impaired packets. */
    uint64_t start_us, next_burst_us, last_pass_us, burst_start_us;
    unsigned burst_left, burst_count, burst_taken;
    int in_burst, rtp_seen, lost_rtp;
    uint32_t lost_ts_first, lost_ts_last;
    struct stats st;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* splitmix64: our own generator, so a seed replays the same way whatever the libc. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 100). */
static double rng_pct(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (100.0 / 9007199254740992.0);
}

/* ---- the delay queue ---- */

static int pkt_before(const struct relay *r, unsigned a, unsigned b)
{
    const struct pkt *x = &r->slots[a], *y = &r->slots[b];
    return x->due_us != y->due_us ? x->due_us < y->due_us : x->order < y->order;
}

static void heap_push(struct relay *r, unsigned slot)
{
    unsigned i = r->nheap++;
    r->heap[i] = slot;
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (!pkt_before(r, r->heap[i], r->heap[parent]))
            break;
        unsigned t = r->heap[i];
        r->heap[i] = r->heap[parent];
        r->heap[parent] = t;
        i = parent;
    }
}

static unsigned heap_pop(struct relay *r)
{
    unsigned top = r->heap[0], i = 0;
    r->heap[0] = r->heap[--r->nheap];
    for (;;) {
        unsigned l = 2 * i + 1, m = i;
        if (l < r->nheap && pkt_before(r, r->heap[l], r->heap[m]))
            m = l;
        if (l + 1 < r->nheap && pkt_before(r, r->heap[l + 1], r->heap[m]))
            m = l + 1;
        if (m == i)
            break;
        unsigned t = r->heap[i];
        r->heap[i] = r->heap[m];
        r->heap[m] = t;
        i = m;
    }
    return top;
}

/* A free slot holding a copy of the datagram, or -1 when the queue is full. */
static int slot_take(struct relay *r, int dir, const uint8_t *data, size_t len, uint64_t arrival)
{
    if (!r->nfree) {
        r->st.overflow++;
        return -1;
    }
    unsigned s = r->free_list[--r->nfree];
    struct pkt *p = &r->slots[s];
    p->dir = dir;
    p->len = len;
    p->arrival = arrival;
    memcpy(p->data, data, len);
    return (int)s;
}

static void enqueue(struct relay *r, unsigned slot, uint64_t due_us)
{
    r->slots[slot].due_us = due_us;
    r->slots[slot].order = r->next_order++;
    heap_push(r, slot);
}

static void send_pkt(struct relay *r, unsigned slot, uint64_t now)
{
    struct pkt *p = &r->slots[slot];
    if (now > p->due_us && now - p->due_us > r->st.send_late_max_us)
        r->st.send_late_max_us = now - p->due_us;
    const struct sockaddr_in *to = p->dir == DIR_UP ? &r->dest : &r->client;
    /* Down goes out of the listen socket, so the client sees replies from where it sent. */
    int fd = p->dir == DIR_UP ? r->fd[DIR_DOWN] : r->fd[DIR_UP];
    if (sendto(fd, p->data, p->len, 0, (const struct sockaddr *)to, sizeof(*to)) < 0) {
        r->st.send_errors++;
    } else {
        r->st.out++;
        r->st.down_out += p->dir == DIR_DOWN;
        if (r->sent_any[p->dir] && p->arrival < r->max_sent_arrival[p->dir])
            r->st.late++;
        if (!r->sent_any[p->dir] || p->arrival > r->max_sent_arrival[p->dir])
            r->max_sent_arrival[p->dir] = p->arrival;
        r->sent_any[p->dir] = 1;
    }
    r->free_list[r->nfree++] = slot;
}

/* Send what is due; at most what is queued now, so the loop is bounded. */
static void flush_due(struct relay *r, uint64_t now)
{
    for (unsigned n = r->nheap; n > 0 && r->nheap && r->slots[r->heap[0]].due_us <= now; n--)
        send_pkt(r, heap_pop(r), now);
}

/* ---- reordering: held packets go out after DEPTH later ones ---- */

static void hold(struct relay *r, int dir, unsigned slot, uint64_t now)
{
    r->held[dir][r->nheld[dir]++] = (struct hold){slot, r->cfg.depth, now};
    r->st.reordered++;
}

static void release(struct relay *r, int dir, unsigned i, uint64_t due_us)
{
    struct hold *h = &r->held[dir][i];
    uint64_t own = r->slots[h->slot].due_us;
    enqueue(r, h->slot, own > due_us ? own : due_us);
    r->held[dir][i] = r->held[dir][--r->nheld[dir]];
}

/* A later packet (due at due_us) was queued in dir: count it against the held ones. */
static void held_count(struct relay *r, int dir, uint64_t due_us)
{
    for (unsigned i = r->nheld[dir]; i-- > 0;) {
        if (--r->held[dir][i].left == 0)
            release(r, dir, i, due_us);
    }
}

static void held_expire(struct relay *r, uint64_t now)
{
    for (int d = 0; d < 2; d++)
        for (unsigned i = r->nheld[d]; i-- > 0;)
            if (now - r->held[d][i].since_us >= HOLD_MAX_US)
                release(r, d, i, now);
}

/* ---- one arriving datagram ---- */

/* The RTP timestamp of a datagram that looks like RTP (version 2, and not an RTCP packet type
 * per RFC 5761); SRTP leaves the header in the clear. 0 when it is not RTP. */
static int rtp_ts(const uint8_t *p, size_t len, uint32_t *ts)
{
    if (len < 12 || p[0] >> 6 != 2 || ((p[1] & 0x7f) >= 64 && (p[1] & 0x7f) <= 95))
        return 0;
    *ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    return 1;
}

static void print_ts(const char *name, int have, uint32_t ts)
{
    if (have)
        printf(" %s %lu", name, (unsigned long)ts);
    else
        printf(" %s -", name);
}

/* Bursts: is this packet swallowed by one? Also reports a burst once it is over, with the RTP
 * timestamps of the first and last packets it took and of the one that ended it, so a test can
 * tell which frames were lost (a video sender's timestamps count frames). */
static int burst_takes(struct relay *r, const uint8_t *data, size_t len, uint64_t now)
{
    const struct config *c = &r->cfg;
    uint32_t ts = 0;
    int is_rtp = rtp_ts(data, len, &ts);
    if (is_rtp && !r->rtp_seen) {
        r->rtp_seen = 1;
        printf("rtp_first ts %lu\n", (unsigned long)ts);
    }
    if (c->burst_n && now >= r->next_burst_us && !r->burst_left &&
        (!c->burst_max || r->burst_count < c->burst_max)) {
        r->burst_left = c->burst_n;
        r->burst_count++;
        r->burst_taken = 0;
        r->lost_rtp = 0;
        /* Catch up without a loop over every missed period: one burst per arming. */
        uint64_t every = (uint64_t)(c->burst_every_s * 1e6);
        r->next_burst_us += every * ((now - r->next_burst_us) / every + 1);
    }
    if (r->burst_left) {
        if (!r->in_burst) {
            r->burst_start_us = now;
            if (!r->last_pass_us) /* nothing got through before: the hole starts here */
                r->last_pass_us = now;
        }
        if (is_rtp) {
            if (!r->lost_rtp)
                r->lost_ts_first = ts;
            r->lost_ts_last = ts;
            r->lost_rtp = 1;
        }
        r->in_burst = 1;
        r->burst_left--;
        r->burst_taken++;
        r->st.burst_dropped++;
        return 1;
    }
    if (r->in_burst) {
        r->in_burst = 0;
        printf("burst %u at_ms %llu packets %u gap_ms %llu", r->burst_count,
               (unsigned long long)((r->burst_start_us - r->start_us) / 1000), r->burst_taken,
               (unsigned long long)((now - r->last_pass_us) / 1000));
        print_ts("ts_lost_first", r->lost_rtp, r->lost_ts_first);
        print_ts("ts_lost_last", r->lost_rtp, r->lost_ts_last);
        print_ts("ts_after", is_rtp, ts);
        printf("\n");
    }
    fflush(stdout);
    r->last_pass_us = now;
    return 0;
}

static void on_datagram(struct relay *r, int dir, uint8_t *data, size_t len, uint64_t now)
{
    const struct config *c = &r->cfg;
    uint64_t arrival = r->arrivals[dir]++;
    r->st.in++;
    r->st.down_in += dir == DIR_DOWN;
    if (arrival && c->impaired[dir]) {
        uint64_t gap = now - r->last_arrival_us[dir];
        if (gap > r->st.gap_max_us) {
            r->st.gap_max_us = gap;
            r->st.gap_at_us = r->last_arrival_us[dir] - r->start_us;
        }
        if (gap >= STALL_US) {
            r->st.stalls++;
            r->st.stall_us += gap;
        }
    }
    r->last_arrival_us[dir] = now;
    if (!c->impaired[dir]) {
        int s = slot_take(r, dir, data, len, arrival);
        if (s >= 0)
            enqueue(r, (unsigned)s, now);
        return;
    }
    /* Every decision is drawn for every packet, used or not, so that changing one rate does
     * not shift the random stream of the others. */
    double p_drop = rng_pct(&r->rng), p_corrupt = rng_pct(&r->rng), p_dup = rng_pct(&r->rng),
           p_reorder = rng_pct(&r->rng);
    uint64_t flip = rng_next(&r->rng), jit = rng_next(&r->rng);
    if (burst_takes(r, data, len, now))
        return;
    if (p_drop < c->drop) {
        r->st.dropped++;
        return;
    }
    if (p_corrupt < c->corrupt && len > 0) {
        /* XOR with 1..255: the byte always changes. */
        data[(flip >> 8) % len] ^= (uint8_t)(1 + (flip & 0xff) % 255);
        r->st.corrupted++;
    }
    int64_t delay = (int64_t)c->delay_ms * 1000;
    if (c->jitter_ms)
        delay += (int64_t)(jit % (2u * c->jitter_ms * 1000u + 1)) - (int64_t)c->jitter_ms * 1000;
    uint64_t due = now + (uint64_t)(delay > 0 ? delay : 0);
    if (delay > 0)
        r->st.delayed++;
    int s = slot_take(r, dir, data, len, arrival);
    if (s < 0)
        return;
    if (p_reorder < c->reorder && r->nheld[dir] < HOLD_MAX) {
        r->slots[s].due_us = due; /* kept: a held packet is never sent before its own time */
        hold(r, dir, (unsigned)s, now);
    } else {
        enqueue(r, (unsigned)s, due);
        held_count(r, dir, due); /* after: a released packet goes out after this one */
    }
    if (p_dup < c->dup) {
        int d = slot_take(r, dir, data, len, arrival);
        if (d >= 0) {
            enqueue(r, (unsigned)d, due);
            r->st.duplicated++;
        }
    }
}

/* Read what waits on one socket, at most RX_PER_WAKE datagrams. */
static void drain(struct relay *r, int dir)
{
    uint8_t buf[PKT_MAX];
    for (unsigned k = 0; k < RX_PER_WAKE; k++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n =
            recvfrom(r->fd[dir], buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        if (dir == DIR_UP) {
            r->client = from;
            r->have_client = 1;
        } else if (from.sin_addr.s_addr != r->dest.sin_addr.s_addr ||
                   from.sin_port != r->dest.sin_port) {
            continue; /* only DEST may answer through the relay */
        } else if (!r->have_client) {
            continue; /* nobody to send it to yet */
        }
        on_datagram(r, dir, buf, (size_t)n, now_us());
    }
}

/* ---- set-up ---- */

static int open_socket(uint16_t port, int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (*fd < 0)
        return -errno;
    /* Room for a burst of video at once: the default buffer would drop it in the kernel. */
    int sz = 1 << 20;
    setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    if (bind(*fd, (const struct sockaddr *)&a, sizeof(a)) < 0) {
        int err = -errno;
        close(*fd);
        return err;
    }
    return 0;
}

static int parse_num(const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno || end == s || *end || !(*v >= lo && *v <= hi) ? -1 : 0;
}

static int parse_burst(const char *s, struct config *c)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    if (errno || end == s || *end != '/' || n < 1 || n > 100000)
        return -1;
    /* SECS, then an optional /COUNT: parse SECS from a copy cut at the second slash. */
    char secs[32];
    const char *slash = strchr(end + 1, '/');
    size_t len = slash ? (size_t)(slash - end - 1) : strlen(end + 1);
    double every, count = 0;
    if (len >= sizeof(secs))
        return -1;
    memcpy(secs, end + 1, len);
    secs[len] = '\0';
    if (parse_num(secs, 0.01, 3600, &every) ||
        (slash && (parse_num(slash + 1, 1, 1e6, &count) || count != (double)(unsigned)count)))
        return -1;
    c->burst_n = (unsigned)n;
    c->burst_every_s = every;
    c->burst_max = (unsigned)count;
    return 0;
}

static int parse_option(struct config *c, const char *name, const char *val)
{
    double v;
    if (!strcmp(name, "--burst"))
        return parse_burst(val, c);
    if (!strcmp(name, "--dir")) {
        int up = !strcmp(val, "up") || !strcmp(val, "both");
        int down = !strcmp(val, "down") || !strcmp(val, "both");
        c->impaired[DIR_UP] = up;
        c->impaired[DIR_DOWN] = down;
        return up || down ? 0 : -1;
    }
    if (!strcmp(name, "--drop"))
        return parse_num(val, 0, 100, &c->drop);
    if (!strcmp(name, "--dup"))
        return parse_num(val, 0, 100, &c->dup);
    if (!strcmp(name, "--reorder"))
        return parse_num(val, 0, 100, &c->reorder);
    if (!strcmp(name, "--corrupt"))
        return parse_num(val, 0, 100, &c->corrupt);
    if (!strcmp(name, "--seconds"))
        return parse_num(val, 0.1, 86400, &c->seconds);
    if (parse_num(val, 0, 1e9, &v) || v != (double)(uint64_t)v)
        return -1; /* the rest are whole numbers */
    if (!strcmp(name, "--reorder-depth") && v >= 1 && v <= 64)
        c->depth = (unsigned)v;
    else if (!strcmp(name, "--delay") && v <= 10000)
        c->delay_ms = (unsigned)v;
    else if (!strcmp(name, "--jitter") && v <= 10000)
        c->jitter_ms = (unsigned)v;
    else if (!strcmp(name, "--seed"))
        c->seed = (uint64_t)v;
    else
        return -1;
    return 0;
}

static int parse_args(int argc, char **argv, struct config *c)
{
    *c = (struct config){.depth = 1, .impaired = {1, 1}, .seed = 1, .seconds = 30};
    int a = 1;
    for (; a + 1 < argc && !strncmp(argv[a], "--", 2); a += 2) {
        if (parse_option(c, argv[a], argv[a + 1])) {
            fprintf(stderr, "impair: bad option %s %s\n", argv[a], argv[a + 1]);
            return -1;
        }
    }
    /* DEST may be given as 127.0.0.1:PORT, as lossy takes it; any other host is refused. */
    const char *dest = argv[a + 1 < argc ? a + 1 : a];
    if (!strncmp(dest, "127.0.0.1:", 10))
        dest += 10;
    double lp, dp;
    if (argc - a != 2 || parse_num(argv[a], 1, 65535, &lp) || parse_num(dest, 1, 65535, &dp))
        return -1;
    c->listen_port = (uint16_t)lp;
    c->dest_port = (uint16_t)dp;
    return 0;
}

static void print_stats(const struct relay *r)
{
    const struct stats *s = &r->st;
    printf("stats in %lu out %lu down_in %lu down_out %lu dropped %lu burst_dropped %lu "
           "duplicated %lu reordered %lu corrupted %lu delayed %lu late %lu overflow %lu "
           "pending %lu send_errors %lu gap_max_ms %llu gap_at_ms %llu stalls %lu stall_ms %llu "
           "send_late_max_ms %llu\n",
           s->in, s->out, s->down_in, s->down_out, s->dropped, s->burst_dropped, s->duplicated,
           s->reordered, s->corrupted, s->delayed, s->late, s->overflow, s->pending, s->send_errors,
           (unsigned long long)(s->gap_max_us / 1000), (unsigned long long)(s->gap_at_us / 1000),
           s->stalls, (unsigned long long)(s->stall_us / 1000),
           (unsigned long long)(s->send_late_max_us / 1000));
    fflush(stdout);
}

/* The poll timeout: until the next due packet or held-packet expiry, at most IDLE_WAIT_US. */
static uint64_t wait_us(const struct relay *r, uint64_t now, uint64_t end)
{
    uint64_t t = end > now ? end - now : 0;
    if (t > IDLE_WAIT_US)
        t = IDLE_WAIT_US;
    if (r->nheap) {
        uint64_t due = r->slots[r->heap[0]].due_us;
        uint64_t d = due > now ? due - now : 0;
        t = d < t ? d : t;
    }
    for (int d = 0; d < 2; d++)
        for (unsigned i = 0; i < r->nheld[d]; i++) {
            uint64_t exp = r->held[d][i].since_us + HOLD_MAX_US;
            uint64_t w = exp > now ? exp - now : 0;
            t = w < t ? w : t;
        }
    return t;
}

static void run(struct relay *r)
{
    uint64_t end = r->start_us + (uint64_t)(r->cfg.seconds * 1e6);
    for (uint64_t now = now_us(); now < end && !stop_requested; now = now_us()) {
        uint64_t w = wait_us(r, now, end);
        struct timespec ts = {(time_t)(w / 1000000u), (long)(w % 1000000u) * 1000};
        struct pollfd p[2] = {{r->fd[0], POLLIN, 0}, {r->fd[1], POLLIN, 0}};
        int n = ppoll(p, 2, &ts, NULL);
        if (n < 0 && errno != EINTR)
            break;
        for (int d = 0; n > 0 && d < 2; d++)
            if (p[d].revents & POLLIN)
                drain(r, d);
        now = now_us();
        held_expire(r, now);
        flush_due(r, now);
    }
    r->st.pending = r->nheap + r->nheld[0] + r->nheld[1];
}

int main(int argc, char **argv)
{
    static struct relay r; /* large (the queue's slots are allocated apart): not on the stack */
    if (parse_args(argc, argv, &r.cfg)) {
        fprintf(stderr, "usage: impair [--drop PCT] [--dup PCT] [--reorder PCT] [--reorder-depth N]"
                        " [--delay MS] [--jitter MS] [--corrupt PCT] [--burst N/SECS[/K]]"
                        " [--dir up|down|both] [--seed N] [--seconds S] LISTEN_PORT DEST_PORT\n");
        return 2;
    }
    r.slots = malloc(QUEUE_MAX * sizeof(*r.slots));
    if (!r.slots)
        return 1;
    for (unsigned i = 0; i < QUEUE_MAX; i++)
        r.free_list[i] = QUEUE_MAX - 1 - i;
    r.nfree = QUEUE_MAX;
    r.rng = r.cfg.seed;
    r.dest = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(r.cfg.dest_port)};
    r.dest.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int err = open_socket(r.cfg.listen_port, &r.fd[DIR_UP]);
    if (!err)
        err = open_socket(0, &r.fd[DIR_DOWN]);
    if (err) {
        fprintf(stderr, "impair: bind: %s\n", strerror(-err));
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    r.start_us = now_us();
    r.next_burst_us = r.start_us + (uint64_t)(r.cfg.burst_every_s * 1e6);
    run(&r);
    print_stats(&r);
    close(r.fd[0]);
    close(r.fd[1]);
    free(r.slots);
    return 0;
}
