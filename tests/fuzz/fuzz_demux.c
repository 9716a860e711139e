/* libFuzzer target for mcu/demux.c: the first-byte classification every datagram goes through
 * before anything else looks at it. The input is one datagram. The verdict is checked against
 * RFC 7983's ranges written out independently here, and RTP/RTCP verdicts against the parsers
 * the session hands them to: what demux calls RTCP must never be taken for RTP. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demux.h"
#include "rtcp.h"
#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* RFC 7983 section 7 with RFC 5761 section 4, and the minimum sizes the session relies on
 * (a STUN header is 20 bytes, a DTLS record header 13, RTCP 8, RTP 12). */
static enum demux_kind expected(const uint8_t *data, size_t size)
{
    if (size == 0)
        return DEMUX_UNKNOWN;
    uint8_t b = data[0];
    if (b <= 3)
        return size >= 20 ? DEMUX_STUN : DEMUX_UNKNOWN;
    if (b >= 20 && b <= 63)
        return size >= 13 ? DEMUX_DTLS : DEMUX_UNKNOWN;
    if (b < 128 || b > 191 || size < 8)
        return DEMUX_UNKNOWN;
    if (data[1] >= 192 && data[1] <= 223)
        return DEMUX_RTCP;
    return size >= 12 ? DEMUX_RTP : DEMUX_UNKNOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum demux_kind k = demux_classify(data, size);
    check(k == expected(data, size));
    const char *name = demux_kind_name(k);
    check(name != NULL && strlen(name) > 0 && strlen(name) < 16);

    /* The verdict depends on the first two bytes and the length only: the session classifies
     * before it decrypts, so nothing past the header may steer it. */
    if (size > 2) {
        uint8_t *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, 2);
        memset(copy + 2, 0x5a, size - 2);
        check(demux_classify(copy, size) == k);
        free(copy);
    }

    /* What demux passes on as RTP has a header the RTP parser can at least start on; what it
     * passes on as RTCP, the RTCP parser must not mistake for RTP (RFC 5761's point). */
    struct rtp_hdr h;
    if (k == DEMUX_RTP && rtp_parse(&h, data, size) == 0) {
        check(h.pt < 128 && !(h.marker && h.pt >= 64 && h.pt <= 95));
        check(h.hdr_len + h.payload_len <= size);
    }
    if (k == DEMUX_RTCP) {
        struct rtcp_iter it;
        struct rtcp_pkt pkt;
        rtcp_iter_init(&it, data, size);
        int r = rtcp_next(&it, &pkt);
        check(r == 1 || r < 0); /* at least 8 bytes: never "nothing left" */
        if (r == 1)
            check(pkt.type == data[1]);
    }
    for (int i = -1; i <= DEMUX_RTCP + 1; i++)
        check(demux_kind_name((enum demux_kind)i) != NULL);
    return 0;
}
