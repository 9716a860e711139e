/* An I420 picture: the one frame type shared by decoders, the compositor and encoders.
 * A frame is either a view (planes owned by someone else, e.g. a decoder's output until its
 * next call) or owns its planes (vframe_alloc). Owned planes have strides that are multiples of
 * 64 and 64 spare bytes after every row and plane, so SIMD kernels may read (never write) up to
 * a whole vector past a row's last pixel. */
#ifndef MCU_VFRAME_H
#define MCU_VFRAME_H

#include <stdint.h>

#define VFRAME_MAX_DIM 4096 /* widest and tallest picture accepted anywhere */

struct vframe {
    int w, h;         /* luma size; chroma is ((w + 1) / 2) x ((h + 1) / 2) */
    uint8_t *data[3]; /* Y, U, V */
    int stride[3];    /* bytes between rows */
    void *mem;        /* non-NULL when the frame owns its planes */
};

/* Allocate planes for w x h (1..VFRAME_MAX_DIM each; odd sizes allowed), contents
 * uninitialised. 0, -EINVAL or -ENOMEM; on error *f is zeroed. */
int vframe_alloc(struct vframe *f, int w, int h);
/* Free owned planes (a view is only cleared). Safe on a zeroed frame. */
void vframe_free(struct vframe *f);
/* Paint the whole picture, or the rectangle (x, y, w, h) with even x, y, w and h inside it,
 * with one colour (BT.601 limited-range Y, U, V). */
void vframe_fill(struct vframe *f, uint8_t y, uint8_t u, uint8_t v);
void vframe_fill_rect(struct vframe *f, int x, int y, int w, int h, uint8_t cy, uint8_t cu,
                      uint8_t cv);
/* Copy src's pixels into dst, which is (re)allocated when it does not own planes of src's size.
 * 0, or -ENOMEM/-EINVAL with dst unchanged. */
int vframe_copy(struct vframe *dst, const struct vframe *src);
/* Chroma plane size of a w x h picture. */
static inline int vframe_chroma_w(int w)
{
    return (w + 1) / 2;
}
static inline int vframe_chroma_h(int h)
{
    return (h + 1) / 2;
}

#endif
