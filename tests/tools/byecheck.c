/* byecheck: a participant that waits for the server's RTCP BYE, for tests of leaving, kicking
 * and shutdown.
 *
 *   byecheck PORT HOST:PORT SUITE SEND_KEY_B64 RECV_KEY_B64 SECONDS
 *
 * Binds 127.0.0.1:PORT and PORT+1 (join with "recv": "127.0.0.1:PORT": without rtcp_mux the
 * server sends RTCP to PORT+1, with it to PORT), sends 50 SRTP packets a second to HOST:PORT
 * from PORT, and receives on both. Stops at the first authenticated RTCP BYE, or after
 * SECONDS. Prints one line:
 *
 *   rtp N secs S gap_max_ms G gap_at_s T rtcp R bad B bye 0|1 bye_ssrc X ssrc Y
 *
 * N RTP packets that decrypted, S seconds from the first of them to the end, G the largest gap
 * between two of them, T when that gap ended (seconds after the first), R RTCP compounds that
 * decrypted, B packets that did not, X the SSRC the
 * BYE named and Y the SSRC of the RTP received (so a test can tell the BYE is for this stream).
 * Exit status: 0 BYE received, 1 none within SECONDS, 2 bad arguments or set-up. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "clock.h"
#include "demux.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtpsec.h"
#include "udp.h"

struct rx_state {
    struct rtpsec *rx;
    unsigned rtp, rtcp, bad;
    uint64_t first_us, last_us, gap_max_us, gap_at_us;
    uint32_t ssrc, bye_ssrc;
    int bye;
};

static int key_arg(const char *b64, enum rtpsec_suite suite, uint8_t *key)
{
    int n = base64_decode(key, RTPSEC_MAX_KEY, b64, strlen(b64));
    return n == (int)rtpsec_key_len(suite) ? 0 : -EINVAL;
}

static void on_rtp(struct rx_state *st, const uint8_t *buf, size_t len)
{
    struct rtp_hdr h;
    if (rtp_parse(&h, buf, len)) {
        st->bad++;
        return;
    }
    uint64_t now = clock_now_us();
    if (st->rtp++ == 0)
        st->first_us = now;
    else if (now - st->last_us > st->gap_max_us) {
        st->gap_max_us = now - st->last_us;
        st->gap_at_us = now - st->first_us;
    }
    st->last_us = now;
    st->ssrc = h.ssrc;
}

static void on_rtcp(struct rx_state *st, const uint8_t *buf, size_t len)
{
    struct rtcp_iter it;
    struct rtcp_pkt pkt;
    st->rtcp++;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_next(&it, &pkt) == 1) {
        if (pkt.type == RTCP_BYE && pkt.u.bye.nssrc > 0) {
            st->bye = 1;
            st->bye_ssrc = pkt.u.bye.ssrc[0];
        }
    }
}

static void drain(int fd, struct rx_state *st)
{
    uint8_t buf[UDP_BUF];
    ssize_t n;
    while (!st->bye && (n = recv(fd, buf, UDP_MTU, MSG_DONTWAIT)) > 0) {
        size_t len = (size_t)n;
        enum demux_kind k = demux_classify(buf, len);
        /* Only what authenticates counts: a BYE anyone could forge would prove nothing. */
        if (k == DEMUX_RTCP && !rtpsec_unprotect_rtcp(st->rx, buf, &len))
            on_rtcp(st, buf, len);
        else if (k == DEMUX_RTP && !rtpsec_unprotect(st->rx, buf, &len))
            on_rtp(st, buf, len);
        else
            st->bad++;
    }
}

static int open_pair(unsigned port, int *fds)
{
    struct udp_addr a;
    for (int i = 0; i < 2; i++) {
        if (udp_addr_from_ip(&a, "127.0.0.1", (uint16_t)(port + (unsigned)i)) ||
            udp_open(&a, &fds[i]))
            return -EADDRINUSE;
    }
    return 0;
}

/* One 20 ms Opus packet: a TOC byte (CELT, fullband, 20 ms, one frame) and no frame data,
 * which decoders take as a frame to conceal: silence that costs the server little. */
static int send_one(int fd, const struct udp_addr *dst, struct rtpsec *tx, uint16_t seq,
                    uint32_t ssrc)
{
    uint8_t pkt[RTP_HDR_MIN + 1 + RTPSEC_MAX_TRAILER];
    rtp_write_header(pkt, 0, 111, seq, 960u * seq, ssrc);
    pkt[RTP_HDR_MIN] = 0xf8;
    size_t len = RTP_HDR_MIN + 1;
    if (rtpsec_protect(tx, pkt, &len))
        return -EIO;
    return sendto(fd, pkt, len, 0, (const struct sockaddr *)&dst->ss, dst->len) > 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
    struct udp_addr dst;
    enum rtpsec_suite suite;
    uint8_t tx_key[RTPSEC_MAX_KEY], rx_key[RTPSEC_MAX_KEY];
    char *end = NULL;
    unsigned long port = argc == 7 ? strtoul(argv[1], &end, 10) : 0;
    if (argc != 7 || !end || *end || port < 1024 || port > 65534 || udp_addr_parse(&dst, argv[2]) ||
        rtpsec_suite_parse(argv[3], &suite) || key_arg(argv[4], suite, tx_key) ||
        key_arg(argv[5], suite, rx_key)) {
        fprintf(stderr, "usage: byecheck PORT HOST:PORT SUITE SEND_KEY RECV_KEY SECONDS\n");
        return 2;
    }
    double secs = atof(argv[6]);
    struct rtpsec *tx = NULL;
    struct rx_state st = {0};
    int fds[2] = {-1, -1};
    if (rtpsec_global_init() || rtpsec_create(&tx, suite, tx_key, RTPSEC_OUTBOUND) ||
        rtpsec_create(&st.rx, suite, rx_key, RTPSEC_INBOUND) || open_pair((unsigned)port, fds)) {
        fprintf(stderr, "byecheck: cannot set up SRTP or bind 127.0.0.1:%lu and %lu\n", port,
                port + 1);
        return 2;
    }
    uint32_t ssrc = (uint32_t)getpid() * 2654435761u;
    uint64_t start = clock_now_us(), next = start;
    uint16_t seq = 1;
    while (!st.bye && clock_now_us() - start < (uint64_t)(secs * 1e6)) {
        if (clock_now_us() >= next) {
            send_one(fds[0], &dst, tx, seq++, ssrc); /* a refused send is the server's absence */
            next += 20000;
        }
        struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        poll(p, 2, 5);
        drain(fds[0], &st);
        drain(fds[1], &st);
    }
    uint64_t stop = clock_now_us();
    double span = st.rtp ? (double)(stop - st.first_us) / 1e6 : 0;
    printf("rtp %u secs %.2f gap_max_ms %.1f gap_at_s %.2f rtcp %u bad %u bye %d bye_ssrc %u "
           "ssrc %u\n",
           st.rtp, span, (double)st.gap_max_us / 1000.0, (double)st.gap_at_us / 1e6, st.rtcp,
           st.bad, st.bye, st.bye_ssrc, st.ssrc);
    close(fds[0]);
    close(fds[1]);
    rtpsec_destroy(&tx);
    rtpsec_destroy(&st.rx);
    return st.bye ? 0 : 1;
}
