/* RTCP compound parsing and building over caller buffers (RFC 3550, RFC 4585, RFC 5104). */
#include "rtcp.h"

#include "bytes.h"

#include <errno.h>
#include <string.h>

#define RTCP_HDR_LEN         4
#define RTCP_VERSION         2
#define RTCP_SENDER_INFO_LEN 20
#define RTCP_BLOCK_LEN       24
#define RTCP_FB_LEN          8 /* packet sender SSRC + media source SSRC */
#define RTCP_FIR_ENTRY_LEN   8
#define RTCP_NACK_SPAN       16  /* BLP bits following each PID */
#define RTCP_MAX_COUNT       31  /* 5-bit RC/SC field */
#define RTCP_MAX_TEXT        255 /* 8-bit length of SDES items and BYE reasons */
#define SDES_END             0
#define SDES_CNAME           1
#define SEQ_SPACE            65536u
#define NTP_UNIX_OFFSET      2208988800u /* seconds from 1900 to 1970 */
#define US_PER_S             1000000u

static size_t align4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* ---- Parsing ---- */

/* Header of the packet at the start of buf: total length on the wire (with padding) and length
 * of the content after the 4-byte header (without padding). Shared by rtcp_next and
 * rtcp_validate so that both agree on what a well-formed header is. */
struct rtcp_hdr {
    uint8_t count;
    uint8_t type;
    size_t wire_len;
    size_t body_len;
};

static int read_header(struct rtcp_hdr *h, const uint8_t *buf, size_t avail)
{
    if (avail < RTCP_HDR_LEN || buf[0] >> 6 != RTCP_VERSION)
        return -EBADMSG;
    h->count = buf[0] & 0x1f;
    h->type = buf[1];
    h->wire_len = ((size_t)get16(buf + 2) + 1) * 4;
    if (h->wire_len > avail)
        return -EBADMSG;
    size_t pad = 0;
    if (buf[0] & 0x20) {
        /* The count includes itself, so 0 is impossible; it may not eat into the header. */
        pad = buf[h->wire_len - 1];
        if (pad == 0 || pad > h->wire_len - RTCP_HDR_LEN)
            return -EBADMSG;
    }
    h->body_len = h->wire_len - RTCP_HDR_LEN - pad;
    return 0;
}

