/* Fuzz target: RFC 7983 demux, RTP header parse, and every extension lookup on hostile bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "demux.h"
#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    demux_classify(data, size);
    struct rtp_hdr h;
    if (rtp_parse(&h, data, size))
        return 0;
    /* What parse promises: every pointer stays inside the input. */
    if (h.hdr_len > size || h.payload < data || h.payload + h.payload_len > data + size)
        abort();
    if (h.ext && (h.ext < data || h.ext + h.ext_len > data + size))
        abort();
    for (unsigned id = 0; id < 256; id++) {
        const uint8_t *v;
        size_t len;
        if (!rtp_ext_find(&h, (uint8_t)id, &v, &len) && (v < h.ext || v + len > h.ext + h.ext_len))
            abort();
    }
    return 0;
}
