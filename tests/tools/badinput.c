/* badinput: throw hostile packets at a live participant port, as a test's attacker.
 *
 *   badinput HOST:PORT KEY_B64 SSRC SEQ
 *
 * KEY_B64 is the participant's real send key (AES_CM_128_HMAC_SHA1_80), SSRC and SEQ the real
 * sender's SSRC and a sequence number it has already sent, for the replay case. Sends, from
 * sockets the server has never seen: truncated and malformed RTP/RTCP, packets under a wrong
 * key, forged RTCP, a replayed index, STUN and DTLS-looking bytes, and a burst of random
 * garbage. Prints what it sent per class as "class count" lines, for the test to compare with
 * the server's counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "rtp.h"
#include "rtpsec.h"
#include "udp.h"

#define BURST 2000

static int sock;
static struct udp_addr dst;

static void send_raw(const uint8_t *buf, size_t len)
{
    if (sendto(sock, buf, len, 0, (const struct sockaddr *)&dst.ss, dst.len) < 0)
        perror("badinput: sendto");
    /* Pace a little so the kernel buffer never drops: every packet must reach the server. */
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
}

static unsigned malformed(void)
{
    uint8_t b[64] = {0};
    unsigned n = 0;
    rtp_write_header(b, 0, 111, 1, 2, 3);
    send_raw(b, 5), n++;  /* shorter than an RTP header */
    send_raw(b, 11), n++; /* one byte short */
    b[0] = 0x8f;          /* 15 CSRCs announced in 20 bytes */
    send_raw(b, 20), n++;
    b[0] = 0x90; /* extension header longer than the packet */
    b[12] = 0xbe, b[13] = 0xde, b[14] = 0xff, b[15] = 0xff;
    send_raw(b, 24), n++;
    b[0] = 0x40; /* RTP version 1 */
    send_raw(b, 40), n++;
    memset(b, 0xff, sizeof(b)); /* first byte outside every RFC 7983 range */
    send_raw(b, 64), n++;
    uint8_t rtcp[16] = {0x80, 200, 0x00, 0x06}; /* an SR cut to 7 bytes */
    send_raw(rtcp, 7), n++;
    send_raw(rtcp, 15), n++; /* too short to hold an SRTCP index and tag */
    return n;
}

static unsigned wrong_key(enum rtpsec_suite suite)
{
    uint8_t key[RTPSEC_MAX_KEY];
    struct rtpsec *sec;
    rtpsec_keygen(suite, key);
    if (rtpsec_create(&sec, suite, key, RTPSEC_OUTBOUND))
        return 0;
    unsigned n = 0;
    for (int i = 0; i < 20; i++, n++) {
        uint8_t b[256] = {0};
        rtp_write_header(b, 0, 111, (uint16_t)(1000 + i), 960u * (unsigned)i, 0x12345678);
        size_t len = 12 + 80;
        rtpsec_protect(sec, b, &len);
        send_raw(b, len);
    }
    /* Forged RTCP: a receiver report under the wrong key. */
    uint8_t r[128] = {0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78};
    size_t rl = 8;
    rtpsec_protect_rtcp(sec, r, &rl);
    send_raw(r, rl), n++;
    rtpsec_destroy(&sec);
    return n;
}

static unsigned replay(const uint8_t *key, uint32_t ssrc, uint16_t seq)
{
    struct rtpsec *sec;
    if (rtpsec_create(&sec, RTPSEC_AES_CM_128_HMAC_SHA1_80, key, RTPSEC_OUTBOUND))
        return 0;
    uint8_t b[256] = {0};
    rtp_write_header(b, 0, 111, seq, 0, ssrc);
    size_t len = 12 + 3;
    b[12] = 0xf8, b[13] = 0xff, b[14] = 0xfe; /* an Opus silence frame, were it ever played */
    rtpsec_protect(sec, b, &len);
    send_raw(b, len);
    rtpsec_destroy(&sec);
    return 1;
}

static unsigned not_ours(void)
{
    uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    uint8_t dtls[32] = {22, 0xfe, 0xfd};
    send_raw(stun, sizeof(stun));
    send_raw(dtls, sizeof(dtls));
    return 2;
}

static unsigned burst(void)
{
    uint8_t b[200];
    for (int i = 0; i < BURST; i++) {
        getrandom(b, sizeof(b), 0);
        b[0] = (uint8_t)(0x80 | (b[0] & 0x0f)); /* looks like RTP, so it costs a decryption */
        b[1] &= 0x7f;
        send_raw(b, 20 + (size_t)(b[2] % 180));
    }
    return BURST;
}

int main(int argc, char **argv)
{
    uint8_t key[RTPSEC_MAX_KEY];
    if (argc != 5 || udp_addr_parse(&dst, argv[1]) ||
        base64_decode(key, sizeof(key), argv[2], strlen(argv[2])) != 30) {
        fprintf(stderr, "usage: badinput HOST:PORT KEY_B64 SSRC SEQ\n");
        return 2;
    }
    uint32_t ssrc = (uint32_t)strtoul(argv[3], NULL, 0);
    uint16_t seq = (uint16_t)strtoul(argv[4], NULL, 0);
    if (rtpsec_global_init())
        return 1;
    struct udp_addr any;
    udp_addr_from_ip(&any, "127.0.0.1", 0);
    if (udp_open(&any, &sock))
        return 1;
    printf("malformed %u\n", malformed());
    printf("auth_fail %u\n", wrong_key(RTPSEC_AES_CM_128_HMAC_SHA1_80));
    printf("replay %u\n", replay(key, ssrc, seq));
    printf("unknown %u\n", not_ours());
    printf("burst %u\n", burst());
    close(sock);
    return 0;
}
