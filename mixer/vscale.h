/* Picture scaler for the composite video mixer: one I420 source size to one destination size,
 * written straight into a cell of a bigger canvas.
 *
 * Filter, per axis and per plane (chroma is scaled as its own picture, from the chroma sizes):
 * - same size: a straight copy (both axes the same: a row-by-row memcpy of each plane);
 * - up to 2x smaller, and any upscale: bilinear with centred sample positions (output pixel x
 *   samples the source at (x + 0.5) * src / dst - 0.5, clamped to the edge pixels, in 1/256
 *   pixel), like swscale's SWS_BILINEAR when upscaling. Between 1x and 2x smaller this is plain
 *   2-tap bilinear: the finest detail can alias there (as with SWS_FAST_BILINEAR; SWS_BILINEAR
 *   widens its filter instead);
 * - more than 2x smaller: the source is averaged so that it does not alias. Vertically, an area
 *   average (each output row is the mean of the source rows it covers, edge rows weighted by
 *   the covered fraction; weights in 1/16384). Horizontally, a box pre-pass: exact 2-pixel
 *   averages, repeated until at most 2x is left, then the bilinear step (in halved pixels).
 *   At 4x, 8x, ... that is a 4-, 8-pixel box like the area average (rounded at each halving);
 *   in between it is a box and a bilinear step of at most 2x. It runs 4-5x faster than a gathered
 * N-tap area filter on the rows; on rows the area filter is the cheap one. Passes are separable,
 * each rounding to nearest, so a solid colour stays exactly that colour. Downscales run vertical
 * first (into one row buffer, reading exactly the source pixels, so a decoder's unpadded view is
 * fine), upscales horizontal first (each source row copied into the padded buffer and scaled once,
 * two scaled rows kept). The order is picked from the sizes, never from the CPU flags: every CPU
 * level gives the C reference's bytes.
 *
 * Threads: a scaler owns its row buffers, so one scaler serves one thread at a time; create
 * several for parallel cells. vscaler_run allocates nothing. */
#ifndef MCU_VSCALE_H
#define MCU_VSCALE_H

#include <stdint.h>

#include "vframe.h"

struct vscaler;

/* A scaler from src_w x src_h to dst_w x dst_h I420 (each 1..VFRAME_MAX_DIM; odd sizes OK).
 * cpu_flags from cpu_flags() picks the kernels; 0 = C reference (the results are the same bit
 * for bit at every level). Returns 0, -EINVAL (NULL out or a size out of range) or -ENOMEM; on
 * error *out is NULL. */
int vscaler_create(struct vscaler **out, int src_w, int src_h, int dst_w, int dst_h,
                   unsigned cpu_flags);
/* Free the scaler and set *sp to NULL; safe on NULL and on *sp == NULL. */
void vscaler_destroy(struct vscaler **sp);

/* Scale src (its w, h must equal the sizes given at create: an assert in debug builds, and
 * in release a frame of another size is ignored, the cell left as it was) into the
 * rectangle whose planes start at dst_planes with dst_stride: exactly dst_w x dst_h luma bytes
 * and ceil(dst_w / 2) x ceil(dst_h / 2) bytes of each chroma plane are written, nothing around
 * them. Reads exactly the source's w x h and chroma pixels (no over-read: src may be a view). */
void vscaler_run(struct vscaler *s, const struct vframe *src, uint8_t *const dst_planes[3],
                 const int dst_stride[3]);

#endif