static int32_t sign_extend24(uint32_t v)
{
    return (v & 0x800000u) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

static void parse_block(struct rtcp_report_block *rb, const uint8_t *p)
{
    rb->ssrc = get32(p);
    rb->fraction_lost = p[4];
    rb->cumulative_lost = sign_extend24(get32(p + 4) & 0xffffffu);
    rb->ext_highest_seq = get32(p + 8);
    rb->jitter = get32(p + 12);
    rb->lsr = get32(p + 16);
    rb->dlsr = get32(p + 20);
}

/* SR and RR: profile extensions may follow the blocks, so the body only needs to be long enough. */
static int parse_report(struct rtcp_pkt *pkt, const uint8_t *b, size_t len, int is_sr)
{
    size_t fixed = 4 + (is_sr ? RTCP_SENDER_INFO_LEN : 0);
    if (len < fixed || (len - fixed) / RTCP_BLOCK_LEN < pkt->count)
        return -EBADMSG;
    pkt->ssrc = get32(b);
    if (is_sr) {
        struct rtcp_sender_info *si = &pkt->u.report.si;
        si->ntp = (uint64_t)get32(b + 4) << 32 | get32(b + 8);
        si->rtp_ts = get32(b + 12);
        si->packets = get32(b + 16);
        si->octets = get32(b + 20);
    }
    pkt->u.report.nblocks = pkt->count;
    for (unsigned i = 0; i < pkt->count; i++)
        parse_block(&pkt->u.report.blocks[i], b + fixed + (size_t)i * RTCP_BLOCK_LEN);
    return 0;
}

/* Walk one SDES chunk starting at *off; remembers the first CNAME if `want_cname`. */
static int parse_sdes_chunk(struct rtcp_pkt *pkt, const uint8_t *b, size_t len, size_t *off,
                            int want_cname)
{
    size_t pos = *off + 4;
    if (pos > len)
        return -EBADMSG;
    for (;;) {
        if (pos >= len)
            return -EBADMSG; /* the item list must end with a null octet */
        uint8_t type = b[pos];
        if (type == SDES_END)
            break;
        if (len - pos < 2 || len - pos - 2 < b[pos + 1])
            return -EBADMSG;
        if (want_cname && type == SDES_CNAME && !pkt->u.sdes.cname) {
            pkt->u.sdes.cname = (const char *)b + pos + 2;
            pkt->u.sdes.cname_len = b[pos + 1];
        }
        pos += 2 + (size_t)b[pos + 1];
    }
    /* Null octets pad to the next 32-bit boundary (body offsets are aligned on the wire). */
    pos = align4(pos + 1);
    if (pos > len)
        return -EBADMSG;
    *off = pos;
    return 0;
}

static int parse_sdes(struct rtcp_pkt *pkt, const uint8_t *b, size_t len)
{
    size_t off = 0;
    for (unsigned i = 0; i < pkt->count; i++) {
        if (i == 0 && len >= 4)
            pkt->ssrc = get32(b);
        int r = parse_sdes_chunk(pkt, b, len, &off, i == 0);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_bye(struct rtcp_pkt *pkt, const uint8_t *b, size_t len)
{
    size_t ids = (size_t)pkt->count * 4;
    if (len < ids)
        return -EBADMSG;
    /* Optional reason: a length octet and text; only trailing zero padding may be absent. */
    if (len > ids && len - ids - 1 < b[ids])
        return -EBADMSG;
    pkt->u.bye.nssrc = pkt->count;
    for (unsigned i = 0; i < pkt->count; i++)
        pkt->u.bye.ssrc[i] = get32(b + (size_t)i * 4);
    if (pkt->count)
        pkt->ssrc = pkt->u.bye.ssrc[0];
    return 0;
}

/* Expand PID/BLP pairs; more than RTCP_MAX_NACK losses are dropped rather than rejected, since
 * the packet is well formed and the earliest losses are the most urgent to repair. */
static void parse_nack(struct rtcp_pkt *pkt, const uint8_t *fci, size_t len)
{
    unsigned n = 0;
    for (size_t off = 0; off + 4 <= len; off += 4) {
        uint16_t pid = get16(fci + off);
        uint16_t blp = get16(fci + off + 2);
        if (n < RTCP_MAX_NACK)
            pkt->u.nack.seq[n++] = pid;
        for (unsigned bit = 0; bit < RTCP_NACK_SPAN && n < RTCP_MAX_NACK; bit++) {
            if (blp & (1u << bit))
                pkt->u.nack.seq[n++] = (uint16_t)(pid + bit + 1);
        }
    }
    pkt->u.nack.nseq = n;
}

static void parse_fir(struct rtcp_pkt *pkt, const uint8_t *fci, size_t len)
{
    unsigned n = 0;
    for (size_t off = 0; off + RTCP_FIR_ENTRY_LEN <= len && n < RTCP_MAX_FIR;
         off += RTCP_FIR_ENTRY_LEN, n++) {
        pkt->u.fir.ssrc[n] = get32(fci + off);
        pkt->u.fir.seqnr[n] = fci[off + 4];
    }
    pkt->u.fir.n = n;
}

/* RTPFB and PSFB share the common feedback layout (RFC 4585 6.1); unknown FMTs are returned
 * with the sender and media SSRC only. */
static int parse_fb(struct rtcp_pkt *pkt, const uint8_t *b, size_t len)
{
    if (len < RTCP_FB_LEN)
        return -EBADMSG;
    pkt->ssrc = get32(b);
    uint32_t media = get32(b + 4);
    const uint8_t *fci = b + RTCP_FB_LEN;
    size_t fci_len = len - RTCP_FB_LEN;
    if (pkt->type == RTCP_RTPFB) {
        pkt->u.nack.media_ssrc = media;
        if (pkt->count == RTCP_FB_NACK)
            parse_nack(pkt, fci, fci_len);
    } else if (pkt->count == RTCP_FB_FIR) {
        parse_fir(pkt, fci, fci_len);
    } else {
        pkt->u.pli.media_ssrc = media;
    }
    return 0;
}

static int parse_body(struct rtcp_pkt *pkt, const uint8_t *b, size_t len)
{
    switch (pkt->type) {
    case RTCP_SR:
    case RTCP_RR:
        return parse_report(pkt, b, len, pkt->type == RTCP_SR);
    case RTCP_SDES:
        return parse_sdes(pkt, b, len);
    case RTCP_BYE:
        return parse_bye(pkt, b, len);
    case RTCP_APP:
        if (len < 8) /* SSRC and the 4-octet name are mandatory */
            return -EBADMSG;
        pkt->ssrc = get32(b);
        return 0;
    case RTCP_RTPFB:
    case RTCP_PSFB:
        return parse_fb(pkt, b, len);
    default:
        if (len >= 4)
            pkt->ssrc = get32(b);
        return 0;
    }
}

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = buf ? len : 0;
    it->off = 0;
}

/* On error the iterator does not advance, so the error repeats instead of resynchronising on
 * bytes that are not a packet boundary. */
int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *pkt)
{
    if (it->off >= it->len)
        return 0;
    const uint8_t *p = it->buf + it->off;
    struct rtcp_hdr h;
    int r = read_header(&h, p, it->len - it->off);
    if (r < 0)
        return r;
    memset(pkt, 0, sizeof(*pkt));
    pkt->type = h.type;
    pkt->count = h.count;
    r = parse_body(pkt, p + RTCP_HDR_LEN, h.body_len);
    if (r < 0)
        return r;
    it->off += h.wire_len;
    return 1;
}

int rtcp_validate(const uint8_t *buf, size_t len)
{
    if (!buf || len == 0)
        return -EBADMSG;
    size_t off = 0;
    while (off < len) {
        struct rtcp_hdr h;
        int r = read_header(&h, buf + off, len - off);
        if (r < 0)
            return r;
        off += h.wire_len;
    }
    return 0;
}

/* ---- Building ---- */

void rtcp_writer_init(struct rtcp_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
}

/* Room for a whole packet is checked before the first byte is written, so a failed write leaves
 * both the buffer and w->len untouched. */
static uint8_t *reserve(struct rtcp_writer *w, size_t n)
{
    if (w->len > w->cap || n > w->cap - w->len)
        return NULL;
    return w->buf + w->len;
}

static void put_header(uint8_t *p, uint8_t count, uint8_t type, size_t total)
{
    p[0] = (uint8_t)(RTCP_VERSION << 6 | count);
    p[1] = type;
    put16(p + 2, (uint16_t)(total / 4 - 1));
}

/* The wire field is 24-bit signed; RFC 3550 A.3 clamps rather than wraps. */
static uint32_t clamp_lost24(int32_t lost)
{
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    return (uint32_t)lost & 0xffffffu;
}

static void put_block(uint8_t *p, const struct rtcp_report_block *rb)
{
    put32(p, rb->ssrc);
    put32(p + 4, (uint32_t)rb->fraction_lost << 24 | clamp_lost24(rb->cumulative_lost));
    put32(p + 8, rb->ext_highest_seq);
    put32(p + 12, rb->jitter);
    put32(p + 16, rb->lsr);
    put32(p + 20, rb->dlsr);
}

static int write_report(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_sender_info *si,
                        const struct rtcp_report_block *blocks, unsigned n)
{
    if (n > RTCP_MAX_COUNT || (n && !blocks))
        return -EINVAL;
    size_t fixed = RTCP_HDR_LEN + 4 + (si ? RTCP_SENDER_INFO_LEN : 0);
    size_t total = fixed + (size_t)n * RTCP_BLOCK_LEN;
    uint8_t *p = reserve(w, total);
    if (!p)
        return -ENOSPC;
    put_header(p, (uint8_t)n, si ? RTCP_SR : RTCP_RR, total);
    put32(p + 4, ssrc);
    if (si) {
        put32(p + 8, (uint32_t)(si->ntp >> 32));
        put32(p + 12, (uint32_t)si->ntp);
        put32(p + 16, si->rtp_ts);
        put32(p + 20, si->packets);
        put32(p + 24, si->octets);
    }
    for (unsigned i = 0; i < n; i++)
        put_block(p + fixed + (size_t)i * RTCP_BLOCK_LEN, &blocks[i]);
    w->len += total;
    return 0;
}

int rtcp_write_sr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_sender_info *si,
                  const struct rtcp_report_block *blocks, unsigned n)
{
    if (!si)
        return -EINVAL;
    return write_report(w, ssrc, si, blocks, n);
}

