/* libFuzzer target for mcu/base64.c (SDES keys). The input is used twice: as text to decode
 * into an output buffer of every size from too small to ample (each an exact-size heap block,
 * so a write past `cap` is caught), and as bytes to encode and decode back. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

#define TEXT_MAX 4096 /* longer inputs are cut: the decoder is linear, length adds nothing */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int is_alpha64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* The strict form the decoder documents: whole quads of the alphabet, '=' only as one or two
 * final padding characters. */
static int well_formed(const char *s, size_t n)
{
    if (n % 4)
        return 0;
    size_t pad = n >= 1 && s[n - 1] == '=' ? (n >= 2 && s[n - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < n - pad; i++) {
        if (!is_alpha64(s[i]))
            return 0;
    }
    return 1;
}

static void fuzz_decode(const char *text, size_t n)
{
    int ok = well_formed(text, n);
    size_t full = 0;
    if (ok && n)
        full = n / 4 * 3 - (text[n - 1] == '=') - (text[n - 2] == '=');
    uint8_t ref[TEXT_MAX];
    int rr = base64_decode(ref, sizeof(ref), text, n);
    check(ok ? rr == (int)full : rr == -EBADMSG);
    if (!ok)
        return;
    /* Every smaller cap is refused without a write past it; the exact cap gives the same bytes. */
    for (size_t cap = full > 3 ? full - 3 : 0; cap <= full; cap++) {
        uint8_t *out = malloc(cap ? cap : 1);
        check(out != NULL);
        int r = base64_decode(out, cap, text, n);
        check(cap < full ? r == -ENOSPC : (r == (int)full && !memcmp(out, ref, full)));
        free(out);
    }
    /* Decoding what encoding the result gives yields the result again (the input itself may
     * differ in the unused low bits of its last quad). */
    char again[TEXT_MAX / 3 * 4 + 8];
    int el = base64_encode(again, sizeof(again), ref, full);
    check(el == (int)n);
    uint8_t back[TEXT_MAX];
    check(base64_decode(back, sizeof(back), again, (size_t)el) == (int)full);
    check(!memcmp(back, ref, full));
}

static void fuzz_encode(const uint8_t *data, size_t size)
{
    size_t need = (size + 2) / 3 * 4 + 1;
    char *text = malloc(need);
    check(text != NULL);
    check(base64_encode(text, need - 1, data, size) == -ENOSPC);
    int el = base64_encode(text, need, data, size);
    check(el == (int)need - 1 && text[el] == '\0' && well_formed(text, (size_t)el));
    uint8_t *back = malloc(size ? size : 1);
    check(back != NULL);
    check(base64_decode(back, size, text, (size_t)el) == (int)size);
    check(!memcmp(back, data, size));
    free(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TEXT_MAX)
        size = TEXT_MAX;
    fuzz_decode((const char *)data, size);
    fuzz_encode(data, size);
    return 0;
}
