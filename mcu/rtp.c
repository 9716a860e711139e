/* RTP fixed header and RFC 8285 header extensions: parse and build. */
#include "rtp.h"

#include "bytes.h"

#include <errno.h>
#include <string.h>

static int parse(struct rtp_hdr *h, const uint8_t *buf, size_t len, int check_padding)
{
    if (len < RTP_HDR_MIN || buf[0] >> 6 != 2)
        return -EBADMSG;
    int padding = check_padding && (buf[0] & 0x20);
    h->has_ext = (buf[0] & 0x10) != 0;
    h->cc = buf[0] & 0x0f;
    h->marker = buf[1] >> 7;
    h->pt = buf[1] & 0x7f;
    h->seq = get16(buf + 2);
    h->ts = get32(buf + 4);
    h->ssrc = get32(buf + 8);

    size_t off = RTP_HDR_MIN + 4u * h->cc;
    if (off > len)
        return -EBADMSG;
    for (unsigned i = 0; i < h->cc; i++)
        h->csrc[i] = get32(buf + RTP_HDR_MIN + 4 * i);

    h->ext_profile = 0;
    h->ext = NULL;
    h->ext_len = 0;
    if (h->has_ext) {
        if (off + 4 > len)
            return -EBADMSG;
        h->ext_profile = get16(buf + off);
        h->ext_len = 4u * get16(buf + off + 2);
        off += 4;
        if (h->ext_len > len - off)
            return -EBADMSG;
        h->ext = buf + off;
        off += h->ext_len;
    }

    size_t end = len;
    if (padding) {
        uint8_t pad = buf[len - 1];
        /* The pad count includes itself, so zero is invalid (RFC 3550 5.1). */
        if (pad == 0 || pad > len - off)
            return -EBADMSG;
        end -= pad;
    }
    h->hdr_len = off;
    h->payload = buf + off;
    h->payload_len = end - off;
    return 0;
}

int rtp_parse(struct rtp_hdr *h, const uint8_t *buf, size_t len)
{
    return parse(h, buf, len, 1);
}

int rtp_parse_header(struct rtp_hdr *h, const uint8_t *buf, size_t len)
{
    return parse(h, buf, len, 0);
}

/* Walk one-byte (RFC 8285 4.2) or two-byte (4.3) elements. */
int rtp_ext_find(const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len)
{
    if (!h->has_ext || !h->ext)
        return -ENOENT;
    int one_byte = h->ext_profile == RTP_EXT_ONE_BYTE;
    int two_byte = (h->ext_profile & 0xfff0) == RTP_EXT_TWO_BYTE;
    if (!one_byte && !two_byte)
        return -ENOENT;

    const uint8_t *p = h->ext, *end = h->ext + h->ext_len;
    while (p < end) {
        if (*p == 0) { /* padding byte between elements */
            p++;
            continue;
        }
        uint8_t eid;
        size_t elen;
        if (one_byte) {
            eid = *p >> 4;
            elen = (size_t)(*p & 0x0f) + 1;
            if (eid == 15) /* reserved: stop processing (RFC 8285 4.2) */
                return -ENOENT;
            p += 1;
        } else {
            if (end - p < 2)
                return -EBADMSG;
            eid = p[0];
            elen = p[1];
            p += 2;
        }
        if ((size_t)(end - p) < elen)
            return -EBADMSG;
        if (eid == id) {
            *data = p;
            *len = elen;
            return 0;
        }
        p += elen;
    }
    return -ENOENT;
}

void rtp_write_header(uint8_t *buf, int marker, uint8_t pt, uint16_t seq, uint32_t ts,
                      uint32_t ssrc)
{
    buf[0] = 0x80;
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    put16(buf + 2, seq);
    put32(buf + 4, ts);
    put32(buf + 8, ssrc);
}

int rtp_write_header_ext(uint8_t *buf, size_t cap, int marker, uint8_t pt, uint16_t seq,
                         uint32_t ts, uint32_t ssrc, const uint8_t *ids, const uint8_t *const *vals,
                         const uint8_t *lens, unsigned n)
{
    if (cap < RTP_HDR_MIN)
        return -ENOSPC;
    rtp_write_header(buf, marker, pt, seq, ts, ssrc);
    if (n == 0)
        return RTP_HDR_MIN;

    size_t body = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ids[i] < 1 || ids[i] > 14 || lens[i] < 1 || lens[i] > 16)
            return -EINVAL;
        body += 1u + lens[i];
    }
    size_t words = (body + 3) / 4;
    size_t total = RTP_HDR_MIN + 4 + 4 * words;
    if (total > cap)
        return -ENOSPC;

    buf[0] |= 0x10;
    uint8_t *p = buf + RTP_HDR_MIN;
    put16(p, RTP_EXT_ONE_BYTE);
    put16(p + 2, (uint16_t)words);
    p += 4;
    for (unsigned i = 0; i < n; i++) {
        *p++ = (uint8_t)(ids[i] << 4 | (lens[i] - 1));
        memcpy(p, vals[i], lens[i]);
        p += lens[i];
    }
    memset(p, 0, (size_t)(buf + total - p));
    return (int)total;
}

void rtp_rewrite(uint8_t *buf, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    put16(buf + 2, seq);
    put32(buf + 4, ts);
    put32(buf + 8, ssrc);
}