int rtcp_write_rr(struct rtcp_writer *w, uint32_t ssrc, const struct rtcp_report_block *blocks,
                  unsigned n)
{
    return write_report(w, ssrc, NULL, blocks, n);
}

int rtcp_write_sdes_cname(struct rtcp_writer *w, uint32_t ssrc, const char *cname)
{
    size_t clen = cname ? strlen(cname) : 0;
    if (!cname || clen > RTCP_MAX_TEXT)
        return -EINVAL;
    /* SSRC, CNAME item, then at least one null octet up to the next 32-bit boundary. */
    size_t chunk = align4(4 + 2 + clen + 1);
    size_t total = RTCP_HDR_LEN + chunk;
    uint8_t *p = reserve(w, total);
    if (!p)
        return -ENOSPC;
    memset(p, 0, total);
    put_header(p, 1, RTCP_SDES, total);
    put32(p + 4, ssrc);
    p[8] = SDES_CNAME;
    p[9] = (uint8_t)clen;
    memcpy(p + 10, cname, clen);
    w->len += total;
    return 0;
}

int rtcp_write_bye(struct rtcp_writer *w, const uint32_t *ssrcs, unsigned n, const char *reason)
{
    size_t rlen = reason ? strlen(reason) : 0;
    if (n > RTCP_MAX_COUNT || (n && !ssrcs) || rlen > RTCP_MAX_TEXT)
        return -EINVAL;
    size_t ids = (size_t)n * 4;
    size_t total = RTCP_HDR_LEN + ids + (rlen ? align4(1 + rlen) : 0);
    uint8_t *p = reserve(w, total);
    if (!p)
        return -ENOSPC;
    memset(p, 0, total);
    put_header(p, (uint8_t)n, RTCP_BYE, total);
    for (unsigned i = 0; i < n; i++)
        put32(p + RTCP_HDR_LEN + (size_t)i * 4, ssrcs[i]);
    if (rlen) {
        p[RTCP_HDR_LEN + ids] = (uint8_t)rlen;
        memcpy(p + RTCP_HDR_LEN + ids + 1, reason, rlen);
    }
    w->len += total;
    return 0;
}

