/* libFuzzer target for mcu/rtcp.c: compound parsing, validation and NACK packing round trips. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcp.h"

#define NACK_MAX_IN 64 /* at most this many inputs, so the parser cap never truncates them */
#define SENTINEL    0xa5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_pkt(const struct rtcp_pkt *p, const uint8_t *data, size_t size)
{
    switch (p->type) {
    case RTCP_SR:
    case RTCP_RR:
        check(p->u.report.nblocks == p->count && p->u.report.nblocks <= RTCP_MAX_BLOCKS);
        break;
    case RTCP_SDES:
        /* The CNAME points into the input, so it must lie wholly inside it. */
        if (p->u.sdes.cname) {
            const uint8_t *c = (const uint8_t *)p->u.sdes.cname;
            check(c >= data && c + p->u.sdes.cname_len <= data + size);
        }
        break;
    case RTCP_BYE:
        check(p->u.bye.nssrc == p->count);
        break;
    case RTCP_RTPFB:
        check(p->count != RTCP_FB_NACK || p->u.nack.nseq <= RTCP_MAX_NACK);
        break;
    case RTCP_PSFB:
        check(p->count != RTCP_FB_FIR || p->u.fir.n <= RTCP_MAX_FIR);
        break;
    default:
        break;
    }
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
    struct rtcp_iter it;
    struct rtcp_pkt pkt;
    int r;
    rtcp_iter_init(&it, data, size);
    while ((r = rtcp_next(&it, &pkt)) == 1)
        check_pkt(&pkt, data, size);
    check(r == 0 || r == -EBADMSG);
    /* Errors do not advance the iterator: they repeat. */
    if (r < 0)
        check(rtcp_next(&it, &pkt) == r);
    /* Whatever parses to the end has headers that the quick check accepts. */
    if (r == 0 && size > 0)
        check(rtcp_validate(data, size) == 0);
}

static int contains(const uint16_t *seqs, unsigned n, uint16_t seq)
{
    for (unsigned i = 0; i < n; i++) {
        if (seqs[i] == seq)
            return 1;
    }
    return 0;
}

/* The NACK built from the input's first words parses back to exactly their distinct set. */
static void fuzz_nack(const uint8_t *data, size_t size)
{
    uint16_t seqs[NACK_MAX_IN];
    unsigned n = 0, distinct = 0;
    for (size_t i = 0; i + 1 < size && n < NACK_MAX_IN; i += 2) {
        seqs[n] = (uint16_t)(data[i] << 8 | data[i + 1]);
        distinct += !contains(seqs, n, seqs[n]);
        n++;
    }
    if (n == 0)
        return;

    uint8_t buf[12 + NACK_MAX_IN * 4 + 16];
    memset(buf, SENTINEL, sizeof(buf));
    struct rtcp_writer w;
    rtcp_writer_init(&w, buf, (size_t)data[0] % sizeof(buf)); /* sometimes too small */
    int r = rtcp_write_nack(&w, 1, 2, seqs, n);
    if (r == -ENOSPC) {
        for (size_t i = 0; i < sizeof(buf); i++)
            check(buf[i] == SENTINEL);
        check(w.len == 0);
        return;
    }
    check(r == 0);

    struct rtcp_iter it;
    struct rtcp_pkt pkt;
    rtcp_iter_init(&it, buf, w.len);
    check(rtcp_next(&it, &pkt) == 1 && pkt.type == RTCP_RTPFB && pkt.count == RTCP_FB_NACK);
    check(pkt.u.nack.nseq == distinct);
    for (unsigned i = 0; i < pkt.u.nack.nseq; i++) {
        check(contains(seqs, n, pkt.u.nack.seq[i]));
        check(!contains(pkt.u.nack.seq, i, pkt.u.nack.seq[i]));
    }
    check(rtcp_next(&it, &pkt) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse(data, size);
    fuzz_nack(data, size);
    return 0;
}
