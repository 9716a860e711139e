/* First-byte demultiplexing of one UDP port (RFC 7983, with RFC 5761 for RTP vs RTCP). Pure. */
#ifndef MCU_DEMUX_H
#define MCU_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum demux_kind {
    DEMUX_UNKNOWN = 0, /* drop */
    DEMUX_STUN,
    DEMUX_DTLS,
    DEMUX_RTP,
    DEMUX_RTCP,
};

enum demux_kind demux_classify(const uint8_t *buf, size_t len);
const char *demux_kind_name(enum demux_kind k);

#endif
