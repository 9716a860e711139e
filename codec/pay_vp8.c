/* VP8 RTP payload format (RFC 7741): descriptor parser, packetizer and frame assembler. */
#include "pay_vp8.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"

#define DEFAULT_MAX_FRAME   (1u << 20)
#define DEFAULT_MAX_PACKETS 1024u
#define LIMIT_MAX_PACKETS   4096u /* keeps seq spans far from the 16-bit wrap ambiguity */

#define KEY_HDR_LEN 10 /* frame tag (3) + start code (3) + width (2) + height (2) */

int pay_vp8_parse_desc(const uint8_t *p, size_t len, struct pay_vp8_desc *d)
{
    if (!p || !d)
        return -EINVAL;
    *d = (struct pay_vp8_desc){.picture_id = -1, .tl0picidx = -1, .tid = -1, .keyidx = -1};
    size_t i = 0;
    if (len < 1)
        return -EBADMSG;
    uint8_t b0 = p[i++];
    d->n = (b0 >> 5) & 1;
    d->s = (b0 >> 4) & 1;
    d->pid = b0 & 7;
    if (!(b0 & 0x80))
        return (int)i;
    if (i >= len)
        return -EBADMSG;
    uint8_t x = p[i++];
    bool has_i = x & 0x80, has_l = x & 0x40, has_t = x & 0x20, has_k = x & 0x10;
    /* RFC 7741 4.2: "When set to 1 [L] ... the T bit MUST be set to 1." */
    if (has_l && !has_t)
        return -EBADMSG;
    if (has_i) {
        if (i >= len)
            return -EBADMSG;
        if (p[i] & 0x80) {
            if (i + 2 > len)
                return -EBADMSG;
            d->picture_id = (int32_t)((p[i] & 0x7f) << 8 | p[i + 1]);
            d->picture_id_bits = 15;
            i += 2;
        } else {
            d->picture_id = p[i++];
            d->picture_id_bits = 7;
        }
    }
    if (has_l) {
        if (i >= len)
            return -EBADMSG;
        d->tl0picidx = p[i++];
    }
    if (has_t || has_k) {
        if (i >= len)
            return -EBADMSG;
        uint8_t b = p[i++];
        if (has_t) {
            d->tid = (int8_t)(b >> 6);
            d->y = (b >> 5) & 1;
        }
        if (has_k)
            d->keyidx = (int8_t)(b & 0x1f);
    }
    return (int)i;
}

int pay_vp8_packetize(const struct pay_vp8_params *p, const uint8_t *frame, size_t len,
                      int keyframe, uint16_t picture_id, struct pay_vp8_out *out)
{
    if (!p || !frame || !out || len == 0 || p->max_payload <= PAY_VP8_DESC_LEN)
        return -EINVAL;
    out->n = 0;
    if (!out->buf)
        return -EINVAL;
    /* A mismatch means the caller mixed up frames; the receiver trusts the P bit. */
    if ((keyframe != 0) == (frame[0] & 1))
        return -EINVAL;
    size_t chunk = p->max_payload - PAY_VP8_DESC_LEN;
    size_t n = len / chunk + (len % chunk != 0);
    if (n > PAY_VP8_MAX_PKTS)
        return -EMSGSIZE;
    if (out->cap < len + n * PAY_VP8_DESC_LEN)
        return -ENOBUFS;
    size_t base = len / n, extra = len % n, in = 0, at = 0;
    uint16_t pic = picture_id & 0x7fff;
    for (size_t k = 0; k < n; k++) {
        size_t dlen = base + (k < extra);
        uint8_t *o = out->buf + at;
        o[0] = (uint8_t)(0x80 | (k == 0 ? 0x10 : 0)); /* X, S; N=0, PID=0 */
        o[1] = 0x80;                                  /* I */
        o[2] = (uint8_t)(0x80 | pic >> 8);            /* M: 15-bit picture id */
        o[3] = (uint8_t)(pic & 0xff);
        memcpy(o + PAY_VP8_DESC_LEN, frame + in, dlen);
        out->pkt[k] = (struct pay_vp8_pkt){
            .offset = at, .len = dlen + PAY_VP8_DESC_LEN, .marker = k + 1 == n};
        at += dlen + PAY_VP8_DESC_LEN;
        in += dlen;
    }
    out->n = (unsigned)n;
    return (int)n;
}

