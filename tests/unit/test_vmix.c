/* The composite video: grid and speaker layouts with the pictures in the right cells, aspect kept
 * with black bars, grey for a participant without a picture yet, one encode per codec per
 * canvas, and keyframes granted at most every VMIX_KEY_INTERVAL_MS. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu.h"
#include "vcodec.h"
#include "vframe.h"
#include "vmix.h"

#define CW 640
#define CH 360

static const uint8_t colours[4][3] = {
    {81, 90, 240}, {145, 54, 34}, {41, 240, 110}, {235, 128, 128}};

static void solid(struct vframe *f, int w, int h, const uint8_t *c)
{
    assert_int_equal(vframe_alloc(f, w, h), 0);
    vframe_fill(f, c[0], c[1], c[2]);
}

/* The canvas pixel (luma, and the chroma sample over it). */
static void pixel(const struct vframe *f, int x, int y, uint8_t *yuv)
{
    yuv[0] = f->data[0][y * f->stride[0] + x];
    yuv[1] = f->data[1][(y / 2) * f->stride[1] + x / 2];
    yuv[2] = f->data[2][(y / 2) * f->stride[2] + x / 2];
}

static void assert_colour(const struct vframe *f, int x, int y, const uint8_t *c)
{
    uint8_t p[3];
    pixel(f, x, y, p);
    for (int i = 0; i < 3; i++)
        assert_int_equal(p[i], c[i]);
}

/* Four 320x180 pictures, one of each test colour. */
static void four_colours(struct vframe *pics, const struct vframe **in)
{
    for (int i = 0; i < 4; i++) {
        solid(&pics[i], 320, 180, colours[i]);
        in[i] = &pics[i];
    }
}

static void test_grid(void **state)
{
    struct vmix *v;
    struct vmix_params p = {CW, CH, 30, 800, LAYOUT_GRID, cpu_flags()};
    assert_int_equal(vmix_create(&v, &p), 0);
    struct vframe pics[4];
    const struct vframe *in[4];
    four_colours(pics, in);
    assert_int_equal(vmix_compose(v, in, 4, -1), 0);
    const struct vframe *c = vmix_canvas(v);
    assert_colour(c, CW / 4, CH / 4, colours[0]);
    assert_colour(c, 3 * CW / 4, CH / 4, colours[1]);
    assert_colour(c, CW / 4, 3 * CH / 4, colours[2]);
    assert_colour(c, 3 * CW / 4, 3 * CH / 4, colours[3]);
    /* Cell corners too: a same-aspect picture fills its cell exactly. */
    assert_colour(c, 0, 0, colours[0]);
    assert_colour(c, CW - 1, CH - 1, colours[3]);

    /* Tile 1 has no picture yet: grey. A 4:3 picture in a 16:9 cell: black bars at the sides. */
    static const uint8_t grey[3] = {64, 128, 128}, black[3] = {16, 128, 128};
    struct vframe square;
    solid(&square, 240, 180, colours[2]);
    in[1] = NULL;
    in[2] = &square;
    assert_int_equal(vmix_compose(v, in, 4, -1), 0);
    assert_colour(c, 3 * CW / 4, CH / 4, grey);
    assert_colour(c, CW / 4, 3 * CH / 4, colours[2]);
    assert_colour(c, 2, 3 * CH / 4, black);
    assert_colour(c, CW / 2 - 2, 3 * CH / 4, black);
    vframe_free(&square);

    /* One tile: the whole canvas. */
    assert_int_equal(vmix_compose(v, in, 1, -1), 0);
    assert_colour(c, CW / 2, CH / 2, colours[0]);
    assert_colour(c, CW - 2, CH - 2, colours[0]);
    assert_int_equal(vmix_compose(v, in, VMIX_MAX_TILES + 1, -1), -EINVAL);
    for (int i = 0; i < 4; i++)
        vframe_free(&pics[i]);
    vmix_destroy(&v);
    assert_null(v);
}

