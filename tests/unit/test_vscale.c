/* vscale: copies are exact, flat colours survive any scale, gradients stay monotonic, nothing is
 * written outside the destination cell nor read outside an unpadded source, fine detail does not
 * alias when shrinking, and every CPU level gives the C reference's bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "cpu.h"
#include "vscale.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Sizes the compositor uses (cells of 720p from 360p and 720p cameras, a speaker view), odd
 * ones, 1-pixel ones and factors past 2 (one halving first) and past 8 (several). */
static const int sizes[][4] = {
    {640, 360, 426, 240},  {1280, 720, 320, 180}, {320, 180, 640, 360},  {7, 5, 3, 3},
    {1, 1, 16, 16},        {1280, 720, 640, 360}, {640, 360, 1280, 720}, {640, 360, 320, 180},
    {1280, 720, 426, 240}, {16, 16, 1, 1},        {3, 3, 7, 5},          {33, 17, 15, 9},
    {100, 1, 7, 3},        {1, 100, 3, 7},        {640, 360, 640, 180},  {640, 360, 213, 360},
    {999, 555, 97, 61},    {96, 54, 1920, 1080},  {2, 2, 3, 3},          {5, 5, 2, 2},
};

/* The CPU levels to compare: C, SSE2 only, and everything this machine has. */
static unsigned level(int i)
{
    return i == 0 ? 0 : i == 1 ? (cpu_flags() & CPU_FLAG_SSE2) : cpu_flags();
}
#define NLEVELS 3

/* A decoder-like view: planes malloc'd to exactly stride * rows, stride = width + pad, so with
 * pad 0 any read past the last pixel is a heap overflow under ASan. */
struct tight {
    struct vframe f;
};

static void tight_alloc(struct tight *t, int w, int h, int pad)
{
    memset(t, 0, sizeof(*t));
    t->f.w = w;
    t->f.h = h;
    for (int p = 0; p < 3; p++) {
        int pw = p ? vframe_chroma_w(w) : w, ph = p ? vframe_chroma_h(h) : h;
        t->f.stride[p] = pw + pad;
        /* The last row has no pad: a decoder's plane may end at its last pixel. */
        t->f.data[p] = malloc((size_t)(pw + pad) * (size_t)(ph - 1) + (size_t)pw);
        assert_non_null(t->f.data[p]);
    }
}

static void tight_free(struct tight *t)
{
    for (int p = 0; p < 3; p++)
        free(t->f.data[p]);
}

static int plane_w(const struct vframe *f, int p)
{
    return p ? vframe_chroma_w(f->w) : f->w;
}

static int plane_h(const struct vframe *f, int p)
{
    return p ? vframe_chroma_h(f->h) : f->h;
}

static void fill_solid(struct vframe *f, const uint8_t c[3])
{
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < plane_h(f, p); y++)
            memset(f->data[p] + (ptrdiff_t)y * f->stride[p], c[p], (size_t)plane_w(f, p));
}

static uint32_t rng = 12345;
static uint8_t rand8(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (uint8_t)(rng >> 24);
}

static void fill_noise(struct vframe *f)
{
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < plane_h(f, p); y++)
            for (int x = 0; x < plane_w(f, p); x++)
                f->data[p][(ptrdiff_t)y * f->stride[p] + x] = rand8();
}

/* A canvas with a guard pattern all round the cell: the cell's planes start at (gx, gy) in
 * planes GUARD bytes bigger on every side. */
#define GUARD 40
struct canvas {
    uint8_t *mem[3];
    int stride[3], rows[3];
    uint8_t *cell[3];
    int w[3], h[3]; /* the cell's plane sizes */
};

static uint8_t guard_byte(size_t i)
{
    return (uint8_t)(0x5a ^ (i * 13));
}

