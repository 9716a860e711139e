/* Grid and speaker layouts. */
#include "layout.h"

#include <errno.h>
#include <string.h>

static int even_down(int v)
{
    return v & ~1;
}

int layout_parse(const char *name, enum layout_kind *kind)
{
    if (!strcmp(name, "grid"))
        *kind = LAYOUT_GRID;
    else if (!strcmp(name, "speaker"))
        *kind = LAYOUT_SPEAKER;
    else
        return -EINVAL;
    return 0;
}

static int ceil_sqrt(int n)
{
    int c = 1;
    while (c * c < n)
        c++;
    return c;
}

/* n equal cells in an area: a square grid of cols x cols (1, 2x2, 3x3, 4x4, ...), so every cell
 * has the canvas's shape; the rows in use are centred vertically and the last (short) row
 * horizontally. */
static int grid(int x0, int y0, int w, int h, int n, struct layout_rect *out)
{
    int cols = ceil_sqrt(n), rows = (n + cols - 1) / cols;
    int cw = even_down(w / cols), ch = even_down(h / cols);
    if (cw < 2 || ch < 2)
        return -EINVAL;
    int top = y0 + even_down((h - rows * ch) / 2);
    for (int i = 0; i < n; i++) {
        int row = i / cols, col = i % cols;
        int in_row = row == rows - 1 ? n - row * cols : cols;
        int left = x0 + even_down((w - in_row * cw) / 2);
        out[i] = (struct layout_rect){left + col * cw, top + row * ch, cw, ch};
    }
    return n;
}

/* The speaker on the top three quarters; the others share the bottom quarter in one row. */
static int speaker(int w, int h, int n, int spk, struct layout_rect *out)
{
    if (n == 1)
        return grid(0, 0, w, h, 1, out);
    if (spk < 0 || spk >= n)
        spk = 0;
    int strip_h = even_down(h / 4), main_h = h - strip_h;
    struct layout_rect strip[LAYOUT_MAX_TILES];
    int others = n - 1;
    int tw = even_down(w / (others < 4 ? 4 : others));
    if (tw < 2 || strip_h < 2 || main_h < 2)
        return -EINVAL;
    int left = even_down((w - others * tw) / 2);
    for (int k = 0; k < others; k++)
        strip[k] = (struct layout_rect){left + k * tw, main_h, tw, strip_h};
    out[spk] = (struct layout_rect){0, 0, even_down(w), even_down(main_h)};
    for (int i = 0, k = 0; i < n; i++) {
        if (i != spk)
            out[i] = strip[k++];
    }
    return n;
}

int layout_compute(enum layout_kind kind, int canvas_w, int canvas_h, int n, int speaker_idx,
                   struct layout_rect *out)
{
    if (n < 1 || n > LAYOUT_MAX_TILES || canvas_w < 2 || canvas_h < 2)
        return -EINVAL;
    if (kind == LAYOUT_SPEAKER)
        return speaker(canvas_w, canvas_h, n, speaker_idx, out);
    return grid(0, 0, canvas_w, canvas_h, n, out);
}
