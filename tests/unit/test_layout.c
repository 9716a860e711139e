/* Layouts: every tile even-aligned, inside the canvas, no two overlapping, sizes as designed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "layout.h"

static void check_valid(const struct layout_rect *r, int n, int w, int h)
{
    for (int i = 0; i < n; i++) {
        assert_true(r[i].w >= 2 && r[i].h >= 2);
        assert_int_equal((r[i].x | r[i].y | r[i].w | r[i].h) & 1, 0);
        assert_true(r[i].x >= 0 && r[i].y >= 0);
        assert_true(r[i].x + r[i].w <= w && r[i].y + r[i].h <= h);
        for (int j = 0; j < i; j++) {
            int apart = r[i].x + r[i].w <= r[j].x || r[j].x + r[j].w <= r[i].x ||
                        r[i].y + r[i].h <= r[j].y || r[j].y + r[j].h <= r[i].y;
            assert_true(apart);
        }
    }
}

static void test_grid_all_sizes(void **state)
{
    static const int canvases[][2] = {{1280, 720}, {640, 360}, {1920, 1080}, {322, 242}};
    struct layout_rect r[LAYOUT_MAX_TILES];
    for (size_t c = 0; c < sizeof(canvases) / sizeof(canvases[0]); c++) {
        for (int n = 1; n <= 25; n++) {
            int w = canvases[c][0], h = canvases[c][1];
            assert_int_equal(layout_compute(LAYOUT_GRID, w, h, n, -1, r), n);
            check_valid(r, n, w, h);
        }
    }
    assert_int_equal(layout_compute(LAYOUT_GRID, 1280, 720, 4, -1, r), 4);
    assert_int_equal(r[0].w, 640);
    assert_int_equal(r[3].x, 640);
    assert_int_equal(r[3].y, 360);
    /* Three tiles: two on top, the third centred below. */
    assert_int_equal(layout_compute(LAYOUT_GRID, 1280, 720, 3, -1, r), 3);
    assert_int_equal(r[2].x, 320);
    /* Two tiles: cells of a 2x2 grid (the canvas's shape), one row centred vertically. */
    assert_int_equal(layout_compute(LAYOUT_GRID, 1280, 720, 2, -1, r), 2);
    assert_int_equal(r[0].w, 640);
    assert_int_equal(r[0].h, 360);
    assert_int_equal(r[0].y, 180);
    assert_int_equal(r[1].x, 640);
    /* Five to nine tiles: 3x3; ten: 4x4. */
    assert_int_equal(layout_compute(LAYOUT_GRID, 1280, 720, 5, -1, r), 5);
    assert_int_equal(r[0].w, 426);
    assert_int_equal(r[0].h, 240);
    assert_int_equal(layout_compute(LAYOUT_GRID, 1280, 720, 10, -1, r), 10);
    assert_int_equal(r[0].w, 320);
    assert_int_equal(r[0].h, 180);
}

static void test_speaker(void **state)
{
    struct layout_rect r[LAYOUT_MAX_TILES];
    for (int n = 1; n <= 20; n++) {
        for (int spk = -1; spk < n; spk++) {
            assert_int_equal(layout_compute(LAYOUT_SPEAKER, 1280, 720, n, spk, r), n);
            check_valid(r, n, 1280, 720);
            int big = spk < 0 ? 0 : spk;
            for (int i = 0; i < n; i++)
                assert_true(r[big].w * r[big].h >= r[i].w * r[i].h);
        }
    }
    assert_int_equal(layout_compute(LAYOUT_SPEAKER, 1280, 720, 5, 2, r), 5);
    assert_int_equal(r[2].w, 1280);
    assert_int_equal(r[2].h, 540);
}

static void test_bad_arguments(void **state)
{
    struct layout_rect r[LAYOUT_MAX_TILES];
    enum layout_kind k;
    assert_int_equal(layout_compute(LAYOUT_GRID, 1280, 720, 0, -1, r), -EINVAL);
    assert_int_equal(layout_compute(LAYOUT_GRID, 1280, 720, LAYOUT_MAX_TILES + 1, -1, r), -EINVAL);
    assert_int_equal(layout_compute(LAYOUT_GRID, 8, 8, 25, -1, r), -EINVAL);
    assert_int_equal(layout_parse("speaker", &k), 0);
    assert_int_equal(k, LAYOUT_SPEAKER);
    assert_int_equal(layout_parse("mosaic", &k), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_all_sizes),
        cmocka_unit_test(test_speaker),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
