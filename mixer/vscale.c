/* Picture scaler: builds the per-axis tables at create, then runs the video_dsp kernels one row
 * at a time (see vscale.h for the filter and the order of the passes). */
#include "vscale.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "video_dsp.h"

/* 4096 rows or pixels down to 1 take 11 halvings (then 2x is left). */
#define MAX_HALVINGS 12

/* What is left of an axis after its halvings: the bilinear tables may come out as the identity
 * or as an exact halving, which a copy or hdown2 computes bit for bit the same. */
enum axis_final { FIN_LERP, FIN_HALF, FIN_NONE };

/* One axis of one plane: src_n pixels (or rows) onto dst_n. Same size is a copy; otherwise
 * `halvings` 2:1 box steps while more than 2x is left, then bilinear in halved units. */
struct axis {
    int src_n, dst_n;
    int copy;
    int halvings;
    int lvl_n[MAX_HALVINGS + 1]; /* pixels or rows after k halvings */
    enum axis_final fin;
    int32_t *pos;  /* first (halved) pixel or row of each output */
    int16_t *w;    /* (256 - f, f) in Q8 per output */
    int32_t *base; /* horizontal: window start of each group of 8 outputs (hlerp) */
    uint8_t *off;  /* horizontal: pos - base of each output */
};

struct vscale_plane {
    struct axis h, v;
    /* Run the horizontal pass first, on each source row once, and blend the scaled rows (an
     * upscale). Chosen at create from the sizes alone, never from the CPU flags, so every level
     * computes the same thing in the same order. */
    int hfirst;
};

/* Rows made once and used by up to two output rows: row r sits in slot r & 1, so the pair a
 * blend needs (r, r + 1) never shares a slot. */
struct rowcache {
    uint8_t *slot[2];
    int tag[2];
};

struct vscaler {
    int src_w, src_h, dst_w, dst_h;
    struct video_dsp dsp;
    struct vscale_plane plane[2]; /* luma; both chroma planes */
    uint8_t *row;                 /* the horizontal pass's input, padded for its over-read */
    uint8_t *row2;                /* horizontal halvings ping-pong between row and row2 */
    /* hfirst: source rows scaled horizontally; vertical halvings: rows of the last level.
     * A plane uses one or the other, and the cache is emptied at the start of each plane. */
    struct rowcache cache;
    uint8_t *vtmp[2 * MAX_HALVINGS]; /* vertical halvings: two rows per level between */
};

/* Room after a row in the row buffers: hlerp reads 16 bytes from a window start (at most the
 * last pixel), and a halving of an odd row first repeats its last pixel after it. */
#define ROW_PAD VIDEO_HLERP_WINDOW

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Bilinear positions in Q8: output i samples the source at (i + 0.5) * src / dst - 0.5, rounded
 * to 1/256 pixel and clamped to [0, last] (at the last pixel the second tap weighs 0). After m
 * halvings, halved pixel j is centred on source pixel 2^m * j + (2^m - 1) / 2, so the same point
 * is at (i + 0.5) * src / (2^m * dst) - 0.5 in halved pixels. */
static void lerp_tables(struct axis *a, int m, int last)
{
    const int64_t src = a->src_n, dstm = (int64_t)a->dst_n << m;
    for (int i = 0; i < a->dst_n; i++) {
        int64_t q = floor_div(((2 * (int64_t)i + 1) * src - dstm) * 256 + dstm, 2 * dstm);
        int32_t p = (int32_t)(q >> 8), f = (int32_t)(q & 255);
        if (q < 0)
            p = f = 0;
        if (p >= last) {
            p = last;
            f = 0;
        }
        a->pos[i] = p;
        a->w[2 * i] = (int16_t)(256 - f);
        a->w[2 * i + 1] = (int16_t)f;
    }
}

/* Whether the tables are the identity or an exact halving. */
static enum axis_final lerp_final(const struct axis *a)
{
    const int mid = a->lvl_n[a->halvings];
    int same = mid == a->dst_n, half = mid == 2 * a->dst_n;
    for (int i = 0; i < a->dst_n; i++) {
        same &= a->pos[i] == i && a->w[2 * i + 1] == 0;
        half &= a->pos[i] == 2 * i && a->w[2 * i + 1] == 128;
    }
    return same ? FIN_NONE : half ? FIN_HALF : FIN_LERP;
}

