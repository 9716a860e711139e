/* Video codecs (VP8 via libvpx, H.264 via libavcodec: libx264 to encode, its own decoder) behind
 * one vtable, and the encoder and decoder objects built on it. Pictures are I420 (vframe.h).
 * The settings are for real time: one frame in, one frame out, no lookahead, constant bitrate.
 * Library errors are mapped to negative errno here; the wrappers print nothing (libavcodec's
 * messages are pushed down to AV_LOG_DEBUG). An encoder or decoder is used by one thread at a
 * time; different objects may be used on different threads. */
#ifndef MCU_VCODEC_H
#define MCU_VCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "vframe.h"

enum vcodec_id { VCODEC_VP8, VCODEC_H264 };

/* "vp8" / "h264", or the SDP names "VP8" / "H264" (case-insensitive): 0 or -EINVAL. */
int vcodec_parse(const char *name, enum vcodec_id *id);
/* SDP encoding name: "VP8", "H264"; NULL for an unknown id. */
const char *vcodec_sdp_name(enum vcodec_id id);

struct venc_params {
    int width, height; /* even, 16..4096 */
    int fps;           /* 1..60: the rate pictures come at, for rate control */
    int bitrate_kbps;  /* 50..20000 */
    int keyint;        /* most frames between keyframes; 0 = 10 s worth (10 * fps) */
    int threads;       /* encoder threads, 0..16; 0 = 1 (the media worker is the thread) */
};

struct venc_frame {
    const uint8_t *data; /* owned by the encoder, valid until its next encode or destroy */
    size_t len;
    int keyframe;
};

/* ---- Encoder ---- */

struct venc;

/* Ownership: the caller owns *out until venc_destroy (which sets it to NULL). -EINVAL for
 * parameters out of range, -ENOSYS if this libavcodec has no libx264, -ENOMEM. */
int venc_create(struct venc **out, enum vcodec_id id, const struct venc_params *p);
void venc_destroy(struct venc **ep);
/* Encode one picture: its size must equal the parameters' (else -EINVAL); strides are free and
 * the planes are only read during the call. force_key asks for a keyframe now. pts is the
 * frame counter (units of 1 / fps): a jump tells the rate control that frames were skipped.
 * Returns 1 with *out set: VP8, one frame; H.264, one access unit in Annex B with 4-byte start
 * codes and SPS + PPS in front of every IDR, so a late joiner can start from any keyframe.
 * Returns 0 if the encoder produced nothing (it does not with these settings, but callers must
 * cope), or -errno. */
int venc_encode(struct venc *e, const struct vframe *pic, int64_t pts, int force_key,
                struct venc_frame *out);
/* Change the target bitrate (50..20000 kbit/s) from the next frame on. */
int venc_set_bitrate(struct venc *e, int kbps);
enum vcodec_id venc_codec(const struct venc *e);

/* ---- Decoder ---- */

struct vdec;

int vdec_create(struct vdec **out, enum vcodec_id id);
void vdec_destroy(struct vdec **dp);
/* Decode one complete frame (VP8) or access unit (H.264, Annex B), as the pay_vp8 / pay_h264
 * depacketizers give them. Returns:
 *   1        *pic is a view (pic->mem NULL) of the decoder's picture, valid until the next
 *            vdec_decode or vdec_destroy; its size is whatever the stream says (it may change
 *            at any keyframe);
 *   0        no picture: the frame was not shown, held only parameter sets, or the decoder is
 *            waiting for a keyframe (after create and after any -EBADMSG, delta frames are
 *            dropped until a keyframe decodes: a picture built on a missing reference is
 *            garbage, and a frozen picture is better);
 *   -EBADMSG corrupt or undecodable data: request a keyframe;
 *   -ENOTSUP a stream this server does not take (e.g. H.264 4:2:2 or 10-bit);
 *   -errno   otherwise (-EINVAL for misuse, -ENOMEM).
 * Any bytes are safe to pass. */
int vdec_decode(struct vdec *d, const uint8_t *data, size_t len, struct vframe *pic);
/* 1 while delta frames are being dropped for want of a keyframe. */
int vdec_waiting_keyframe(const struct vdec *d);
enum vcodec_id vdec_codec(const struct vdec *d);

/* ---- Wrapper interface (vid_*.c implement it; callers use the functions above) ---- */

/* Return values of vcodec.probe. */
#define VCODEC_PROBE_DELTA 0 /* a picture that needs earlier ones */
#define VCODEC_PROBE_KEY                                                                           \
    1 /* a keyframe, or no picture at all (e.g. H.264 SPS + PPS only):                             \
       * safe to decode while waiting for a keyframe */

struct vcodec {
    enum vcodec_id id;
    const char *name; /* SDP encoding name */
    size_t enc_priv_size, dec_priv_size;
    /* priv is enc_priv_size (dec_priv_size) zeroed bytes, max_align_t-aligned. p is checked
     * and has its defaults filled in (keyint, threads > 0). An open that fails frees what it
     * allocated itself: close runs only after a successful open. */
    int (*enc_open)(void *priv, const struct venc_params *p);
    /* pic is checked against the parameters. Same returns as venc_encode. */
    int (*encode)(void *priv, const struct vframe *pic, int64_t pts, int force_key,
                  struct venc_frame *out);
    int (*set_bitrate)(void *priv, int kbps);
    void (*enc_close)(void *priv);
    int (*dec_open)(void *priv);
    /* Classify a frame without decoding it: VCODEC_PROBE_* or -EBADMSG when its framing is
     * broken (so it never reaches the library). Pure: no state, any bytes. */
    int (*probe)(const uint8_t *data, size_t len);
    /* len > 0. Same returns as vdec_decode, but never waits for a keyframe itself. */
    int (*decode)(void *priv, const uint8_t *data, size_t len, struct vframe *pic);
    void (*dec_close)(void *priv);
};

extern const struct vcodec vcodec_vp8;
extern const struct vcodec vcodec_h264;

/* The wrapper of a codec id; NULL for an unknown one. */
const struct vcodec *vcodec_get(enum vcodec_id id);

#endif
