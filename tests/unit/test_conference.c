/* Conference tick phases: conferences placed on one worker get phases spread through the 20 ms
 * tick (conference_tick_phase), so that they take turns instead of waking together. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "conference.h"

#define TICK_US 20000u

static int cmp_u(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* The smallest distance between neighbouring phases of the first n conferences, wrapping. */
static unsigned min_gap(unsigned n)
{
    unsigned ph[64];
    for (unsigned k = 0; k < n; k++) {
        ph[k] = conference_tick_phase(k);
        assert_true(ph[k] < TICK_US);
    }
    qsort(ph, n, sizeof(ph[0]), cmp_u);
    unsigned gap = ph[0] + TICK_US - ph[n - 1];
    for (unsigned k = 1; k < n; k++)
        gap = ph[k] - ph[k - 1] < gap ? ph[k] - ph[k - 1] : gap;
    return gap;
}

static void test_phases_spread(void **state)
{
    (void)state;
    /* However many share a worker, none is closer to another than a fraction of the even
     * spacing (golden-ratio steps: the worst case is about 0.38 of it for these counts). */
    for (unsigned n = 2; n <= 64; n++)
        assert_true(min_gap(n) * n >= TICK_US * 3 / 10);
    assert_int_equal(conference_tick_phase(0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phases_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
