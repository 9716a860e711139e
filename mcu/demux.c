/* First-byte demultiplexing (RFC 7983 section 7, RFC 5761 section 4). */
#include "demux.h"

enum demux_kind demux_classify(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return DEMUX_UNKNOWN;
    uint8_t b = buf[0];
    if (b <= 3)
        return len >= 20 ? DEMUX_STUN : DEMUX_UNKNOWN;
    if (b >= 20 && b <= 63)
        return len >= 13 ? DEMUX_DTLS : DEMUX_UNKNOWN;
    if (b >= 128 && b <= 191) {
        if (len < 8)
            return DEMUX_UNKNOWN;
        /* RTCP packet types 192-223 collide with RTP payload types 64-95 with the marker set,
         * which RFC 5761 therefore forbids for RTP on a muxed port. */
        uint8_t pt = buf[1];
        if (pt >= 192 && pt <= 223)
            return DEMUX_RTCP;
        return len >= 12 ? DEMUX_RTP : DEMUX_UNKNOWN;
    }
    return DEMUX_UNKNOWN; /* 64-79 TURN channels, others: not ours */
}

const char *demux_kind_name(enum demux_kind k)
{
    static const char *const names[] = {"unknown", "stun", "dtls", "rtp", "rtcp"};
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}