static void test_speaker(void **state)
{
    struct vmix *v;
    struct vmix_params p = {CW, CH, 30, 800, LAYOUT_SPEAKER, cpu_flags()};
    assert_int_equal(vmix_create(&v, &p), 0);
    struct vframe pics[4];
    const struct vframe *in[4];
    four_colours(pics, in);
    const struct vframe *c = vmix_canvas(v);
    /* The speaker's picture is the big one, centred at the top: follow it as it changes. */
    for (int spk = 0; spk < 4; spk++) {
        assert_int_equal(vmix_compose(v, in, 4, spk), 0);
        assert_colour(c, CW / 2, CH / 3, colours[spk]);
    }
    for (int i = 0; i < 4; i++)
        vframe_free(&pics[i]);
    vmix_destroy(&v);
}

static void test_encode_shared(void **state)
{
    struct vmix *v;
    struct vmix_params p = {CW, CH, 30, 800, LAYOUT_GRID, cpu_flags()};
    assert_int_equal(vmix_create(&v, &p), 0);
    struct vframe pic;
    solid(&pic, 320, 180, colours[0]);
    const struct vframe *in[1] = {&pic};
    const struct vmix_out *a, *b, *h;
    assert_int_equal(vmix_compose(v, in, 1, -1), 0);
    assert_int_equal(vmix_encode(v, VCODEC_VP8, &a), 0);
    assert_true(a->keyframe); /* the first frame of a new encoder */
    assert_true(a->n >= 1);
    assert_true(a->pkt[a->n - 1].marker);
    for (unsigned k = 0; k < a->n; k++)
        assert_true(a->pkt[k].len <= VMIX_MAX_PAYLOAD);
    uint64_t frame = a->frame_no;
    /* The same canvas asked again: the same packets, not a second encode. */
    assert_int_equal(vmix_encode(v, VCODEC_VP8, &b), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(b->frame_no, frame);
    assert_int_equal(vmix_encode(v, VCODEC_H264, &h), 0);
    assert_true(h->keyframe);
    assert_ptr_not_equal(h, a);

    /* Keyframes on request, at most one per VMIX_KEY_INTERVAL_MS (9 frames at 30 fps). */
    int keys = 0, first_key = -1;
    for (int t = 1; t <= 30; t++) {
        vmix_request_key(v, VCODEC_VP8); /* a receiver asking every frame */
        assert_int_equal(vmix_compose(v, in, 1, -1), 0);
        assert_int_equal(vmix_encode(v, VCODEC_VP8, &a), 0);
        if (a->keyframe) {
            keys++;
            if (first_key < 0)
                first_key = t;
        }
    }
    int gap = 30 * VMIX_KEY_INTERVAL_MS / 1000;
    assert_true(first_key == gap);
    assert_true(keys <= 30 / gap + 1);
    assert_true(keys >= 30 / gap - 1);
    /* Nobody asked for H.264 for 5 s: its encoder went, so the next one starts on a keyframe. */
    for (int t = 0; t < 30 * 5 + 1; t++)
        assert_int_equal(vmix_compose(v, in, 1, -1), 0);
    assert_int_equal(vmix_encode(v, VCODEC_H264, &h), 0);
    assert_true(h->keyframe);
    vmix_drop_encoder(v, VCODEC_H264);
    vframe_free(&pic);
    vmix_destroy(&v);
}

static void test_params(void **state)
{
    struct vmix *v = NULL;
    struct vmix_params p = {CW, CH, 30, 800, LAYOUT_GRID, 0};
    p.width = 641;
    assert_int_equal(vmix_create(&v, &p), -EINVAL);
    p.width = CW;
    p.fps = 0;
    assert_int_equal(vmix_create(&v, &p), -EINVAL);
    p.fps = 30;
    p.kbps = 10;
    assert_int_equal(vmix_create(&v, &p), -EINVAL);
    assert_null(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_speaker),
        cmocka_unit_test(test_encode_shared),
        cmocka_unit_test(test_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
