/* libFuzzer target for codec/opus_vad.c: the input is one Opus packet. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "opus_vad.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int r = opus_vad(data, size);
    if (r != 0 && r != 1 && r != -ENOTSUP && r != -EBADMSG)
        abort();
    /* A CELT-only config is refused only after its framing checked out. */
    if (r == -ENOTSUP && (size < 1 || (data[0] >> 3) < 16))
        abort();
    return 0;
}
