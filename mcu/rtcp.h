/* RTCP compound packets (RFC 3550, RFC 4585, RFC 5104): parse and build.
 * Pure functions over caller buffers: no allocation, no globals, fuzzable alone. */
#ifndef MCU_RTCP_H
#define MCU_RTCP_H

#include <stddef.h>
#include <stdint.h>

enum rtcp_type {
    RTCP_SR = 200,
    RTCP_RR = 201,
    RTCP_SDES = 202,
    RTCP_BYE = 203,
    RTCP_APP = 204,
    RTCP_RTPFB = 205, /* FMT 1 = generic NACK */
    RTCP_PSFB = 206,  /* FMT 1 = PLI, FMT 4 = FIR */
};

#define RTCP_FB_NACK    1
#define RTCP_FB_PLI     1
#define RTCP_FB_FIR     4
#define RTCP_MAX_BLOCKS 31
#define RTCP_MAX_NACK   64 /* sequence numbers reported per parsed NACK packet */
#define RTCP_MAX_BYE    31
#define RTCP_MAX_FIR    8

struct rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;   /* Q8 */
    int32_t cumulative_lost; /* signed 24-bit on the wire */
    uint32_t ext_highest_seq;
    uint32_t jitter; /* timestamp units */
    uint32_t lsr;    /* middle 32 bits of the last SR's NTP time */
    uint32_t dlsr;   /* 1/65536 s */
};

struct rtcp_sender_info {
    uint64_t ntp; /* NTP timestamp, 32.32 */
    uint32_t rtp_ts;
    uint32_t packets;
    uint32_t octets;
};

/* One packet of a compound, as rtcp_next() returns it. Pointers point into the buffer. */
struct rtcp_pkt {
    uint8_t type;  /* enum rtcp_type, or another value for unknown types (skipped safely) */
    uint8_t count; /* RC, SC or FMT field */
    uint32_t ssrc; /* sender SSRC (SR, RR, BYE first, RTPFB/PSFB packet sender, SDES first chunk) */
    union {
        struct {
            struct rtcp_sender_info si; /* SR only */
            unsigned nblocks;
            struct rtcp_report_block blocks[RTCP_MAX_BLOCKS];
        } report; /* SR, RR */
        struct {
            const char *cname; /* NOT NUL-terminated; first chunk's CNAME, or NULL */
            size_t cname_len;
        } sdes;
        struct {
            unsigned nssrc;
            uint32_t ssrc[RTCP_MAX_BYE];
        } bye;
        struct {
            uint32_t media_ssrc;
            unsigned nseq; /* NACK: lost sequence numbers expanded from PID/BLP */
            uint16_t seq[RTCP_MAX_NACK];
        } nack; /* RTPFB FMT 1 */
        struct {
            uint32_t media_ssrc;
        } pli; /* PSFB FMT 1 */
        struct {
            unsigned n;
            uint32_t ssrc[RTCP_MAX_FIR];
            uint8_t seqnr[RTCP_MAX_FIR];
        } fir; /* PSFB FMT 4 */
    } u;
};

struct rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
};

/* Start iterating over a compound packet (already decrypted). */
void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);
/* 1 and *pkt filled for the next packet; 0 at the end; -EBADMSG when the rest is malformed
 * (bad version, length past the end, counts that do not fit the length). */
int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *pkt);
/* Quick check of a whole compound: first packet SR or RR (RFC 3550 6.1) not required, but every
 * header must be version 2 and the lengths must add up to exactly `len`. 0 or -EBADMSG. */
int rtcp_validate(const uint8_t *buf, size_t len);

/* Builder: appends packets to buf; each write returns 0 or -ENOSPC (nothing written). */
struct rtcp_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
};

void rtcp_writer_init(struct rtcp_writer *w, uint8_t *buf, size_t cap);
int rtcp_write_sr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_sender_info *si,
                  const struct rtcp_report_block *blocks, unsigned n);
int rtcp_write_rr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_report_block *blocks,
                  unsigned n);
int rtcp_write_sdes_cname(struct rtcp_writer *w, uint32_t ssrc, const char *cname);
int rtcp_write_bye(struct rtcp_writer *w, const uint32_t *ssrcs, unsigned n, const char *reason);
int rtcp_write_pli(struct rtcp_writer *w, uint32_t sender, uint32_t media);
int rtcp_write_fir(struct rtcp_writer *w, uint32_t sender, uint32_t media, uint8_t seqnr);
/* Generic NACK for `n` sequence numbers (any order); packs them into PID/BLP pairs. */
int rtcp_write_nack(struct rtcp_writer *w, uint32_t sender, uint32_t media, const uint16_t *seqs,
                    unsigned n);

/* NTP helpers: 32.32 fixed point from a wall-clock time in microseconds since the Unix epoch. */
uint64_t rtcp_ntp_from_unix_us(uint64_t unix_us);
static inline uint32_t rtcp_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

#endif
