#include "vframe.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "alloc.h"

#define VFRAME_ALIGN 64
#define VFRAME_PAD   64

static int align_up(int n, int a)
{
    return (n + a - 1) / a * a;
}

int vframe_alloc(struct vframe *f, int w, int h)
{
    memset(f, 0, sizeof(*f));
    if (w < 1 || h < 1 || w > VFRAME_MAX_DIM || h > VFRAME_MAX_DIM)
        return -EINVAL;
    int cw = vframe_chroma_w(w), ch = vframe_chroma_h(h);
    /* The pad after each row is in the stride; the pad after each plane covers a kernel reading
     * a vector past the last row's end. */
    int ys = align_up(w + VFRAME_PAD, VFRAME_ALIGN), cs = align_up(cw + VFRAME_PAD, VFRAME_ALIGN);
    size_t ysz = (size_t)ys * (size_t)h + VFRAME_PAD;
    size_t csz = (size_t)cs * (size_t)ch + VFRAME_PAD;
    ysz = (ysz + VFRAME_ALIGN - 1) / VFRAME_ALIGN * VFRAME_ALIGN;
    csz = (csz + VFRAME_ALIGN - 1) / VFRAME_ALIGN * VFRAME_ALIGN;
    uint8_t *m = mcu_malloc_aligned(VFRAME_ALIGN, ysz + 2 * csz);
    if (!m)
        return -ENOMEM;
    f->w = w;
    f->h = h;
    f->mem = m;
    f->data[0] = m;
    f->data[1] = m + ysz;
    f->data[2] = m + ysz + csz;
    f->stride[0] = ys;
    f->stride[1] = f->stride[2] = cs;
    return 0;
}

void vframe_free(struct vframe *f)
{
    if (f->mem)
        mcu_free_aligned(f->mem);
    memset(f, 0, sizeof(*f));
}

static void fill_plane(uint8_t *p, int stride, int x, int y, int w, int h, uint8_t v)
{
    for (int r = 0; r < h; r++)
        memset(p + (ptrdiff_t)(y + r) * stride + x, v, (size_t)w);
}

void vframe_fill_rect(struct vframe *f, int x, int y, int w, int h, uint8_t cy, uint8_t cu,
                      uint8_t cv)
{
    if (w <= 0 || h <= 0)
        return;
    fill_plane(f->data[0], f->stride[0], x, y, w, h, cy);
    int cx = x / 2, cyo = y / 2, cw = vframe_chroma_w(w), chh = vframe_chroma_h(h);
    fill_plane(f->data[1], f->stride[1], cx, cyo, cw, chh, cu);
    fill_plane(f->data[2], f->stride[2], cx, cyo, cw, chh, cv);
}

void vframe_fill(struct vframe *f, uint8_t y, uint8_t u, uint8_t v)
{
    fill_plane(f->data[0], f->stride[0], 0, 0, f->w, f->h, y);
    int cw = vframe_chroma_w(f->w), ch = vframe_chroma_h(f->h);
    fill_plane(f->data[1], f->stride[1], 0, 0, cw, ch, u);
    fill_plane(f->data[2], f->stride[2], 0, 0, cw, ch, v);
}

int vframe_copy(struct vframe *dst, const struct vframe *src)
{
    if (!dst->mem || dst->w != src->w || dst->h != src->h) {
        struct vframe f;
        int err = vframe_alloc(&f, src->w, src->h);
        if (err)
            return err;
        vframe_free(dst);
        *dst = f;
    }
    for (int p = 0; p < 3; p++) {
        int w = p ? vframe_chroma_w(src->w) : src->w, h = p ? vframe_chroma_h(src->h) : src->h;
        for (int r = 0; r < h; r++)
            memcpy(dst->data[p] + (ptrdiff_t)r * dst->stride[p],
                   src->data[p] + (ptrdiff_t)r * src->stride[p], (size_t)w);
    }
    return 0;
}
