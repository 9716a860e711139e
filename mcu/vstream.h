/* A participant's incoming video, between its session and the conference:
 *   RTP -> loss detection (NACK the missing packets) -> depacketize (VP8 RFC 7741, H.264
 *   RFC 6184) -> keyframe tracking (ask for one when a frame cannot be completed) ->
 *   optionally decode (composite mode) and keep the newest picture.
 * Created on the control thread, used on the conference's worker only. */
#ifndef MCU_VSTREAM_H
#define MCU_VSTREAM_H

#include <stdint.h>

#include "vcodec.h"

struct rtp_hdr;
struct vframe;
struct vstream;

#define VSTREAM_MAX_NACK 16

struct vstream_params {
    enum vcodec_id codec;
    int decode; /* composite: decode every frame; forward: only reassemble */
};

/* What one packet led to, for the owner to act on. */
struct vstream_result {
    int frame;    /* a frame was completed (and, decoding, a new picture is ready) */
    int keyframe; /* ... and it was a keyframe */
    int need_key; /* ask the sender for a keyframe now (already rate-limited here) */
    unsigned nnack;
    uint16_t nack[VSTREAM_MAX_NACK]; /* ask the sender to resend these */
};

int vstream_create(struct vstream **out, const struct vstream_params *p);
void vstream_destroy(struct vstream **vp);

/* One authenticated packet of the sender's video at monotonic time now_us. */
void vstream_put(struct vstream *v, const struct rtp_hdr *h, uint64_t now_us,
                 struct vstream_result *r);
/* Ask for a keyframe at the next chance (e.g. the sender's picture is wanted by a new receiver
 * in forward mode). Returns 1 when the caller may send the request now, 0 when one went out
 * too recently. */
int vstream_want_key(struct vstream *v, uint64_t now_us);
/* The newest decoded picture (decoding only), or NULL before the first. Owned by the stream and
 * kept through later losses and decode errors; valid until the next vstream_put. */
const struct vframe *vstream_picture(const struct vstream *v);
/* Does this RTP payload start a keyframe? (Forwarding switches a receiver to a new source only
 * there.) */
int vstream_is_key_start(const struct vstream *v, const uint8_t *payload, size_t len);
enum vcodec_id vstream_codec(const struct vstream *v);
uint64_t vstream_last_rx_us(const struct vstream *v);

struct vstream_stats {
    uint64_t frames, frames_lost, decode_errors;
};
void vstream_get_stats(const struct vstream *v, struct vstream_stats *st);

#endif
