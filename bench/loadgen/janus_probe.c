/* janus_probe: checks that a running Janus AudioBridge mixes plain-RTP participants the way the
 * load generator expects, through the generator's own Janus backend (backend_janus.c).
 *
 *   janus_probe [-t SECONDS] [-p JANUS_PID] URL        e.g. URL = http://127.0.0.1:8188/janus
 *
 * Starts nothing: makes one room, joins 3 participants on UDP sockets on 127.0.0.1, sends each
 * one's tone (440, 660, 880 Hz, Opus, 20 ms frames paced on the monotonic clock) as plain RTP,
 * receives and decodes what Janus sends each of them, and checks with the Goertzel algorithm that
 * every participant hears the other two tones and not its own. With -p, also reports Janus's CPU
 * (user + system from /proc/PID/stat) and thread count over the sending window. Prints what it
 * measured; exits 0 when every check passes, 1 when one fails, 2 on a usage or setup error. */
#include "backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <opus/opus.h>

#define NPART       3
#define RATE        48000
#define FRAME       960 /* 20 ms at 48 kHz */
#define TICK_NS     20000000L
#define TONE_AMP    0.25 /* -12 dBFS per tone */
#define SKIP_S      0.5  /* start-up (Janus's pre-buffering, decoders) left out of the analysis */
#define BLOCK       4800 /* 100 ms: 440, 660 and 880 Hz fall on exact 10 Hz bins */
#define DRAIN_MS    500  /* keep receiving this long after the last packet sent */
#define MAX_SECONDS 600
#define HEAR_MIN_DB (-24.0) /* another's tone must arrive at least this loud (sent at -12 dBFS) */
#define OWN_MAX_DB  (-40.0) /* one's own tone must be at most this loud ... */
#define OWN_GAP_DB  20.0    /* ... and this far under the quieter of the other two */

static const double tone_hz[NPART] = {440.0, 660.0, 880.0};

struct part {
    struct lg_participant lg;
    OpusEncoder *enc;
    OpusDecoder *dec;
    uint16_t seq;
    uint32_t ts, ssrc;
    int16_t *pcm; /* decoded audio received */
    size_t pcm_len, pcm_cap;
    unsigned rx_packets, rx_bad, decode_errors;
    struct sockaddr_in rx_from;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int open_socket(struct part *pt)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    pt->lg.fd = fd;
    pt->lg.local_port = ntohs(a.sin_port);
    return 0;
}

/* Encodes frame number `n` of the participant's tone and sends it as one RTP packet. */
static int send_frame(struct part *pt, double hz, unsigned n)
{
    int16_t pcm[FRAME];
    for (unsigned i = 0; i < FRAME; i++) {
        double t = (double)(n * FRAME + i) / RATE;
        pcm[i] = (int16_t)lrint(TONE_AMP * 32767.0 * sin(2.0 * M_PI * hz * t));
    }
    uint8_t pkt[12 + 1500];
    opus_int32 len = opus_encode(pt->enc, pcm, FRAME, pkt + 12, (opus_int32)(sizeof(pkt) - 12));
    if (len < 0)
        return -1;
    pkt[0] = 0x80;
    pkt[1] = (uint8_t)((n == 0 ? 0x80 : 0) | (pt->lg.pt & 0x7f));
    put_be16(pkt + 2, pt->seq++);
    put_be32(pkt + 4, pt->ts);
    put_be32(pkt + 8, pt->ssrc);
    pt->ts += FRAME;
    ssize_t sent = sendto(pt->lg.fd, pkt, 12 + (size_t)len, 0, (struct sockaddr *)&pt->lg.server,
                          sizeof(pt->lg.server));
    return sent == 12 + len ? 0 : -1;
}

/* Reads every datagram waiting on the participant's socket, decodes the Opus in it and appends
 * the audio. */