static uint8_t *start_fb(struct rtcp_writer *w, uint8_t fmt, uint8_t type, size_t total,
                         uint32_t sender, uint32_t media)
{
    uint8_t *p = reserve(w, total);
    if (!p)
        return NULL;
    put_header(p, fmt, type, total);
    put32(p + 4, sender);
    put32(p + 8, media);
    return p;
}

int rtcp_write_pli(struct rtcp_writer *w, uint32_t sender, uint32_t media)
{
    size_t total = RTCP_HDR_LEN + RTCP_FB_LEN;
    if (!start_fb(w, RTCP_FB_PLI, RTCP_PSFB, total, sender, media))
        return -ENOSPC;
    w->len += total;
    return 0;
}

/* RFC 5104 4.3.1.2: the common header's media SSRC is 0 and the target goes in the FCI. */
int rtcp_write_fir(struct rtcp_writer *w, uint32_t sender, uint32_t media, uint8_t seqnr)
{
    size_t total = RTCP_HDR_LEN + RTCP_FB_LEN + RTCP_FIR_ENTRY_LEN;
    uint8_t *p = start_fb(w, RTCP_FB_FIR, RTCP_PSFB, total, sender, 0);
    if (!p)
        return -ENOSPC;
    put32(p + 12, media);
    put32(p + 16, (uint32_t)seqnr << 24);
    w->len += total;
    return 0;
}

