/* Composite video: layout, letterboxed scaling into the canvas, one encode per codec. */
#include "vmix.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "pay_h264.h"
#include "pay_vp8.h"
#include "vframe.h"
#include "vscale.h"

#define NCODECS 2

/* BT.601 limited range: black bars, and the grey of a participant without a picture yet. */
#define BLACK_Y 16
#define GREY_Y  64
#define CHROMA0 128

enum tile_state { TILE_NONE, TILE_GREY, TILE_PIC };

struct tile {
    struct layout_rect cell; /* where the layout put it */
    struct layout_rect fit;  /* the picture inside it, aspect kept */
    enum tile_state state;
    int src_w, src_h;
    struct vscaler *sc;
};

struct venc_slot {
    struct venc *enc;
    int want_key;
    uint64_t last_key_frame; /* frame_no of the last keyframe */
    int have_key;
    uint64_t encoded_frame; /* frame_no encoded last, to encode once per compose */
    uint64_t used_frame;    /* frame_no it was last asked for */
    int encoded;
    uint16_t picture_id;
    struct vmix_out out;
    uint8_t *buf;
    size_t cap;
};

struct vmix {
    struct vmix_params p;
    struct vframe canvas;
    struct tile tiles[VMIX_MAX_TILES];
    unsigned ntiles;
    int speaker;
    uint64_t frame_no, next_frame;
    struct venc_slot enc[NCODECS];
    struct pay_h264_pkt h264_pkts[VMIX_MAX_PKTS];
};

int vmix_create(struct vmix **out, const struct vmix_params *p)
{
    if (p->width < 64 || p->height < 64 || (p->width | p->height) & 1 || p->fps < 1 ||
        p->fps > 60 || p->kbps < 50)
        return -EINVAL;
    struct vmix *v = mcu_calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->p = *p;
    v->speaker = -1;
    int err = vframe_alloc(&v->canvas, p->width, p->height);
    if (err) {
        mcu_free(v);
        return err;
    }
    vframe_fill(&v->canvas, BLACK_Y, CHROMA0, CHROMA0);
    *out = v;
    return 0;
}

static void drop_slot(struct venc_slot *e)
{
    venc_destroy(&e->enc);
    mcu_free(e->buf);
    memset(e, 0, sizeof(*e));
}

void vmix_destroy(struct vmix **vp)
{
    struct vmix *v = *vp;
    if (!v)
        return;
    for (unsigned i = 0; i < VMIX_MAX_TILES; i++)
        vscaler_destroy(&v->tiles[i].sc);
    for (unsigned i = 0; i < NCODECS; i++)
        drop_slot(&v->enc[i]);
    vframe_free(&v->canvas);
    mcu_free(v);
    *vp = NULL;
}

const struct vframe *vmix_canvas(const struct vmix *v)
{
    return &v->canvas;
}

static int rect_eq(const struct layout_rect *a, const struct layout_rect *b)
{
    return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h;
}

/* The largest even-sized rectangle of the source's aspect inside the cell, centred. */
static struct layout_rect fit_rect(const struct layout_rect *cell, int sw, int sh)
{
    struct layout_rect r = *cell;
    if ((int64_t)sw * cell->h >
        (int64_t)sh * cell->w) /* wider than the cell: bars top and bottom */
        r.h = (int)((int64_t)cell->w * sh / sw) & ~1;
    else
        r.w = (int)((int64_t)cell->h * sw / sh) & ~1;
    if (r.w < 2)
        r.w = 2;
    if (r.h < 2)
        r.h = 2;
    r.x = cell->x + ((cell->w - r.w) / 2 & ~1);
    r.y = cell->y + ((cell->h - r.h) / 2 & ~1);
    return r;
}

static void fill(struct vmix *v, const struct layout_rect *r, uint8_t y)
{
    vframe_fill_rect(&v->canvas, r->x, r->y, r->w, r->h, y, CHROMA0, CHROMA0);
}

static int draw_tile(struct vmix *v, struct tile *t, const struct vframe *pic)
{
    if (!pic) {
        if (t->state != TILE_GREY)
            fill(v, &t->cell, GREY_Y);
        t->state = TILE_GREY;
        return 0;
    }
    struct layout_rect fit = fit_rect(&t->cell, pic->w, pic->h);
    if (!t->sc || pic->w != t->src_w || pic->h != t->src_h || !rect_eq(&fit, &t->fit)) {
        vscaler_destroy(&t->sc);
        int err = vscaler_create(&t->sc, pic->w, pic->h, fit.w, fit.h, v->p.cpu_flags);
        if (err)
            return err;
        t->src_w = pic->w;
        t->src_h = pic->h;
        t->fit = fit;
        t->state = TILE_NONE; /* the bars around the new rectangle need painting */
    }
    if (t->state != TILE_PIC)
        fill(v, &t->cell, BLACK_Y);
    t->state = TILE_PIC;
    uint8_t *dst[3] = {
        v->canvas.data[0] + (ptrdiff_t)fit.y * v->canvas.stride[0] + fit.x,
        v->canvas.data[1] + (ptrdiff_t)(fit.y / 2) * v->canvas.stride[1] + fit.x / 2,
        v->canvas.data[2] + (ptrdiff_t)(fit.y / 2) * v->canvas.stride[2] + fit.x / 2,
    };
    vscaler_run(t->sc, pic, dst, v->canvas.stride);
    return 0;
}

