/* Incoming video: loss detection, depacketizing, keyframe tracking, decoding. */
#include "vstream.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "pay_h264.h"
#include "pay_vp8.h"
#include "rtp.h"
#include "vframe.h"

#define KEY_REQ_INTERVAL_US 500000u /* at most two keyframe requests a second per sender */
#define NACK_MAX_GAP        64      /* beyond this the frame is lost anyway: ask for a key */

struct vstream {
    struct vstream_params p;
    struct pay_vp8_depay *vp8;
    struct pay_h264_depay *h264;
    struct vdec *dec;
    int seen;
    uint16_t hi_seq; /* highest sequence number seen */
    int waiting_key; /* the decoder's references are gone until the next keyframe */
    uint64_t last_key_req_us;
    int key_req_sent;
    uint64_t last_rx_us;
    int has_pic;
    struct vframe pic;
    struct vstream_stats st;
};

int vstream_create(struct vstream **out, const struct vstream_params *p)
{
    struct vstream *v = mcu_calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->p = *p;
    v->waiting_key = 1;
    int err = p->codec == VCODEC_VP8 ? pay_vp8_depay_create(&v->vp8, NULL)
                                     : pay_h264_depay_create(&v->h264, NULL);
    if (!err && p->decode)
        err = vdec_create(&v->dec, p->codec);
    if (err) {
        vstream_destroy(&v);
        return err;
    }
    *out = v;
    return 0;
}

void vstream_destroy(struct vstream **vp)
{
    struct vstream *v = *vp;
    if (!v)
        return;
    pay_vp8_depay_destroy(&v->vp8);
    pay_h264_depay_destroy(&v->h264);
    vdec_destroy(&v->dec);
    vframe_free(&v->pic);
    mcu_free(v);
    *vp = NULL;
}

int vstream_want_key(struct vstream *v, uint64_t now_us)
{
    if (v->key_req_sent && now_us - v->last_key_req_us < KEY_REQ_INTERVAL_US)
        return 0;
    v->key_req_sent = 1;
    v->last_key_req_us = now_us;
    return 1;
}

/* Sequence gaps: NACK what is missing while a frame may still be completed. */
static void track_seq(struct vstream *v, uint16_t seq, uint64_t now, struct vstream_result *r)
{
    if (!v->seen) {
        v->seen = 1;
        v->hi_seq = seq;
        return;
    }
    uint16_t d = (uint16_t)(seq - v->hi_seq);
    if (d == 0 || d >= 32768)
        return; /* duplicate or late: a retransmission, maybe */
    if (d > NACK_MAX_GAP) {
        v->waiting_key = 1;
        r->need_key = vstream_want_key(v, now);
    } else {
        for (uint16_t k = 1; k < d && r->nnack < VSTREAM_MAX_NACK; k++)
            r->nack[r->nnack++] = (uint16_t)(v->hi_seq + k);
    }
    v->hi_seq = seq;
}

static void frame_lost(struct vstream *v, uint64_t now, struct vstream_result *r)
{
    v->st.frames_lost++;
    v->waiting_key = 1;
    r->need_key = vstream_want_key(v, now);
}

/* A complete frame: decode it unless the decoder has lost its references. */
static void on_frame(struct vstream *v, const uint8_t *data, size_t len, int key, uint64_t now,
                     struct vstream_result *r)
{
    if (v->waiting_key && !key) {
        frame_lost(v, now, r);
        return;
    }
    v->waiting_key = 0;
    if (key)
        v->key_req_sent = 0; /* the request was answered: a new loss may ask at once */
    if (v->dec) {
        struct vframe pic;
        int got = vdec_decode(v->dec, data, len, &pic);
        if (got < 0) {
            v->st.decode_errors++;
            frame_lost(v, now, r);
            return;
        }
        /* Copied, not kept as a view: the decoder may free its picture on the next call even
         * when that call fails, and the tile should keep the last good picture then. */
        if (got > 0 && vframe_copy(&v->pic, &pic) == 0)
            v->has_pic = 1;
    }
    v->st.frames++;
    r->frame = 1;
    r->keyframe = key;
}

static void put_vp8(struct vstream *v, const struct rtp_hdr *h, uint64_t now,
                    struct vstream_result *r)
{
    struct pay_vp8_frame f;
    int rc = pay_vp8_depay_put(v->vp8, h->seq, h->ts, h->marker, h->payload, h->payload_len, &f);
    if (f.gap && rc != 0)
        frame_lost(v, now, r);
    if (rc != 0)
        return;
    if (f.gap && !f.keyframe) /* a whole frame went missing before this one */
        v->waiting_key = 1;
    on_frame(v, f.data, f.len, f.keyframe, now, r);
}

static void put_h264(struct vstream *v, const struct rtp_hdr *h, uint64_t now,
                     struct vstream_result *r)
{
    struct pay_h264_au au;
    int rc = pay_h264_depay_put(v->h264, h->seq, h->ts, h->marker, h->payload, h->payload_len, &au);
    if (rc == -EBADMSG || (rc > 0 && (rc & PAY_H264_AU_LOST)))
        frame_lost(v, now, r);
    if (rc > 0 && (rc & PAY_H264_AU_READY))
        on_frame(v, au.data, au.len, (au.flags & PAY_H264_IDR) != 0, now, r);
}

void vstream_put(struct vstream *v, const struct rtp_hdr *h, uint64_t now_us,
                 struct vstream_result *r)
{
    memset(r, 0, sizeof(*r));
    v->last_rx_us = now_us;
    track_seq(v, h->seq, now_us, r);
    if (v->vp8)
        put_vp8(v, h, now_us, r);
    else
        put_h264(v, h, now_us, r);
    /* Nothing decodable yet (a receiver that joined mid-GOP): keep asking, politely. */
    if (v->waiting_key && !r->need_key && !r->frame)
        r->need_key = vstream_want_key(v, now_us);
}

const struct vframe *vstream_picture(const struct vstream *v)
{
    return v->has_pic ? &v->pic : NULL;
}

static int h264_nal_is_key(uint8_t nal)
{
    unsigned t = nal & 0x1f;
    return t == 5 || t == 7;
}

int vstream_is_key_start(const struct vstream *v, const uint8_t *p, size_t len)
{
    if (v->p.codec == VCODEC_VP8) {
        struct pay_vp8_desc d;
        int dl = pay_vp8_parse_desc(p, len, &d);
        /* The frame tag's P bit (RFC 6386 9.1) is 0 on a keyframe. */
        return dl > 0 && (size_t)dl < len && d.s && d.pid == 0 && !(p[dl] & 0x01);
    }
    if (len < 2)
        return 0;
    unsigned type = p[0] & 0x1f;
    if (type == 28) /* FU-A: the start fragment of an IDR */
        return (p[1] & 0x80) && (p[1] & 0x1f) == 5;
    if (type != 24)
        return h264_nal_is_key(p[0]);
    for (size_t off = 1; off + 3 <= len;) { /* STAP-A: 16-bit size, then the NAL */
        size_t n = (size_t)p[off] << 8 | p[off + 1];
        if (n == 0 || off + 2 + n > len)
            return 0;
        if (h264_nal_is_key(p[off + 2]))
            return 1;
        off += 2 + n;
    }
    return 0;
}

enum vcodec_id vstream_codec(const struct vstream *v)
{
    return v->p.codec;
}

uint64_t vstream_last_rx_us(const struct vstream *v)
{
    return v->last_rx_us;
}

void vstream_get_stats(const struct vstream *v, struct vstream_stats *st)
{
    *st = v->st;
}