/* Groups of 8 outputs share the window at their first output's pixel. At a scale factor of at
 * most 2 the group's last output starts at most 14 pixels later, so its pair ends inside the
 * 16-byte window that hlerp's contract allows. */
static void hlerp_groups(struct axis *a)
{
    for (int i = 0; i < a->dst_n; i++) {
        if (i % VIDEO_HLERP_GROUP == 0)
            a->base[i / VIDEO_HLERP_GROUP] = a->pos[i];
        int32_t off = a->pos[i] - a->base[i / VIDEO_HLERP_GROUP];
        assert(off >= 0 && off + 1 < VIDEO_HLERP_WINDOW);
        a->off[i] = (uint8_t)off;
    }
}

static void axis_free(struct axis *a)
{
    mcu_free(a->pos);
    mcu_free(a->w);
    mcu_free(a->base);
    mcu_free(a->off);
    memset(a, 0, sizeof(*a));
}

/* Halvings while more than 2x is left, then bilinear. Halving first is the box pre-pass that
 * keeps a big reduction from aliasing: at 4x, 8x, ... it is the 4-, 8-pixel box (rounded at each
 * halving, so up to one level above a single rounding of the mean), in between a box followed by
 * a bilinear step of at most 2x. The halved pixel j is centred where lerp_tables expects it. */
static int axis_init(struct axis *a, int src_n, int dst_n, int horizontal)
{
    memset(a, 0, sizeof(*a));
    a->src_n = src_n;
    a->dst_n = dst_n;
    if (src_n == dst_n) {
        a->copy = 1;
        return 0;
    }
    while ((int64_t)src_n > ((int64_t)dst_n << (a->halvings + 1)))
        a->halvings++;
    a->lvl_n[0] = src_n;
    for (int k = 1; k <= a->halvings; k++) /* an odd count's last one pairs with itself */
        a->lvl_n[k] = (a->lvl_n[k - 1] + 1) / 2;
    size_t n = (size_t)dst_n;
    a->pos = mcu_malloc(n * sizeof(*a->pos));
    a->w = mcu_malloc(2 * n * sizeof(*a->w));
    if (horizontal) {
        a->base = mcu_malloc((n + VIDEO_HLERP_GROUP - 1) / VIDEO_HLERP_GROUP * sizeof(*a->base));
        a->off = mcu_malloc(n);
    }
    if (!a->pos || !a->w || (horizontal && (!a->base || !a->off)))
        return -ENOMEM;
    lerp_tables(a, a->halvings, a->lvl_n[a->halvings] - 1);
    if (horizontal)
        hlerp_groups(a);
    a->fin = lerp_final(a);
    return 0;
}

/* Which order costs less, in units of one vlerp pixel; a horizontal output costs about 3 (from
 * checkasm --bench: hlerp 0.11 ns an output, vlerp 0.037 ns a pixel, with AVX2; about 2 in C
 * and 4 with SSE2, but the choice must not depend on the level, so one constant). Vertical first
 * blends src_w pixels and scales once per output row; horizontal first scales each source row
 * once and blends dst_w pixels per output row. So an upscale goes horizontal first and a
 * downscale vertical first; vertical halvings (a big reduction) always go vertical first. */
static int pick_hfirst(const struct vscale_plane *p)
{
    if (p->v.copy || p->v.halvings || p->h.copy)
        return 0;
    const int64_t h_cost = 3;
    int64_t vfirst = (int64_t)p->v.dst_n * (p->h.src_n + h_cost * p->h.dst_n);
    int64_t hfirst = (int64_t)p->v.src_n * h_cost * p->h.dst_n + (int64_t)p->v.dst_n * p->h.dst_n;
    return hfirst < vfirst;
}

static int plane_init(struct vscale_plane *p, int sw, int sh, int dw, int dh)
{
    int err = axis_init(&p->h, sw, dw, 1);
    if (!err)
        err = axis_init(&p->v, sh, dh, 0);
    if (!err)
        p->hfirst = pick_hfirst(p);
    return err;
}