struct slot {
    uint16_t seq;
    size_t off, len; /* payload data (after the descriptor) in stage */
};

struct pay_vp8_depay {
    size_t max_frame;
    unsigned max_packets;
    uint8_t *stage; /* payload data in arrival order */
    uint8_t *frame; /* the assembled frame handed out */
    struct slot *slots;
    int32_t *order; /* slot index by seq offset from the start, while assembling */

    /* The frame in progress. */
    bool have_cur, start_known, end_known;
    uint32_t cur_ts;
    uint16_t start_seq, end_seq;
    unsigned nslots;
    size_t used;
    struct pay_vp8_desc first; /* descriptor of the start packet */
    int32_t cur_pic;           /* picture id of the frame's packets, -1 none; -2 unknown */

    /* The last frame output or dropped: older packets are late. */
    bool have_last, last_end_known;
    uint32_t last_ts;
    uint16_t last_end_seq;
};

int pay_vp8_depay_create(struct pay_vp8_depay **out, const struct pay_vp8_depay_params *p)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    size_t max_frame = p && p->max_frame ? p->max_frame : DEFAULT_MAX_FRAME;
    unsigned max_packets = p && p->max_packets ? p->max_packets : DEFAULT_MAX_PACKETS;
    if (max_packets > LIMIT_MAX_PACKETS || max_frame > (SIZE_MAX >> 2))
        return -EINVAL;
    struct pay_vp8_depay *d = mcu_calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->max_frame = max_frame;
    d->max_packets = max_packets;
    d->stage = mcu_malloc(max_frame);
    d->frame = mcu_malloc(max_frame);
    d->slots = mcu_calloc(max_packets, sizeof(*d->slots));
    d->order = mcu_calloc(max_packets, sizeof(*d->order));
    if (!d->stage || !d->frame || !d->slots || !d->order) {
        pay_vp8_depay_destroy(&d);
        return -ENOMEM;
    }
    *out = d;
    return 0;
}

void pay_vp8_depay_destroy(struct pay_vp8_depay **dp)
{
    if (!dp || !*dp)
        return;
    struct pay_vp8_depay *d = *dp;
    mcu_free(d->stage);
    mcu_free(d->frame);
    mcu_free(d->slots);
    mcu_free(d->order);
    mcu_free(d);
    *dp = NULL;
}

/* True if a comes after b in 16-bit sequence space. */
static bool seq_after(uint16_t a, uint16_t b)
{
    return a != b && (uint16_t)(a - b) < 0x8000;
}

/* End the frame in progress (output or dropped); end_known says where its packets stopped. */
static void finish(struct pay_vp8_depay *d, bool end_known, uint16_t end_seq)
{
    d->have_last = true;
    d->last_ts = d->cur_ts;
    d->last_end_known = end_known;
    d->last_end_seq = end_seq;
    d->have_cur = false;
}

static void begin(struct pay_vp8_depay *d, uint32_t ts)
{
    d->have_cur = true;
    d->start_known = d->end_known = false;
    d->cur_ts = ts;
    d->nslots = 0;
    d->used = 0;
    d->cur_pic = -2;
}

/* Would a start (end) at seq leave every stored packet at or after (before) it? */
static bool bounds_ok(const struct pay_vp8_depay *d, uint16_t seq, bool is_start)
{
    for (unsigned k = 0; k < d->nslots; k++) {
        uint16_t s = d->slots[k].seq;
        if (is_start ? seq_after(seq, s) : seq_after(s, seq))
            return false;
    }
    return true;
}

/* Copy the slots into d->frame in sequence order; the caller checked they cover the span. */
static size_t assemble(struct pay_vp8_depay *d)
{
    unsigned span = (uint16_t)(d->end_seq - d->start_seq) + 1u;
    for (unsigned k = 0; k < d->nslots; k++)
        d->order[(uint16_t)(d->slots[k].seq - d->start_seq)] = (int32_t)k;
    size_t at = 0;
    for (unsigned k = 0; k < span; k++) {
        const struct slot *s = &d->slots[d->order[k]];
        memcpy(d->frame + at, d->stage + s->off, s->len);
        at += s->len;
    }
    return at;
}