static void canvas_alloc(struct canvas *c, int w, int h, int gx, int gy)
{
    for (int p = 0; p < 3; p++) {
        c->w[p] = p ? vframe_chroma_w(w) : w;
        c->h[p] = p ? vframe_chroma_h(h) : h;
        c->stride[p] = c->w[p] + 2 * GUARD + (p ? 3 : 1); /* odd strides */
        c->rows[p] = c->h[p] + 2 * GUARD;
        size_t sz = (size_t)c->stride[p] * (size_t)c->rows[p];
        c->mem[p] = malloc(sz);
        assert_non_null(c->mem[p]);
        for (size_t i = 0; i < sz; i++)
            c->mem[p][i] = guard_byte(i);
        int ox = p ? gx / 2 + 1 : gx, oy = p ? gy / 2 + 1 : gy; /* odd offsets too */
        c->cell[p] = c->mem[p] + (ptrdiff_t)oy * c->stride[p] + ox;
    }
}

/* Every byte outside the cell still holds its guard value. */
static void canvas_check_guard(const struct canvas *c)
{
    for (int p = 0; p < 3; p++) {
        size_t sz = (size_t)c->stride[p] * (size_t)c->rows[p];
        size_t start = (size_t)(c->cell[p] - c->mem[p]);
        for (size_t i = 0; i < sz; i++) {
            size_t rel = i - start; /* wraps below the cell: then it is not inside */
            int inside = i >= start && (int)(rel / (size_t)c->stride[p]) < c->h[p] &&
                         (int)(rel % (size_t)c->stride[p]) < c->w[p];
            if (!inside && c->mem[p][i] != guard_byte(i))
                fail_msg("plane %d: byte %zu outside the cell was written", p, i);
        }
    }
}

static void canvas_free(struct canvas *c)
{
    for (int p = 0; p < 3; p++)
        free(c->mem[p]);
}

static uint8_t cell_px(const struct canvas *c, int p, int x, int y)
{
    return c->cell[p][(ptrdiff_t)y * c->stride[p] + x];
}

static void scale_into(const struct vframe *src, struct canvas *c, int dw, int dh, unsigned flags)
{
    struct vscaler *s = NULL;
    assert_int_equal(vscaler_create(&s, src->w, src->h, dw, dh, flags), 0);
    vscaler_run(s, src, c->cell, c->stride);
    vscaler_destroy(&s);
    assert_null(s);
}

static void test_identity_copy(void **state)
{
    static const int dims[][2] = {{640, 360}, {7, 5}, {1, 1}, {33, 2}};
    for (size_t d = 0; d < NELEMS(dims); d++) {
        for (int l = 0; l < NLEVELS; l++) {
            struct tight t;
            tight_alloc(&t, dims[d][0], dims[d][1], 0);
            fill_noise(&t.f);
            struct canvas c;
            canvas_alloc(&c, dims[d][0], dims[d][1], 3, 5);
            scale_into(&t.f, &c, dims[d][0], dims[d][1], level(l));
            for (int p = 0; p < 3; p++)
                for (int y = 0; y < c.h[p]; y++)
                    assert_memory_equal(c.cell[p] + (ptrdiff_t)y * c.stride[p],
                                        t.f.data[p] + (ptrdiff_t)y * t.f.stride[p], c.w[p]);
            canvas_check_guard(&c);
            canvas_free(&c);
            tight_free(&t);
        }
    }
}

static void test_solid_colour(void **state)
{
    static const uint8_t colours[][3] = {
        {16, 128, 128}, {235, 16, 240}, {0, 255, 1}, {81, 90, 240}};
    for (size_t i = 0; i < NELEMS(sizes); i++) {
        const int *sz = sizes[i];
        for (size_t k = 0; k < NELEMS(colours); k++) {
            struct tight t;
            tight_alloc(&t, sz[0], sz[1], 0);
            fill_solid(&t.f, colours[k]);
            struct canvas c;
            canvas_alloc(&c, sz[2], sz[3], 2, 2);
            scale_into(&t.f, &c, sz[2], sz[3], level((int)k % NLEVELS));
            for (int p = 0; p < 3; p++)
                for (int y = 0; y < c.h[p]; y++)
                    for (int x = 0; x < c.w[p]; x++)
                        if (cell_px(&c, p, x, y) != colours[k][p])
                            fail_msg("%dx%d -> %dx%d plane %d (%d,%d): %u, not %u", sz[0], sz[1],
                                     sz[2], sz[3], p, x, y, cell_px(&c, p, x, y), colours[k][p]);
            canvas_check_guard(&c);
            canvas_free(&c);
            tight_free(&t);
        }
    }
}