void vscaler_destroy(struct vscaler **sp)
{
    struct vscaler *s = sp ? *sp : NULL;
    if (!s)
        return;
    for (int i = 0; i < 2; i++) {
        axis_free(&s->plane[i].h);
        axis_free(&s->plane[i].v);
    }
    mcu_free(s->row);
    mcu_free(s->row2);
    mcu_free(s->cache.slot[0]);
    mcu_free(s->cache.slot[1]);
    for (int i = 0; i < 2 * MAX_HALVINGS; i++)
        mcu_free(s->vtmp[i]);
    mcu_free(s);
    *sp = NULL;
}

static int valid_dim(int n)
{
    return n >= 1 && n <= VFRAME_MAX_DIM;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* The row buffers, sized for luma (the widest rows; chroma may need one more halving at most
 * where its rounded-up size changes the factor, so the level count is taken from both). */
static int buffers_alloc(struct vscaler *s)
{
    /* Zeroed, so the bytes past a row that hlerp reads (with weight 0) are defined. */
    s->row = mcu_calloc((size_t)s->src_w + ROW_PAD, 1);
    s->row2 = mcu_calloc((size_t)(s->src_w + 1) / 2 + ROW_PAD, 1);
    if (!s->row || !s->row2)
        return -ENOMEM;
    int vh = max_int(s->plane[0].v.halvings, s->plane[1].v.halvings);
    if (vh || s->plane[0].hfirst || s->plane[1].hfirst) {
        for (int i = 0; i < 2; i++) {
            s->cache.slot[i] = mcu_malloc((size_t)max_int(s->src_w, s->dst_w));
            if (!s->cache.slot[i])
                return -ENOMEM;
        }
    }
    for (int i = 0; i < 2 * (vh - 1); i++) { /* the levels between the source and the last */
        s->vtmp[i] = mcu_malloc((size_t)s->src_w);
        if (!s->vtmp[i])
            return -ENOMEM;
    }
    return 0;
}

int vscaler_create(struct vscaler **out, int src_w, int src_h, int dst_w, int dst_h,
                   unsigned cpu_flags)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!valid_dim(src_w) || !valid_dim(src_h) || !valid_dim(dst_w) || !valid_dim(dst_h))
        return -EINVAL;
    struct vscaler *s = mcu_calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->src_w = src_w;
    s->src_h = src_h;
    s->dst_w = dst_w;
    s->dst_h = dst_h;
    video_dsp_init(&s->dsp, cpu_flags);
    int err = plane_init(&s->plane[0], src_w, src_h, dst_w, dst_h);
    if (!err)
        err = plane_init(&s->plane[1], vframe_chroma_w(src_w), vframe_chroma_h(src_h),
                         vframe_chroma_w(dst_w), vframe_chroma_h(dst_h));
    if (!err)
        err = buffers_alloc(s);
    if (err) {
        vscaler_destroy(&s);
        return err;
    }
    *out = s;
    return 0;
}

/* One plane's source, for the row makers below. */
struct plane_src {
    const uint8_t *data;
    ptrdiff_t stride;
    int n; /* source row length */
};

/* Row j after k vertical halvings: the pavgb (vlerp at 128) of rows 2j and 2j + 1 one level up,
 * the last one alone when a level has an odd count. Level 0 is the source row itself; the others
 * are made into `out`, with the levels between using vtmp (two rows each). */
static const uint8_t *vhalved(struct vscaler *s, const struct axis *v, const struct plane_src *ps,
                              int k, int j, uint8_t *out)
{
    if (k == 0)
        return ps->data + j * ps->stride;
    uint8_t *ta = k >= 2 ? s->vtmp[2 * (k - 2)] : NULL,
            *tb = k >= 2 ? s->vtmp[2 * (k - 2) + 1] : NULL;
    const uint8_t *a = vhalved(s, v, ps, k - 1, 2 * j, ta);
    if (2 * j + 1 >= v->lvl_n[k - 1]) {
        memcpy(out, a, (size_t)ps->n);
        return out;
    }
    s->dsp.vlerp(out, a, vhalved(s, v, ps, k - 1, 2 * j + 1, tb), 128, ps->n);
    return out;
}

/* Row r of the last vertical level, from the cache or made now. */
static const uint8_t *vrow(struct vscaler *s, const struct axis *v, const struct plane_src *ps,
                           int r)
{
    if (!v->halvings)
        return ps->data + r * ps->stride;
    if (s->cache.tag[r & 1] != r) {
        vhalved(s, v, ps, v->halvings, r, s->cache.slot[r & 1]);
        s->cache.tag[r & 1] = r;
    }
    return s->cache.slot[r & 1];
}

