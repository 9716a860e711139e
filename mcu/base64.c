/* Base64 encode/decode, strict: no whitespace, padding required. */
#include "base64.h"

#include <errno.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
    size_t need = (n + 2) / 3 * 4 + 1;
    if (cap < need)
        return -ENOSPC;
    char *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? alphabet[v & 63] : '=';
    }
    *o = '\0';
    return (int)(o - out);
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int base64_decode(uint8_t *out, size_t cap, const char *in, size_t n)
{
    if (n % 4)
        return -EBADMSG;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int pad = (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=');
        if (pad && !last)
            return -EBADMSG;
        uint32_t v = 0;
        for (int k = 0; k < 4 - pad; k++) {
            int s = sextet(in[i + k]);
            if (s < 0)
                return -EBADMSG;
            v |= (uint32_t)s << (18 - 6 * k);
        }
        size_t bytes = 3u - (size_t)pad;
        if (o + bytes > cap)
            return -ENOSPC;
        out[o++] = (uint8_t)(v >> 16);
        if (bytes > 1)
            out[o++] = (uint8_t)(v >> 8);
        if (bytes > 2)
            out[o++] = (uint8_t)v;
    }
    return (int)o;
}