/* A ramp along x, the same on every row (and a ramp along y for the vertical pass). */
static void fill_ramp(struct vframe *f, int along_x)
{
    for (int p = 0; p < 3; p++) {
        int w = plane_w(f, p), h = plane_h(f, p), n = along_x ? w : h;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int i = along_x ? x : y;
                f->data[p][(ptrdiff_t)y * f->stride[p] + x] =
                    (uint8_t)(n > 1 ? 16 + i * 219 / (n - 1) : 128);
            }
    }
}

static void test_gradient_monotonic(void **state)
{
    for (size_t i = 0; i < NELEMS(sizes); i++) {
        const int *sz = sizes[i];
        for (int along_x = 0; along_x < 2; along_x++) {
            struct tight t;
            tight_alloc(&t, sz[0], sz[1], 5);
            fill_ramp(&t.f, along_x);
            struct canvas c;
            canvas_alloc(&c, sz[2], sz[3], 0, 0);
            scale_into(&t.f, &c, sz[2], sz[3], cpu_flags());
            for (int p = 0; p < 3; p++) {
                for (int y = 0; y < c.h[p]; y++) {
                    for (int x = 0; x < c.w[p]; x++) {
                        uint8_t v = cell_px(&c, p, x, y);
                        /* Non-decreasing along the ramp, constant across it. */
                        if (along_x && x > 0 && v < cell_px(&c, p, x - 1, y))
                            fail_msg("%dx%d -> %dx%d plane %d row %d: x %d %u < %u", sz[0], sz[1],
                                     sz[2], sz[3], p, y, x, v, cell_px(&c, p, x - 1, y));
                        if (!along_x && y > 0 && v < cell_px(&c, p, x, y - 1))
                            fail_msg("%dx%d -> %dx%d plane %d col %d: y %d %u < %u", sz[0], sz[1],
                                     sz[2], sz[3], p, x, y, v, cell_px(&c, p, x, y - 1));
                        if (along_x ? y > 0 && v != cell_px(&c, p, x, 0)
                                    : x > 0 && v != cell_px(&c, p, 0, y))
                            fail_msg("%dx%d -> %dx%d plane %d: not constant across the ramp", sz[0],
                                     sz[1], sz[2], sz[3], p);
                    }
                }
                /* The ends stay near the ramp's ends (edge pixels are clamped, not faded). */
                int n = along_x ? c.w[p] : c.h[p];
                if (n > 1 && (along_x ? plane_w(&t.f, p) : plane_h(&t.f, p)) > 1) {
                    uint8_t first = cell_px(&c, p, 0, 0);
                    uint8_t last = along_x ? cell_px(&c, p, n - 1, 0) : cell_px(&c, p, 0, n - 1);
                    assert_true(first < 128 && last > 128);
                }
            }
            canvas_check_guard(&c);
            canvas_free(&c);
            tight_free(&t);
        }
    }
}

/* Every CPU level gives the C reference's bytes, on noise, at every size, and never writes out
 * of the cell nor reads out of an unpadded source. */
static void test_levels_identical(void **state)
{
    for (size_t i = 0; i < NELEMS(sizes) + 40; i++) {
        int sz[4];
        if (i < NELEMS(sizes)) {
            memcpy(sz, sizes[i], sizeof(sz));
        } else { /* random sizes, mostly small so that every tail shows up */
            for (int k = 0; k < 4; k++)
                sz[k] = 1 + rand8() % (k < 2 ? 200 : 120);
        }
        struct tight t;
        tight_alloc(&t, sz[0], sz[1], 0);
        fill_noise(&t.f);
        struct canvas ref, c;
        canvas_alloc(&ref, sz[2], sz[3], 1, 1);
        scale_into(&t.f, &ref, sz[2], sz[3], 0);
        canvas_check_guard(&ref);
        for (int l = 1; l < NLEVELS; l++) {
            canvas_alloc(&c, sz[2], sz[3], 1, 1);
            scale_into(&t.f, &c, sz[2], sz[3], level(l));
            canvas_check_guard(&c);
            for (int p = 0; p < 3; p++)
                for (int y = 0; y < c.h[p]; y++)
                    if (memcmp(c.cell[p] + (ptrdiff_t)y * c.stride[p],
                               ref.cell[p] + (ptrdiff_t)y * ref.stride[p], (size_t)c.w[p]))
                        fail_msg("%dx%d -> %dx%d flags 0x%x plane %d row %d differs from C", sz[0],
                                 sz[1], sz[2], sz[3], level(l), p, y);
            canvas_free(&c);
        }
        canvas_free(&ref);
        tight_free(&t);
    }
}

