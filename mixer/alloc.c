/* Allocation wrappers with a failure-injection hook for OOM tests. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_after = -1;

void mcu_alloc_fail_after(long n)
{
    atomic_store(&fail_after, n);
}

static int should_fail(void)
{
    long n = atomic_load_explicit(&fail_after, memory_order_relaxed);
    if (n < 0)
        return 0;
    if (n == 0)
        return 1;
    atomic_fetch_sub(&fail_after, 1);
    return 0;
}

void *mcu_malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size ? size : 1);
}

void *mcu_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *mcu_realloc(void *p, size_t size)
{
    return should_fail() ? NULL : realloc(p, size ? size : 1);
}

char *mcu_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mcu_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void mcu_free(void *p)
{
    free(p);
}

void *mcu_malloc_aligned(size_t align, size_t size)
{
    void *p = NULL;
    if (should_fail())
        return NULL;
    if (posix_memalign(&p, align, size ? size : 1))
        return NULL;
    return p;
}

void mcu_free_aligned(void *p)
{
    free(p);
}
