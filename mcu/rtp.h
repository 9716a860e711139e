/* RTP (RFC 3550) fixed header and RFC 8285 header extensions: parse and build.
 * Pure functions over caller buffers: no allocation, no globals, fuzzable alone. */
#ifndef MCU_RTP_H
#define MCU_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_MIN  12
#define RTP_MAX_CSRC 15

/* RFC 8285 profile values of the extension block. */
#define RTP_EXT_ONE_BYTE 0xBEDE
#define RTP_EXT_TWO_BYTE 0x1000 /* upper 12 bits; the low 4 are "appbits" */

struct rtp_hdr {
    uint8_t marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t cc;
    uint32_t csrc[RTP_MAX_CSRC];
    /* Extension block (X bit): profile and the raw words after the 4-byte header. */
    uint8_t has_ext;
    uint16_t ext_profile;
    const uint8_t *ext;
    size_t ext_len;
    /* Payload, padding removed. Points into the parsed buffer. */
    const uint8_t *payload;
    size_t payload_len;
    size_t hdr_len; /* fixed header + CSRCs + extension block */
};

/* Parse `len` bytes; 0 on success, -EBADMSG for anything malformed (bad version, truncated
 * header, CSRC or extension past the end, padding larger than the payload). */
int rtp_parse(struct rtp_hdr *h, const uint8_t *buf, size_t len);
/* The same up to the end of the extension block, with the padding left alone: for an SRTP
 * packet before decryption, whose last byte is its auth tag, not the pad count (the payload
 * then runs to the end). */
int rtp_parse_header(struct rtp_hdr *h, const uint8_t *buf, size_t len);

/* Find RFC 8285 element `id` (1-14 one-byte, 1-255 two-byte) in h's extension block.
 * 0 and (*data, *len) set when found; -ENOENT when absent; -EBADMSG when the block is malformed. */
int rtp_ext_find(const struct rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len);

/* Write a fixed header (no CSRC, no extension) into buf[12]. */
void rtp_write_header(uint8_t *buf, int marker, uint8_t pt, uint16_t seq, uint32_t ts,
                      uint32_t ssrc);

/* Build header + one-byte-form extension elements. `ids`/`vals`/`lens` give n elements (lens
 * 1..16). Returns header length written, or -ENOSPC / -EINVAL. */
int rtp_write_header_ext(uint8_t *buf, size_t cap, int marker, uint8_t pt, uint16_t seq,
                         uint32_t ts, uint32_t ssrc, const uint8_t *ids, const uint8_t *const *vals,
                         const uint8_t *lens, unsigned n);

/* Rewrite SSRC/seq/ts of an already-built packet in place (len >= 12 checked by caller). */
void rtp_rewrite(uint8_t *buf, uint16_t seq, uint32_t ts, uint32_t ssrc);

#endif