/* Shrinking a 1-pixel checkerboard by 3x or 4x must give flat grey, not a moire: the halvings
 * average pixel pairs before the bilinear step. (Bilinear alone would pick 2 of 16 pixels per
 * output and could return full black or white.) */
static void test_downscale_no_alias(void **state)
{
    static const int dims[][4] = {{1280, 720, 320, 180}, {1280, 720, 426, 240}, {999, 555, 97, 61}};
    for (size_t d = 0; d < NELEMS(dims); d++) {
        struct tight t;
        tight_alloc(&t, dims[d][0], dims[d][1], 0);
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < plane_h(&t.f, p); y++)
                for (int x = 0; x < plane_w(&t.f, p); x++)
                    t.f.data[p][(ptrdiff_t)y * t.f.stride[p] + x] = (x + y) & 1 ? 235 : 16;
        struct canvas c;
        canvas_alloc(&c, dims[d][2], dims[d][3], 0, 0);
        scale_into(&t.f, &c, dims[d][2], dims[d][3], cpu_flags());
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < c.h[p]; y++)
                for (int x = 0; x < c.w[p]; x++) {
                    int v = cell_px(&c, p, x, y);
                    /* 125.5 exactly where a footprint covers as much black as white; partial
                     * pixels at odd factors move it by at most a few levels. */
                    if (v < 110 || v > 141)
                        fail_msg("%dx%d -> %dx%d plane %d (%d,%d): %d", dims[d][0], dims[d][1],
                                 dims[d][2], dims[d][3], p, x, y, v);
                }
        canvas_free(&c);
        tight_free(&t);
    }
}

/* Known values: 2x bilinear upscale of (0, 255) samples at 1/4 and 3/4 between source centres,
 * and clamps at the ends; 2x downscale averages pairs. */
static void test_bilinear_values(void **state)
{
    struct tight t;
    tight_alloc(&t, 4, 1, 0);
    const uint8_t row[4] = {0, 255, 100, 100};
    memcpy(t.f.data[0], row, 4);
    t.f.data[1][0] = t.f.data[1][1] = t.f.data[2][0] = t.f.data[2][1] = 128;
    struct canvas c;
    canvas_alloc(&c, 8, 1, 0, 0);
    scale_into(&t.f, &c, 8, 1, cpu_flags());
    /* Output x samples source position (x + 0.5) / 2 - 0.5: -0.25 (clamped to 0), 0.25, 0.75,
     * 1.25, 1.75, 2.25, 2.75, 3.25 (clamped to 3). */
    const uint8_t want[8] = {0, 64, 191, 216, 139, 100, 100, 100};
    assert_memory_equal(c.cell[0], want, 8);
    canvas_free(&c);
    canvas_alloc(&c, 2, 1, 0, 0);
    scale_into(&t.f, &c, 2, 1, 0);
    assert_int_equal(cell_px(&c, 0, 0, 0), 128); /* (0 + 255 + 1) / 2 */
    assert_int_equal(cell_px(&c, 0, 1, 0), 100);
    canvas_free(&c);
    tight_free(&t);
}

/* An exact 2:1 reduction takes the pavgb shortcuts (vlerp at f = 128, hdown2): the result must
 * be the bilinear definition, (a + b + 1) >> 1 of each row pair, then of each column pair. */
