/* Allocation through one door, so tests can make the Nth allocation fail. */
#ifndef MCU_ALLOC_H
#define MCU_ALLOC_H

#include <stddef.h>

void *mcu_malloc(size_t size);
void *mcu_calloc(size_t n, size_t size);
void *mcu_realloc(void *p, size_t size);
char *mcu_strdup(const char *s);
void mcu_free(void *p);

/* Aligned allocation (alignment a power of two >= sizeof(void *)); free with mcu_free_aligned. */
void *mcu_malloc_aligned(size_t align, size_t size);
void mcu_free_aligned(void *p);

/* Test hook: allocations fail (return NULL) once `n` more have succeeded; -1 disables. */
void mcu_alloc_fail_after(long n);

#endif
