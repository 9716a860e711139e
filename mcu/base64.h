/* Base64 (RFC 4648, standard alphabet, padded) for SDES keys. Pure. */
#ifndef MCU_BASE64_H
#define MCU_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Writes a NUL-terminated string; returns its length or -ENOSPC (cap < 4*ceil(n/3)+1). */
int base64_encode(char *out, size_t cap, const uint8_t *in, size_t n);
/* Decodes exactly `n` chars (padding required); returns bytes written, -EBADMSG or -ENOSPC. */
int base64_decode(uint8_t *out, size_t cap, const char *in, size_t n);

#endif