static void test_halving_matches_bilinear(void **state)
{
    for (int l = 0; l < NLEVELS; l++) {
        struct tight t;
        tight_alloc(&t, 1280, 720, 3);
        fill_noise(&t.f);
        struct canvas c;
        canvas_alloc(&c, 640, 360, 0, 0);
        scale_into(&t.f, &c, 640, 360, level(l));
        for (int p = 0; p < 3; p++) {
            for (int y = 0; y < c.h[p]; y++) {
                const uint8_t *r0 = t.f.data[p] + (ptrdiff_t)(2 * y) * t.f.stride[p];
                const uint8_t *r1 = r0 + t.f.stride[p];
                for (int x = 0; x < c.w[p]; x++) {
                    int m0 = (r0[2 * x] + r1[2 * x] + 1) >> 1;
                    int m1 = (r0[2 * x + 1] + r1[2 * x + 1] + 1) >> 1;
                    assert_int_equal(cell_px(&c, p, x, y), (m0 + m1 + 1) >> 1);
                }
            }
        }
        canvas_free(&c);
        tight_free(&t);
    }
}

static uint8_t avg2(int a, int b)
{
    return (uint8_t)((a + b + 1) >> 1);
}

/* Past 2x the scaler halves first. At exactly 4x that is all it does: each output is the 4x4
 * box, rows first (a downscale runs vertical first), each halving rounding up. */
static void test_quarter_is_box(void **state)
{
    for (int l = 0; l < NLEVELS; l++) {
        struct tight t;
        tight_alloc(&t, 1280, 720, 0);
        fill_noise(&t.f);
        struct canvas c;
        canvas_alloc(&c, 320, 180, 0, 0);
        scale_into(&t.f, &c, 320, 180, level(l));
        for (int p = 0; p < 3; p++) {
            for (int y = 0; y < c.h[p]; y++) {
                const uint8_t *r[4];
                for (int k = 0; k < 4; k++)
                    r[k] = t.f.data[p] + (ptrdiff_t)(4 * y + k) * t.f.stride[p];
                for (int x = 0; x < c.w[p]; x++) {
                    uint8_t col[4];
                    for (int i = 0; i < 4; i++) {
                        int sx = 4 * x + i;
                        col[i] = avg2(avg2(r[0][sx], r[1][sx]), avg2(r[2][sx], r[3][sx]));
                    }
                    assert_int_equal(cell_px(&c, p, x, y),
                                     avg2(avg2(col[0], col[1]), avg2(col[2], col[3])));
                }
            }
        }
        canvas_free(&c);
        tight_free(&t);
    }
}

static void test_bad_arguments(void **state)
{
    struct vscaler *s = (struct vscaler *)&s; /* not NULL: create must clear it */
    assert_int_equal(vscaler_create(NULL, 2, 2, 2, 2, 0), -EINVAL);
    assert_int_equal(vscaler_create(&s, 0, 2, 2, 2, 0), -EINVAL);
    assert_null(s);
    assert_int_equal(vscaler_create(&s, 2, 2, 2, VFRAME_MAX_DIM + 1, 0), -EINVAL);
    assert_int_equal(vscaler_create(&s, 2, -1, 2, 2, 0), -EINVAL);
    assert_int_equal(vscaler_create(&s, VFRAME_MAX_DIM, VFRAME_MAX_DIM, 1, 1, cpu_flags()), 0);
    vscaler_destroy(&s);
    assert_null(s);
    vscaler_destroy(&s);
    vscaler_destroy(NULL);
}

/* Every allocation of create can fail and is unwound (ASan reports any leak). */
static void test_oom(void **state)
{
    static const int dims[][4] = {{640, 360, 426, 240}, {1280, 720, 320, 180}, {8, 8, 8, 8}};
    for (size_t d = 0; d < NELEMS(dims); d++) {
        int err = -ENOMEM;
        for (long n = 0; err == -ENOMEM && n < 100; n++) {
            struct vscaler *s = NULL;
            mcu_alloc_fail_after(n);
            err = vscaler_create(&s, dims[d][0], dims[d][1], dims[d][2], dims[d][3], 0);
            mcu_alloc_fail_after(-1);
            if (err)
                assert_null(s);
            vscaler_destroy(&s);
        }
        assert_int_equal(err, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_copy),
        cmocka_unit_test(test_solid_colour),
        cmocka_unit_test(test_gradient_monotonic),
        cmocka_unit_test(test_levels_identical),
        cmocka_unit_test(test_downscale_no_alias),
        cmocka_unit_test(test_bilinear_values),
        cmocka_unit_test(test_halving_matches_bilinear),
        cmocka_unit_test(test_quarter_is_box),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
