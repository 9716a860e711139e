/* Video layout algebra: where each participant's picture goes on a composite canvas.
 * Pure: (layout, canvas size, number of tiles, active speaker) -> rectangles. Every rectangle
 * has even x, y, w and h (I420 chroma planes are half size), lies inside the canvas, and none
 * overlap. */
#ifndef MCU_LAYOUT_H
#define MCU_LAYOUT_H

#define LAYOUT_MAX_TILES 64

enum layout_kind {
    LAYOUT_GRID,    /* a square grid of ceil(sqrt(n))^2 equal cells, used rows centred */
    LAYOUT_SPEAKER, /* the active speaker large on top, the others in a strip below */
};

struct layout_rect {
    int x, y, w, h;
};

/* "grid" / "speaker": 0 or -EINVAL. */
int layout_parse(const char *name, enum layout_kind *kind);

/* Rectangles for n tiles (n <= LAYOUT_MAX_TILES) in display order. For LAYOUT_SPEAKER, tile
 * `speaker` (or tile 0 when speaker < 0 or out of range) gets the large area. Returns the
 * number of rectangles written (n), or -EINVAL for a canvas too small to hold them (cells under
 * 2x2 pixels) or bad arguments. */
int layout_compute(enum layout_kind kind, int canvas_w, int canvas_h, int n, int speaker,
                   struct layout_rect *out);

#endif
