/* H.264 RTP payload format (RFC 6184, packetization-mode 1): an Annex B access unit to RTP
 * payloads (single NAL, STAP-A, FU-A) and back. Pure byte code: no I/O, no globals, no libav.
 * A depacketizer serves one SSRC and is used by one thread at a time. */
#ifndef MCU_PAY_H264_H
#define MCU_PAY_H264_H

#include <stddef.h>
#include <stdint.h>

/* One RTP payload produced by the packetizer: bytes [off, off + len) of the caller's buffer. */
struct pay_h264_pkt {
    size_t off, len;
    int marker; /* set on the last packet of the access unit */
};

/* Buffer size that always suffices for pay_h264_packetize of an au_len-byte access unit. */
size_t pay_h264_buf_bound(size_t au_len, size_t max_payload);

/* Split one access unit in Annex B form (start codes 00 00 01 or 00 00 00 01; bytes before the
 * first start code must be zero) into RTP payloads of at most max_payload bytes: NALs that fit
 * are sent alone or, when several consecutive ones fit together, in one STAP-A; larger ones as
 * FU-A. Payload bytes go to buf (cap bytes), entries to pkts (max_pkts). Returns the number of
 * packets, or -EINVAL (max_payload < 3), -EBADMSG (no NAL, data before the first start code, a
 * NAL of type 0 or 24-31 or with the forbidden bit), -ENOBUFS (buf or pkts too small). */
int pay_h264_packetize(const uint8_t *au, size_t au_len, size_t max_payload, uint8_t *buf,
                       size_t cap, struct pay_h264_pkt *pkts, size_t max_pkts);

/* Flags of an assembled access unit. */
#define PAY_H264_IDR 0x01 /* has an IDR slice (NAL type 5) */
#define PAY_H264_SPS 0x02 /* has an SPS (7) */
#define PAY_H264_PPS 0x04 /* has a PPS (8) */

struct pay_h264_au {
    const uint8_t *data; /* Annex B (00 00 00 01 before each NAL); owned by the depacketizer,
                          * valid until its next put or destroy */
    size_t len;
    uint32_t ts; /* RTP timestamp (90 kHz) */
    unsigned flags;
};

struct pay_h264_depay_params {
    size_t max_au;     /* largest access unit, in bytes of payload and of Annex B output */
    unsigned max_pkts; /* most packets in one access unit */
};

struct pay_h264_stats {
    uint64_t packets, aus, dropped_aus; /* dropped: incomplete or malformed across packets */
    uint64_t malformed, unsupported;    /* packets refused with -EBADMSG / -ENOTSUP */
    uint64_t duplicates, late;          /* ignored: seq seen, or of an AU already closed */
};

struct pay_h264_depay;

/* p NULL = max_au 1 MiB, max_pkts 2048. The caller owns *out until pay_h264_depay_destroy (which
 * sets it to NULL). -EINVAL for max_au or max_pkts 0, -ENOMEM. */
int pay_h264_depay_create(struct pay_h264_depay **out, const struct pay_h264_depay_params *p);
void pay_h264_depay_destroy(struct pay_h264_depay **dp);

/* Return bits of pay_h264_depay_put. */
#define PAY_H264_AU_READY 0x01 /* *au holds a complete access unit */
#define PAY_H264_AU_LOST  0x02 /* an access unit was dropped (seq gap or malformed): send a PLI */

/* Add one RTP packet of the SSRC. Packets of one timestamp are reordered by seq and the access
 * unit is released when the marker packet and every seq before it (back to the end of the
 * previous access unit) are in, or when a packet of a new timestamp shows that a marker-less
 * unit was complete. An incomplete unit waits for a packet of a new timestamp, then is dropped;
 * a gap just before that packet is counted against it. At most one unit is released per call:
 * a unit that became complete in the same call that released another is released by the next
 * call. The first access unit starts at the lowest seq seen (unless that is an FU-A middle), so
 * a single-NAL packet lost or late before it is not seen.
 * Returns PAY_H264_AU_* bits, possibly both (0: stored, nothing to report), or a negative errno
 * when this
 * packet is refused and nothing else happened: -EBADMSG (malformed: empty, forbidden bit,
 * zero-length or truncated STAP-A NAL, FU-A with both S and E, a seq after the marker) or
 * -ENOTSUP (STAP-B, MTAP, FU-B). A refused packet leaves a seq gap, so its unit is dropped
 * later. Also -EBADMSG when the unit this packet closed was malformed across packets (FU-A
 * without start, type change inside an FU, unterminated FU): that unit was dropped, as for
 * PAY_H264_AU_LOST. */
int pay_h264_depay_put(struct pay_h264_depay *d, uint16_t seq, uint32_t ts, int marker,
                       const uint8_t *payload, size_t len, struct pay_h264_au *au);

void pay_h264_depay_get_stats(const struct pay_h264_depay *d, struct pay_h264_stats *st);

#endif
