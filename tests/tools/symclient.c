/* symclient: a symmetric SRTP endpoint (one socket sends and receives, as a client behind NAT
 * does), for tests of address latching and of suites FFmpeg lacks (AEAD_AES_128_GCM).
 *
 *   symclient HOST:PORT SUITE SEND_KEY_B64 RECV_KEY_B64 SECONDS SSRC
 *
 * Sends 50 packets a second for SECONDS to HOST:PORT, protected with SEND_KEY; meanwhile
 * receives on the same socket and unprotects with RECV_KEY. Prints "sent N received M bad K
 * rtcp R": M packets that decrypted as RTP, K that failed, R RTCP compounds that decrypted. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "clock.h"
#include "demux.h"
#include "rtp.h"
#include "rtpsec.h"
#include "udp.h"

static int key_arg(const char *b64, enum rtpsec_suite suite, uint8_t *key)
{
    int n = base64_decode(key, RTPSEC_MAX_KEY, b64, strlen(b64));
    return n == (int)rtpsec_key_len(suite) ? 0 : -EINVAL;
}

struct counts {
    unsigned sent, received, bad, rtcp;
};

static void receive(int fd, struct rtpsec *rx, struct counts *c)
{
    uint8_t buf[UDP_BUF];
    ssize_t n;
    while ((n = recv(fd, buf, UDP_MTU, MSG_DONTWAIT)) > 0) {
        size_t len = (size_t)n;
        enum demux_kind k = demux_classify(buf, len);
        int err = k == DEMUX_RTCP ? rtpsec_unprotect_rtcp(rx, buf, &len)
                                  : rtpsec_unprotect(rx, buf, &len);
        if (err)
            c->bad++;
        else if (k == DEMUX_RTCP)
            c->rtcp++;
        else
            c->received++;
    }
}

int main(int argc, char **argv)
{
    struct udp_addr dst, any;
    enum rtpsec_suite suite;
    uint8_t tx_key[RTPSEC_MAX_KEY], rx_key[RTPSEC_MAX_KEY];
    if (argc != 7 || udp_addr_parse(&dst, argv[1]) || rtpsec_suite_parse(argv[2], &suite) ||
        key_arg(argv[3], suite, tx_key) || key_arg(argv[4], suite, rx_key)) {
        fprintf(stderr, "usage: symclient HOST:PORT SUITE SEND_KEY RECV_KEY SECONDS SSRC\n");
        return 2;
    }
    unsigned secs = (unsigned)atoi(argv[5]);
    uint32_t ssrc = (uint32_t)strtoul(argv[6], NULL, 0);
    struct rtpsec *tx, *rx;
    int fd;
    udp_addr_from_ip(&any, "127.0.0.1", 0);
    if (rtpsec_global_init() || rtpsec_create(&tx, suite, tx_key, RTPSEC_OUTBOUND) ||
        rtpsec_create(&rx, suite, rx_key, RTPSEC_INBOUND) || udp_open(&any, &fd))
        return 1;
    struct counts c = {0};
    uint64_t start = clock_now_us(), next = start;
    uint16_t seq = 1;
    while (clock_now_us() - start < (uint64_t)secs * 1000000u) {
        uint64_t now = clock_now_us();
        if (now >= next) {
            uint8_t pkt[64 + RTPSEC_MAX_TRAILER] = {0};
            rtp_write_header(pkt, 0, 111, seq, 960u * seq, ssrc);
            seq++;
            memset(pkt + 12, 0x5a, 40);
            size_t len = 52;
            if (!rtpsec_protect(tx, pkt, &len) &&
                sendto(fd, pkt, len, 0, (const struct sockaddr *)&dst.ss, dst.len) > 0)
                c.sent++;
            next += 20000;
        }
        struct pollfd p = {fd, POLLIN, 0};
        poll(&p, 1, 5);
        receive(fd, rx, &c);
    }
    usleep(200000); /* what is still in flight */
    receive(fd, rx, &c);
    printf("sent %u received %u bad %u rtcp %u\n", c.sent, c.received, c.bad, c.rtcp);
    close(fd);
    rtpsec_destroy(&tx);
    rtpsec_destroy(&rx);
    return 0;
}