/* The vertical pass for output row y: a source-width row into mid. */
static void vertical(struct vscaler *s, const struct axis *v, const struct plane_src *ps, int y,
                     uint8_t *mid)
{
    if (v->copy) {
        memcpy(mid, ps->data + y * ps->stride, (size_t)ps->n);
        return;
    }
    if (v->fin == FIN_NONE) { /* 4x, 8x, ...: the halvings alone (made straight into mid) */
        vhalved(s, v, ps, v->halvings, y, mid);
        return;
    }
    int r = v->pos[y], f = v->w[2 * y + 1];
    const uint8_t *a = vrow(s, v, ps, r);
    if (f == 0) /* on a row (edges, integer factors): nothing to blend */
        memcpy(mid, a, (size_t)ps->n);
    else /* f > 0 only above the last row, so row r + 1 exists */
        s->dsp.vlerp(mid, a, vrow(s, v, ps, r + 1), f, ps->n);
}

/* The horizontal pass from the row buffer (its src_n pixels) into out. */
static void horizontal(struct vscaler *s, const struct axis *h, uint8_t *out)
{
    uint8_t *in = s->row, *spare = s->row2;
    int n = h->src_n;
    for (int k = 0; k < h->halvings; k++) {
        if (n & 1) /* the last pixel pairs with itself */
            in[n] = in[n - 1];
        n = (n + 1) / 2;
        /* With nothing after it, the last halving writes the destination itself. */
        uint8_t *to = k == h->halvings - 1 && h->fin == FIN_NONE ? out : spare;
        s->dsp.hdown2(to, in, n);
        spare = in;
        in = to;
    }
    if (h->fin == FIN_LERP)
        s->dsp.hlerp(out, in, h->base, h->off, h->w, h->dst_n);
    else if (h->fin == FIN_HALF)
        s->dsp.hdown2(out, in, h->dst_n);
    /* FIN_NONE: the last halving wrote out (without halvings the axis is a copy) */
}

/* hfirst: source row r scaled horizontally, from the cache or made now. */
static const uint8_t *hrow(struct vscaler *s, const struct vscale_plane *p,
                           const struct plane_src *ps, int r)
{
    if (s->cache.tag[r & 1] != r) {
        /* Copied first: the horizontal kernels may read past the row, and the source may be a
         * view that ends right after its last pixel. */
        memcpy(s->row, ps->data + r * ps->stride, (size_t)ps->n);
        horizontal(s, &p->h, s->cache.slot[r & 1]);
        s->cache.tag[r & 1] = r;
    }
    return s->cache.slot[r & 1];
}

static void scale_plane(struct vscaler *s, const struct vscale_plane *p, const struct plane_src *ps,
                        uint8_t *dst, ptrdiff_t dstride)
{
    s->cache.tag[0] = s->cache.tag[1] = -1; /* a new picture or plane */
    for (int y = 0; y < p->v.dst_n; y++) {
        uint8_t *out = dst + y * dstride;
        if (p->hfirst) {
            int r = p->v.pos[y], f = p->v.w[2 * y + 1];
            const uint8_t *a = hrow(s, p, ps, r);
            if (f == 0)
                memcpy(out, a, (size_t)p->h.dst_n);
            else
                s->dsp.vlerp(out, a, hrow(s, p, ps, r + 1), f, p->h.dst_n);
            continue;
        }
        /* Without a horizontal pass the vertical one writes the destination row itself. */
        vertical(s, &p->v, ps, y, p->h.copy ? out : s->row);
        if (!p->h.copy)
            horizontal(s, &p->h, out);
    }
}

void vscaler_run(struct vscaler *s, const struct vframe *src, uint8_t *const dst_planes[3],
                 const int dst_stride[3])
{
    /* A frame of another size would be read out of bounds: a caller bug, loud in debug builds,
     * and in release the cell keeps its previous picture. */
    assert(src->w == s->src_w && src->h == s->src_h);
    if (src->w != s->src_w || src->h != s->src_h)
        return;
    for (int i = 0; i < 3; i++) {
        const struct vscale_plane *p = &s->plane[i ? 1 : 0];
        struct plane_src ps = {src->data[i], src->stride[i], p->h.src_n};
        scale_plane(s, p, &ps, dst_planes[i], dst_stride[i]);
    }
}