/* Fill the VP8 payload header fields of f (RFC 6386 9.1). */
static int parse_vp8_header(struct pay_vp8_frame *f)
{
    const uint8_t *b = f->data;
    f->keyframe = !(b[0] & 1);
    if (!f->keyframe)
        return 0;
    if (f->len < KEY_HDR_LEN || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a)
        return -EBADMSG;
    f->width = (uint16_t)((b[6] | b[7] << 8) & 0x3fff);
    f->hscale = b[7] >> 6;
    f->height = (uint16_t)((b[8] | b[9] << 8) & 0x3fff);
    f->vscale = b[9] >> 6;
    if (!f->width || !f->height)
        return -EBADMSG;
    return 0;
}

int pay_vp8_depay_put(struct pay_vp8_depay *d, uint16_t seq, uint32_t ts, int marker,
                      const uint8_t *payload, size_t len, struct pay_vp8_frame *f)
{
    if (!d || !f || (!payload && len))
        return -EINVAL;
    *f = (struct pay_vp8_frame){0};
    struct pay_vp8_desc desc;
    int hl = payload ? pay_vp8_parse_desc(payload, len, &desc) : -EBADMSG;
    if (hl < 0)
        return -EBADMSG;
    /* RFC 7741 4.1: VP8 payload follows the descriptor; an empty one carries nothing. */
    if ((size_t)hl == len)
        return -EBADMSG;
    const uint8_t *data = payload + hl;
    size_t dlen = len - (size_t)hl;

    if (d->have_cur && ts != d->cur_ts) {
        if ((int32_t)(ts - d->cur_ts) < 0)
            return -ETIME;
        /* A newer frame began while this one still misses packets: it is lost. */
        finish(d, false, 0);
        f->gap = 1;
    }
    if (!d->have_cur) {
        if (d->have_last && (int32_t)(ts - d->last_ts) <= 0)
            return -ETIME;
        begin(d, ts);
    }
    for (unsigned k = 0; k < d->nslots; k++)
        if (d->slots[k].seq == seq)
            return -EALREADY;

    bool is_start = desc.s && desc.pid == 0;
    int32_t pic = desc.picture_id;
    if (d->cur_pic != -2 && pic != d->cur_pic)
        return -EBADMSG;
    if (is_start && (d->start_known || !bounds_ok(d, seq, true)))
        return -EBADMSG;
    if (marker && (d->end_known || !bounds_ok(d, seq, false)))
        return -EBADMSG;
    if (d->start_known && seq_after(d->start_seq, seq))
        return -EBADMSG;
    if (d->end_known && seq_after(seq, d->end_seq))
        return -EBADMSG;

    if (d->nslots == d->max_packets || dlen > d->max_frame - d->used) {
        finish(d, false, 0);
        f->gap = 1;
        return -EMSGSIZE;
    }
    d->slots[d->nslots++] = (struct slot){.seq = seq, .off = d->used, .len = dlen};
    memcpy(d->stage + d->used, data, dlen);
    d->used += dlen;
    d->cur_pic = pic;
    if (is_start) {
        d->start_known = true;
        d->start_seq = seq;
        d->first = desc;
    }
    if (marker) {
        d->end_known = true;
        d->end_seq = seq;
    }
    if (!d->start_known || !d->end_known)
        return -EAGAIN;
    /* Every stored packet lies in [start, end] and seqs are distinct, so count == span means
     * nothing is missing. */
    unsigned span = (uint16_t)(d->end_seq - d->start_seq) + 1u;
    if (span > d->max_packets) {
        finish(d, false, 0);
        f->gap = 1;
        return -EMSGSIZE;
    }
    if (d->nslots != span)
        return -EAGAIN;

    /* A jump from the previous frame's last packet means whole frames were lost in between. */
    if (d->have_last && d->last_end_known && d->start_seq != (uint16_t)(d->last_end_seq + 1))
        f->gap = 1;
    f->len = assemble(d);
    f->data = d->frame;
    f->timestamp = d->cur_ts;
    f->desc = d->first;
    finish(d, true, d->end_seq);
    if (parse_vp8_header(f) < 0) {
        /* The decoder would reject it anyway; the sender has to send a fresh keyframe. */
        *f = (struct pay_vp8_frame){.gap = 1, .timestamp = ts};
        return -EBADMSG;
    }
    return 0;
}