static void receive_all(struct part *pt)
{
    uint8_t buf[2048];
    int16_t pcm[5760]; /* 120 ms, Opus's largest frame */
    for (;;) {
        struct sockaddr_in from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(pt->lg.fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
        if (n < 0)
            return;
        if (n < 12 || (buf[0] >> 6) != 2 || (buf[1] & 0x7f) != pt->lg.pt) {
            pt->rx_bad++;
            continue;
        }
        size_t off = 12 + 4u * (buf[0] & 0x0f);
        if ((buf[0] & 0x10) && off + 4 <= (size_t)n)
            off += 4 + 4u * (((size_t)buf[off + 2] << 8) | buf[off + 3]);
        size_t end = (size_t)n;
        if ((buf[0] & 0x20) && end > off && buf[end - 1] <= end - off)
            end -= buf[end - 1];
        if (off >= end) {
            pt->rx_bad++;
            continue;
        }
        pt->rx_packets++;
        pt->rx_from = from;
        int samples = opus_decode(pt->dec, buf + off, (opus_int32)(end - off), pcm, 5760, 0);
        if (samples < 0) {
            pt->decode_errors++;
            continue;
        }
        if (pt->pcm_len + (size_t)samples > pt->pcm_cap)
            continue; /* more than expected: the analysis has enough */
        memcpy(pt->pcm + pt->pcm_len, pcm, (size_t)samples * sizeof(int16_t));
        pt->pcm_len += (size_t)samples;
    }
}

/* Amplitude (of a sine, relative to full scale) at `hz` in x[0..n), averaged in power over
 * BLOCK-sized blocks with the Goertzel algorithm. */
static double tone_amplitude(const int16_t *x, size_t n, double hz)
{
    double coeff = 2.0 * cos(2.0 * M_PI * hz / RATE), sum = 0.0;
    size_t blocks = 0;
    for (size_t b = 0; b + BLOCK <= n; b += BLOCK, blocks++) {
        double s1 = 0.0, s2 = 0.0;
        for (size_t i = 0; i < BLOCK; i++) {
            double s0 = x[b + i] / 32768.0 + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        double power = s1 * s1 + s2 * s2 - coeff * s1 * s2; /* |X(k)|^2 */
        double amp = 2.0 * sqrt(power > 0 ? power : 0) / BLOCK;
        sum += amp * amp;
    }
    return blocks ? sqrt(sum / (double)blocks) : 0.0;
}

static double db(double amp)
{
    return amp > 1e-9 ? 20.0 * log10(amp) : -180.0;
}

/* utime + stime of a process in seconds, or -1. */
static double proc_cpu_s(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *ok = fgets(line, sizeof(line), f);
    fclose(f);
    const char *p = ok ? strrchr(line, ')') : NULL; /* the command name may hold spaces */
    unsigned long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int proc_threads(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: janus_probe [-t SECONDS] [-p JANUS_PID] URL\n"
            "  e.g. janus_probe -p \"$JANUS_PID\" \"$JANUS_URL\" (see bench/janus/start.sh)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double seconds = 3.0;
    long pid = 0;
    int opt;
    while ((opt = getopt(argc, argv, "t:p:h")) != -1) {
        char *end;
        switch (opt) {
        case 't':
            seconds = strtod(optarg, &end);
            if (*end || !(seconds >= 1.0 && seconds <= MAX_SECONDS))
                usage();
            break;
        case 'p':
            pid = strtol(optarg, &end, 10);
            if (*end || pid <= 0)
                usage();
            break;
        default:
            usage();
        }
    }
    if (optind + 1 != argc)
        usage();
    const char *url = argv[optind];
    const struct lg_backend_ops *be = &lg_backend_janus;

    struct part parts[NPART];
    memset(parts, 0, sizeof(parts));
    unsigned frames = (unsigned)lrint(seconds * 1000.0 / 20.0);
    int status = 2;
    void *ctx = NULL;
    unsigned joined = 0;
    for (unsigned i = 0; i < NPART; i++) {
        struct part *pt = &parts[i];
        pt->lg.fd = -1;
        int err = 0;
        pt->enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_AUDIO, &err);
        pt->dec = err == OPUS_OK ? opus_decoder_create(RATE, 1, &err) : NULL;
        pt->pcm_cap = (size_t)(seconds + 2.0) * RATE;
        pt->pcm = malloc(pt->pcm_cap * sizeof(int16_t));
        pt->ssrc = 0x10000000u + 0x1111u * (i + 1);
        pt->seq = (uint16_t)(1000 * (i + 1));
        if (!pt->enc || !pt->dec || !pt->pcm || open_socket(pt) != 0) {
            fprintf(stderr, "janus_probe: setup failed: %s\n", strerror(errno));
            goto out;
        }
    }
    double t0 = mono_s();
    if (be->open(&ctx, url, NULL, 1, NPART, NULL) != 0) {
        fprintf(stderr, "janus_probe: could not open the Janus backend at %s\n", url);
        goto out;
    }
    printf("room made in %.1f ms\n", (mono_s() - t0) * 1e3);
    for (; joined < NPART; joined++) {
        struct part *pt = &parts[joined];
        t0 = mono_s();
        if (be->join(ctx, 0, joined, &pt->lg) != 0) {
            fprintf(stderr, "janus_probe: join %u failed\n", joined);
            goto out;
        }
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &pt->lg.server.sin_addr, ip, sizeof(ip));
        printf("participant %u (%.0f Hz): local 127.0.0.1:%u -> Janus %s:%u, pt %u, id %s, "
               "join %.1f ms\n",
               joined, tone_hz[joined], pt->lg.local_port, ip, ntohs(pt->lg.server.sin_port),
               pt->lg.pt, pt->lg.id, (mono_s() - t0) * 1e3);
    }

    /* Send and receive on a 20 ms schedule. */
    double cpu0 = pid ? proc_cpu_s(pid) : -1;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    double start = mono_s(), send_end = start;
    unsigned send_errors = 0, late = 0;
    struct pollfd pfd[NPART];
    for (unsigned i = 0; i < NPART; i++)
        pfd[i] = (struct pollfd){.fd = parts[i].lg.fd, .events = POLLIN};
    unsigned total_ticks = frames + DRAIN_MS / 20;
    int threads = -1;
    for (unsigned tick = 0; tick < total_ticks; tick++) {
        if (tick < frames) {
            for (unsigned i = 0; i < NPART; i++)
                send_errors += send_frame(&parts[i], tone_hz[i], tick) != 0;
            if (tick + 1 == frames) {
                send_end = mono_s();
                if (pid)
                    threads = proc_threads(pid);
            }
        }
        next.tv_nsec += TICK_NS;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        for (;;) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms =
                (long)(next.tv_sec - now.tv_sec) * 1000 + (next.tv_nsec - now.tv_nsec) / 1000000;
            if (ms <= 0) {
                late += ms < -5;
                break;
            }
            if (poll(pfd, NPART, (int)ms) > 0)
                for (unsigned i = 0; i < NPART; i++)
                    if (pfd[i].revents & POLLIN)
                        receive_all(&parts[i]);
        }
    }
    double cpu1 = pid ? proc_cpu_s(pid) : -1;
    double wall = mono_s() - start;
    for (unsigned i = 0; i < NPART; i++)
        receive_all(&parts[i]);

    printf("sent %u frames per participant over %.2f s (%u send errors, %u late ticks)\n", frames,
           send_end - start, send_errors, late);
    if (pid && cpu0 >= 0 && cpu1 >= 0)
        printf("janus pid %ld: %.1f%% of one core over %.2f s (user+system), %d threads\n", pid,
               100.0 * (cpu1 - cpu0) / wall, wall, threads);

    /* Each participant must hear the two others and not itself. */
    int fail = send_errors > 0;
    size_t skip = (size_t)(SKIP_S * RATE);
    for (unsigned i = 0; i < NPART; i++) {
        struct part *pt = &parts[i];
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &pt->rx_from.sin_addr, ip, sizeof(ip));
        double secs = (double)pt->pcm_len / RATE;
        printf("participant %u: %u packets (%.1f/s over %.2f s) from %s:%u, %u not RTP "
               "opus, %u decode errors, %.2f s of audio\n",
               i, pt->rx_packets, pt->rx_packets / wall, wall, ip, ntohs(pt->rx_from.sin_port),
               pt->rx_bad, pt->decode_errors, secs);
        if (pt->rx_packets < frames * 8 / 10 || pt->decode_errors ||
            pt->rx_from.sin_port != pt->lg.server.sin_port) {
            printf("  FAIL: too few packets, decode errors, or packets from another port than "
                   "Janus's\n");
            fail = 1;
        }
        size_t n = pt->pcm_len > skip ? pt->pcm_len - skip : 0;
        double amp[NPART], weakest_other = 1e9;
        for (unsigned k = 0; k < NPART; k++) {
            amp[k] = tone_amplitude(pt->pcm + skip, n, tone_hz[k]);
            if (k != i && db(amp[k]) < weakest_other)
                weakest_other = db(amp[k]);
        }
        printf("  hears 440 Hz %6.1f dBFS, 660 Hz %6.1f dBFS, 880 Hz %6.1f dBFS (own: %.0f Hz)\n",
               db(amp[0]), db(amp[1]), db(amp[2]), tone_hz[i]);
        if (n < BLOCK) {
            printf("  FAIL: no audio to analyse\n");
            fail = 1;
        } else if (weakest_other < HEAR_MIN_DB) {
            printf("  FAIL: another participant's tone under %.0f dBFS\n", HEAR_MIN_DB);
            fail = 1;
        } else if (db(amp[i]) > OWN_MAX_DB || db(amp[i]) > weakest_other - OWN_GAP_DB) {
            printf("  FAIL: hears its own tone\n");
            fail = 1;
        } else {
            printf("  ok: hears the two others, own tone %.1f dB under the quieter one\n",
                   weakest_other - db(amp[i]));
        }
    }
    status = fail ? 1 : 0;
    printf("%s\n", fail ? "FAIL" : "PASS");

out:
    for (unsigned i = 0; i < joined; i++)
        be->leave(ctx, 0, &parts[i].lg);
    if (ctx)
        be->close(ctx);
    for (unsigned i = 0; i < NPART; i++) {
        if (parts[i].lg.fd >= 0)
            close(parts[i].lg.fd);
        if (parts[i].enc)
            opus_encoder_destroy(parts[i].enc);
        if (parts[i].dec)
            opus_decoder_destroy(parts[i].dec);
        free(parts[i].pcm);
    }
    return status;
}