int vmix_compose(struct vmix *v, const struct vframe *const *pics, unsigned n, int speaker)
{
    if (n > VMIX_MAX_TILES)
        return -EINVAL;
    if (n != v->ntiles || (v->p.layout == LAYOUT_SPEAKER && speaker != v->speaker)) {
        struct layout_rect r[VMIX_MAX_TILES];
        int got = n ? layout_compute(v->p.layout, v->p.width, v->p.height, (int)n, speaker, r) : 0;
        if (got < 0)
            return got;
        vframe_fill(&v->canvas, BLACK_Y, CHROMA0, CHROMA0);
        for (unsigned i = 0; i < VMIX_MAX_TILES; i++) {
            v->tiles[i].state = TILE_NONE;
            if (i < n)
                v->tiles[i].cell = r[i];
        }
        v->ntiles = n;
        v->speaker = speaker;
    }
    int err = 0;
    for (unsigned i = 0; i < n && !err; i++)
        err = draw_tile(v, &v->tiles[i], pics[i]);
    v->frame_no = v->next_frame > v->frame_no ? v->next_frame : v->frame_no + 1;
    /* An encoder nobody has asked for in a while goes (its receivers left): it would otherwise
     * keep its buffers for the meeting's life. */
    for (unsigned i = 0; i < NCODECS; i++) {
        if (v->enc[i].enc && v->frame_no - v->enc[i].used_frame > (uint64_t)v->p.fps * 5)
            drop_slot(&v->enc[i]);
    }
    return err;
}

void vmix_set_frame(struct vmix *v, uint64_t frame_no)
{
    v->next_frame = frame_no;
}

void vmix_request_key(struct vmix *v, enum vcodec_id codec)
{
    v->enc[codec].want_key = 1;
}

int vmix_key_pending(const struct vmix *v)
{
    /* A codec without an encoder yet counts: its first receiver is waiting for a canvas. */
    for (unsigned i = 0; i < NCODECS; i++) {
        if (v->enc[i].want_key)
            return 1;
    }
    return 0;
}

void vmix_drop_encoder(struct vmix *v, enum vcodec_id codec)
{
    drop_slot(&v->enc[codec]);
}

static int open_encoder(struct vmix *v, struct venc_slot *e, enum vcodec_id codec)
{
    struct venc_params ep = {
        .width = v->p.width,
        .height = v->p.height,
        .fps = v->p.fps,
        .bitrate_kbps = v->p.kbps,
        .keyint =
            v->p.fps * 5, /* a receiver that lost its keyframe and cannot ask waits at most this */
        .threads = 1,
    };
    int err = venc_create(&e->enc, codec, &ep);
    if (err)
        return err;
    e->want_key = 1;
    return 0;
}

static int packetize(struct vmix *v, struct venc_slot *e, enum vcodec_id codec,
                     const struct venc_frame *f)
{
    size_t need = codec == VCODEC_VP8 ? f->len + VMIX_MAX_PKTS * PAY_VP8_DESC_LEN
                                      : pay_h264_buf_bound(f->len, VMIX_MAX_PAYLOAD);
    if (need > e->cap) {
        uint8_t *b = mcu_realloc(e->buf, need);
        if (!b)
            return -ENOMEM;
        e->buf = b;
        e->cap = need;
    }
    struct vmix_out *o = &e->out;
    o->buf = e->buf;
    o->keyframe = f->keyframe;
    if (codec == VCODEC_VP8) {
        struct pay_vp8_out po = {.buf = e->buf, .cap = e->cap};
        struct pay_vp8_params pp = {VMIX_MAX_PAYLOAD};
        int n = pay_vp8_packetize(&pp, f->data, f->len, f->keyframe, e->picture_id++, &po);
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++)
            o->pkt[i] = (struct vmix_pkt){po.pkt[i].offset, po.pkt[i].len, po.pkt[i].marker};
        o->n = (unsigned)n;
        return 0;
    }
    int n = pay_h264_packetize(f->data, f->len, VMIX_MAX_PAYLOAD, e->buf, e->cap, v->h264_pkts,
                               VMIX_MAX_PKTS);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        o->pkt[i] =
            (struct vmix_pkt){v->h264_pkts[i].off, v->h264_pkts[i].len, v->h264_pkts[i].marker};
    o->n = (unsigned)n;
    return 0;
}

int vmix_encode(struct vmix *v, enum vcodec_id codec, const struct vmix_out **out)
{
    if ((unsigned)codec >= NCODECS)
        return -EINVAL;
    struct venc_slot *e = &v->enc[codec];
    e->used_frame = v->frame_no;
    if (e->encoded && e->encoded_frame == v->frame_no) {
        *out = &e->out;
        return e->out.n ? 0 : -EAGAIN;
    }
    int err = e->enc ? 0 : open_encoder(v, e, codec);
    if (err)
        return err;
    uint64_t key_gap = (uint64_t)v->p.fps * VMIX_KEY_INTERVAL_MS / 1000;
    int force = e->want_key && (!e->have_key || v->frame_no - e->last_key_frame >= key_gap);
    struct venc_frame f;
    e->encoded = 1;
    e->encoded_frame = v->frame_no;
    e->out.n = 0;
    e->out.frame_no = v->frame_no;
    int got = venc_encode(e->enc, &v->canvas, (int64_t)v->frame_no, force, &f);
    if (got < 0)
        return got;
    if (got == 0)
        return -EAGAIN;
    err = packetize(v, e, codec, &f);
    if (err) {
        /* The frame is lost to every receiver, and with it the reference chain: start again
         * from a keyframe at the next chance. */
        e->want_key = 1;
        e->have_key = 0;
        e->out.n = 0;
        return err;
    }
    if (f.keyframe) {
        e->want_key = 0;
        e->have_key = 1;
        e->last_key_frame = v->frame_no;
    }
    *out = &e->out;
    return 0;
}
