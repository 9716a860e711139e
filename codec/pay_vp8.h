/* VP8 RTP payload format (RFC 7741): a packetizer and a depacketizer that reassembles frames. */
#ifndef MCU_PAY_VP8_H
#define MCU_PAY_VP8_H

#include <stddef.h>
#include <stdint.h>

/* Both halves are pure byte code (no I/O, no globals), so a fuzz target links them alone.
 * An object is used by one thread at a time. */

#define PAY_VP8_MAX_PKTS 1024 /* packets one pay_vp8_packetize call can produce */
#define PAY_VP8_DESC_LEN 4    /* descriptor we write: X=1, I=1, 15-bit picture id */

/* ---- Descriptor ---- */

struct pay_vp8_desc {
    uint8_t n;               /* non-reference frame */
    uint8_t s;               /* start of a VP8 partition */
    uint8_t pid;             /* partition index, 0-7 */
    int32_t picture_id;      /* 7 or 15 bits; -1 if absent */
    uint8_t picture_id_bits; /* 7 or 15; 0 if absent */
    int16_t tl0picidx;       /* -1 if absent */
    int8_t tid;              /* temporal layer, -1 if absent (T=0) */
    uint8_t y;               /* layer sync; meaningful only with tid >= 0 */
    int8_t keyidx;           /* -1 if absent (K=0) */
};

/* Parse the payload descriptor at the start of an RTP payload. Returns its length in bytes
 * (1-6) or -EBADMSG if the bytes end inside it or L is set without T (RFC 7741 4.2).
 * Reserved bits are ignored, as the RFC asks of receivers. */
int pay_vp8_parse_desc(const uint8_t *p, size_t len, struct pay_vp8_desc *d);

/* ---- Packetizer ---- */

struct pay_vp8_params {
    size_t max_payload; /* RTP payload bytes per packet, descriptor included; > 4 */
};

struct pay_vp8_pkt {
    size_t offset, len; /* the payload is out->buf[offset .. offset+len) */
    int marker;         /* last packet of the frame */
};

struct pay_vp8_out {
    uint8_t *buf; /* caller-owned; set by the caller */
    size_t cap;   /* frame length + 4 bytes per packet always suffices */
    unsigned n;   /* packets written */
    struct pay_vp8_pkt pkt[PAY_VP8_MAX_PKTS];
};

/* Split one encoded frame into at most PAY_VP8_MAX_PKTS payloads of nearly equal size (so the
 * last one is not a runt), each with a 4-byte descriptor: X=1, I=1 with a 15-bit picture id
 * (the low 15 bits of picture_id, so the caller's uint16_t counter wraps 0x7fff -> 0), S=1 on
 * the first, PID=0. `keyframe` must agree with the frame tag's P bit (a caller bug otherwise).
 * Returns the packet count or -EINVAL (bad params, empty frame, keyframe mismatch), -EMSGSIZE
 * (needs more than PAY_VP8_MAX_PKTS packets), -ENOBUFS (out->cap too small). */
int pay_vp8_packetize(const struct pay_vp8_params *p, const uint8_t *frame, size_t len,
                      int keyframe, uint16_t picture_id, struct pay_vp8_out *out);

/* ---- Depacketizer ---- */

struct pay_vp8_depay_params {
    size_t max_frame;     /* largest frame accepted, bytes; 0 = 1 MiB */
    unsigned max_packets; /* most packets one frame may span, 1-4096; 0 = 1024 */
};

struct pay_vp8_frame {
    const uint8_t *data; /* owned by the depacketizer, valid until its next put or destroy */
    size_t len;
    uint32_t timestamp;
    int keyframe;
    uint16_t width, height;   /* keyframes only, else 0 */
    uint8_t hscale, vscale;   /* keyframes only: the 2-bit scaling fields */
    struct pay_vp8_desc desc; /* descriptor of the frame's first packet */
    /* Set on ANY return when this put saw loss: an incomplete frame dropped, a frame that was
     * too big or had a broken keyframe header, or a sequence gap before this frame (a whole
     * frame lost). The decoder may then be missing a reference: send a PLI. */
    int gap;
};

struct pay_vp8_depay;

/* p NULL = defaults. The caller owns *out until pay_vp8_depay_destroy (which sets it NULL). */
int pay_vp8_depay_create(struct pay_vp8_depay **out, const struct pay_vp8_depay_params *p);
void pay_vp8_depay_destroy(struct pay_vp8_depay **dp);

/* Feed one RTP packet of one SSRC. One frame (one timestamp) is assembled at a time; packets
 * within it may come in any order, but a packet of a newer timestamp drops the frame in progress
 * (put a jitter buffer in front if frames interleave on the wire). Returns:
 *   0          a complete frame is in *f;
 *   -EAGAIN    packet stored, frame not complete yet;
 *   -EALREADY  duplicate of a stored packet;
 *   -ETIME     packet of a frame already output or dropped;
 *   -EBADMSG   malformed descriptor, inconsistent with its frame, or (with f->gap) the
 *              assembled keyframe's header is invalid and the frame was dropped;
 *   -EMSGSIZE  the frame exceeds max_frame/max_packets and was dropped (f->gap set);
 *   -EINVAL    misuse (NULL). */
int pay_vp8_depay_put(struct pay_vp8_depay *d, uint16_t seq, uint32_t ts, int marker,
                      const uint8_t *payload, size_t len, struct pay_vp8_frame *f);

#endif