/* NACK packing. The sequence numbers go into a bitmap of the whole 16-bit space: it removes
 * duplicates and orders them without sorting the caller's const array or allocating. The pack
 * starts after the widest circular gap so that a run crossing 65535 -> 0 stays in one PID/BLP. */
struct seq_map {
    uint64_t w[SEQ_SPACE / 64];
};

static int map_has(const struct seq_map *m, uint32_t seq)
{
    seq &= SEQ_SPACE - 1;
    return (int)(m->w[seq / 64] >> (seq % 64) & 1);
}

/* Smallest circular offset >= `from` (counted from `start`) whose seq is present, or SEQ_SPACE. */
static uint32_t map_next(const struct seq_map *m, uint32_t start, uint32_t from)
{
    while (from < SEQ_SPACE) {
        uint32_t seq = (start + from) & (SEQ_SPACE - 1);
        uint64_t word = m->w[seq / 64] >> (seq % 64);
        if (word) {
            uint32_t at = from + (uint32_t)__builtin_ctzll(word);
            return at < SEQ_SPACE ? at : SEQ_SPACE;
        }
        from += 64 - seq % 64;
    }
    return SEQ_SPACE;
}

static uint32_t map_pack_start(const struct seq_map *m)
{
    uint32_t first = map_next(m, 0, 0);
    uint32_t best = first, best_gap = 0, prev = first;
    for (uint32_t s = map_next(m, 0, first + 1); s < SEQ_SPACE; s = map_next(m, 0, s + 1)) {
        if (s - prev > best_gap) {
            best_gap = s - prev;
            best = s;
        }
        prev = s;
    }
    /* The wrap-around gap from the last present seq back to the first. */
    if (first + SEQ_SPACE - prev > best_gap)
        best = first;
    return best;
}

/* Emits PID/BLP pairs into fci (when not NULL) and returns how many there are. */
static size_t map_pack(const struct seq_map *m, uint32_t start, uint8_t *fci)
{
    size_t n = 0;
    for (uint32_t o = map_next(m, start, 0); o < SEQ_SPACE;
         o = map_next(m, start, o + 1 + RTCP_NACK_SPAN)) {
        uint32_t pid = (start + o) & (SEQ_SPACE - 1);
        uint16_t blp = 0;
        for (uint32_t bit = 0; bit < RTCP_NACK_SPAN && o + 1 + bit < SEQ_SPACE; bit++) {
            if (map_has(m, pid + 1 + bit))
                blp |= (uint16_t)(1u << bit);
        }
        if (fci) {
            put16(fci + n * 4, (uint16_t)pid);
            put16(fci + n * 4 + 2, blp);
        }
        n++;
    }
    return n;
}

int rtcp_write_nack(struct rtcp_writer *w, uint32_t sender, uint32_t media, const uint16_t *seqs,
                    unsigned n)
{
    if (n == 0 || !seqs)
        return -EINVAL; /* RFC 4585 6.2.1: at least one FCI entry */
    struct seq_map m;
    memset(&m, 0, sizeof(m));
    for (unsigned i = 0; i < n; i++)
        m.w[seqs[i] / 64] |= (uint64_t)1 << (seqs[i] % 64);
    uint32_t start = map_pack_start(&m);
    size_t total = RTCP_HDR_LEN + RTCP_FB_LEN + map_pack(&m, start, NULL) * 4;
    uint8_t *p = start_fb(w, RTCP_FB_NACK, RTCP_RTPFB, total, sender, media);
    if (!p)
        return -ENOSPC;
    map_pack(&m, start, p + RTCP_HDR_LEN + RTCP_FB_LEN);
    w->len += total;
    return 0;
}

/* ---- Time ---- */

uint64_t rtcp_ntp_from_unix_us(uint64_t unix_us)
{
    uint64_t sec = unix_us / US_PER_S + NTP_UNIX_OFFSET;
    uint64_t frac = ((unix_us % US_PER_S) << 32) / US_PER_S;
    return sec << 32 | frac;
}
