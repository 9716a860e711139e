/* H.264 RTP payload format, RFC 6184 packetization-mode 1 (see pay_h264.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "pay_h264.h"

#define NAL_TYPE(b) ((b)&0x1f)
#define NAL_F       0x80
#define NAL_NRI     0x60
#define T_IDR       5
#define T_SPS       7
#define T_PPS       8
#define T_STAP_A    24
#define T_STAP_B    25
#define T_MTAP16    26
#define T_MTAP24    27
#define T_FU_A      28
#define T_FU_B      29
#define FU_S        0x80
#define FU_E        0x40
#define STAP_MAX    0xffff /* a STAP-A NAL size is 16 bits */

static const uint8_t start_code[4] = {0, 0, 0, 1};

/* ---- Packetizer ---- */

struct nal_iter {
    const uint8_t *p;
    size_t len, pos; /* pos: just after the last start code found, or len */
};

/* Index of the next 00 00 01 at or after `from`, or len. */
static size_t find_sc(const uint8_t *p, size_t len, size_t from)
{
    for (size_t i = from; i + 3 <= len; i++)
        if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)
            return i;
    return len;
}

/* Next non-empty NAL; 0 at the end. Trailing zeros belong to the next 4-byte start code or are
 * trailing_zero_8bits, never to the NAL (whose last byte holds the rbsp stop bit). */
static int nal_next(struct nal_iter *it, size_t *off, size_t *len)
{
    while (it->pos < it->len) {
        size_t start = it->pos, end = find_sc(it->p, it->len, start);
        it->pos = end < it->len ? end + 3 : it->len;
        while (end > start && it->p[end - 1] == 0)
            end--;
        if (end > start) {
            *off = start;
            *len = end - start;
            return 1;
        }
    }
    return 0;
}

/* A NAL that may travel alone, in a STAP-A or in an FU-A: types 24-31 are RTP's own. */
static int nal_sendable(uint8_t hdr)
{
    uint8_t t = NAL_TYPE(hdr);
    return !(hdr & NAL_F) && t >= 1 && t <= 23;
}

size_t pay_h264_buf_bound(size_t au_len, size_t max_payload)
{
    /* Each NAL drops a start code (>= 3 bytes) and gains at most 2 bytes per FU-A fragment
     * after the first less its own header; a STAP-A trades the start codes for 1 + 2 each. */
    size_t frag = max_payload > 2 ? max_payload - 2 : 1;
    return au_len + 2 * (au_len / frag + 1) + 3;
}

struct pk_out {
    uint8_t *buf;
    size_t cap, used;
    struct pay_h264_pkt *pkts;
    size_t max_pkts, n;
};

/* Start a packet of `len` bytes; returns where to write them or NULL when out of room. */
static uint8_t *pk_begin(struct pk_out *o, size_t len)
{
    if (o->n >= o->max_pkts || len > o->cap - o->used)
        return NULL;
    uint8_t *w = o->buf + o->used;
    o->pkts[o->n++] = (struct pay_h264_pkt){.off = o->used, .len = len};
    o->used += len;
    return w;
}

static int pk_fu_a(struct pk_out *o, const uint8_t *nal, size_t len, size_t max_payload)
{
    const uint8_t *p = nal + 1;
    size_t left = len - 1, chunk = max_payload - 2;
    int first = 1;
    while (left) {
        size_t n = left < chunk ? left : chunk;
        uint8_t *w = pk_begin(o, 2 + n);
        if (!w)
            return -ENOBUFS;
        w[0] = (uint8_t)((nal[0] & (NAL_F | NAL_NRI)) | T_FU_A);
        w[1] = (uint8_t)((first ? FU_S : 0) | (n == left ? FU_E : 0) | NAL_TYPE(nal[0]));
        memcpy(w + 2, p, n);
        p += n;
        left -= n;
        first = 0;
    }
    return 0;
}

int pay_h264_packetize(const uint8_t *au, size_t au_len, size_t max_payload, uint8_t *buf,
                       size_t cap, struct pay_h264_pkt *pkts, size_t max_pkts)
{
    if (max_payload < 3 || (!au && au_len) || (!buf && cap) || (!pkts && max_pkts))
        return -EINVAL;
    struct nal_iter it = {.p = au, .len = au_len, .pos = find_sc(au, au_len, 0)};
    for (size_t i = 0; i < it.pos; i++)
        if (au[i] != 0)
            return -EBADMSG; /* garbage before the first start code */
    if (it.pos < au_len)
        it.pos += 3;
    struct pk_out o = {.buf = buf, .cap = cap, .pkts = pkts, .max_pkts = max_pkts};
    size_t off, len;
    int have = nal_next(&it, &off, &len);
    while (have) {
        if (!nal_sendable(au[off]))
            return -EBADMSG;
        if (len > max_payload) {
            int r = pk_fu_a(&o, au + off, len, max_payload);
            if (r < 0)
                return r;
            have = nal_next(&it, &off, &len);
            continue;
        }
        /* Gather the following NALs while a STAP-A of all of them still fits. */
        struct nal_iter look = it;
        size_t n = 1, stap = 1 + 2 + len, noff, nlen;
        struct nal_iter after = it;
        int more = nal_next(&look, &noff, &nlen);
        while (more && len <= STAP_MAX && nal_sendable(au[noff]) && nlen <= STAP_MAX &&
               stap + 2 + nlen <= max_payload) {
            stap += 2 + nlen;
            n++;
            after = look;
            more = nal_next(&look, &noff, &nlen);
        }
        if (n == 1) {
            uint8_t *w = pk_begin(&o, len);
            if (!w)
                return -ENOBUFS;
            memcpy(w, au + off, len);
            have = nal_next(&it, &off, &len);
            continue;
        }
        uint8_t *w = pk_begin(&o, stap);
        if (!w)
            return -ENOBUFS;
        uint8_t nri = 0;
        *w++ = 0; /* header written once the highest NRI is known */
        for (size_t k = 0; k < n; k++) {
            if (k)
                nal_next(&it, &off, &len);
            /* RFC 6184 5.7.1: the STAP-A NRI is the highest NRI of its NALs. */
            if ((au[off] & NAL_NRI) > nri)
                nri = au[off] & NAL_NRI;
            *w++ = (uint8_t)(len >> 8);
            *w++ = (uint8_t)len;
            memcpy(w, au + off, len);
            w += len;
        }
        buf[o.pkts[o.n - 1].off] = (uint8_t)(nri | T_STAP_A);
        it = after;
        have = nal_next(&it, &off, &len);
    }
    if (!o.n)
        return -EBADMSG;
    o.pkts[o.n - 1].marker = 1;
    return (int)o.n;
}

/* ---- Depacketizer ---- */

struct slot {
    uint16_t seq;
    size_t off, len; /* in store */
};

struct pay_h264_depay {
    struct pay_h264_depay_params p;
    uint8_t *store; /* payloads of the unit being gathered, p.max_au bytes */
    size_t store_used;
    struct slot *slots; /* sorted by seq from `start`, p.max_pkts */
    unsigned n;
    uint8_t *out; /* the released unit, p.max_au bytes */
    int open;     /* a unit is being gathered (ts valid) */
    uint32_t ts;
    int anchored;   /* start is known: the seq after the previous unit's last */
    uint16_t start; /* first seq of the unit when anchored */
    int marker_seen, broken;
    uint16_t marker_seq;
    int have_closed; /* a unit was closed: late packets are recognised by seq */
    uint16_t closed_end;
    uint32_t closed_ts;
    struct pay_h264_stats st;
};

int pay_h264_depay_create(struct pay_h264_depay **out, const struct pay_h264_depay_params *p)
{
    struct pay_h264_depay_params def = {.max_au = 1 << 20, .max_pkts = 2048};
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (p)
        def = *p;
    if (!def.max_au || !def.max_pkts || def.max_au > SIZE_MAX / 2)
        return -EINVAL;
    struct pay_h264_depay *d = mcu_calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->p = def;
    d->store = mcu_malloc(def.max_au);
    d->out = mcu_malloc(def.max_au);
    d->slots = mcu_calloc(def.max_pkts, sizeof(*d->slots));
    if (!d->store || !d->out || !d->slots) {
        pay_h264_depay_destroy(&d);
        return -ENOMEM;
    }
    *out = d;
    return 0;
}

void pay_h264_depay_destroy(struct pay_h264_depay **dp)
{
    if (!dp || !*dp)
        return;
    struct pay_h264_depay *d = *dp;
    mcu_free(d->store);
    mcu_free(d->out);
    mcu_free(d->slots);
    mcu_free(d);
    *dp = NULL;
}

void pay_h264_depay_get_stats(const struct pay_h264_depay *d, struct pay_h264_stats *st)
{
    *st = d->st;
}

/* A packet on its own: 0, -EBADMSG or -ENOTSUP. Checks every length before any copy. */
static int check_packet(const uint8_t *pl, size_t len)
{
    if (!len || (pl[0] & NAL_F))
        return -EBADMSG;
    uint8_t t = NAL_TYPE(pl[0]);
    if (t >= 1 && t <= 23)
        return 0;
    if (t == T_STAP_B || t == T_MTAP16 || t == T_MTAP24 || t == T_FU_B)
        return -ENOTSUP;
    if (t == T_STAP_A) {
        size_t pos = 1;
        if (len < 1 + 2 + 1)
            return -EBADMSG;
        while (pos < len) {
            if (len - pos < 2)
                return -EBADMSG;
            size_t n = (size_t)pl[pos] << 8 | pl[pos + 1];
            pos += 2;
            if (!n || n > len - pos || !nal_sendable(pl[pos]))
                return -EBADMSG;
            pos += n;
        }
        return 0;
    }
    if (t == T_FU_A) {
        /* The FU header's top bits are S, E, R: only its type is a NAL header's. */
        if (len < 3 || !nal_sendable(pl[1] & 0x1f) || (pl[1] & (FU_S | FU_E)) == (FU_S | FU_E))
            return -EBADMSG;
        return 0;
    }
    return -EBADMSG; /* 0, 30, 31: undefined */
}

static void reset_unit(struct pay_h264_depay *d)
{
    d->open = 0;
    d->n = 0;
    d->store_used = 0;
    d->marker_seen = 0;
    d->broken = 0;
}

static unsigned nal_flag(uint8_t hdr)
{
    switch (NAL_TYPE(hdr)) {
    case T_IDR:
        return PAY_H264_IDR;
    case T_SPS:
        return PAY_H264_SPS;
    case T_PPS:
        return PAY_H264_PPS;
    default:
        return 0;
    }
}

struct asm_out {
    uint8_t *buf;
    size_t cap, len;
    unsigned flags;
};

static int put_bytes(struct asm_out *o, const void *src, size_t n)
{
    if (n > o->cap - o->len)
        return -EMSGSIZE;
    memcpy(o->buf + o->len, src, n);
    o->len += n;
    return 0;
}

static int put_nal(struct asm_out *o, const uint8_t *nal, size_t n)
{
    o->flags |= nal_flag(nal[0]);
    int r = put_bytes(o, start_code, sizeof(start_code));
    return r < 0 ? r : put_bytes(o, nal, n);
}

/* Annex B from the sorted, gap-free, individually checked packets. */
static int assemble(struct pay_h264_depay *d, struct pay_h264_au *au)
{
    struct asm_out o = {.buf = d->out, .cap = d->p.max_au};
    int in_fu = 0;
    uint8_t fu_type = 0;
    for (unsigned i = 0; i < d->n; i++) {
        const uint8_t *pl = d->store + d->slots[i].off;
        size_t len = d->slots[i].len;
        uint8_t t = NAL_TYPE(pl[0]);
        int r = 0;
        if (t != T_FU_A && in_fu)
            return -EBADMSG; /* an FU-A never ended */
        if (t == T_STAP_A) {
            for (size_t pos = 1; pos < len && r == 0;) {
                size_t n = (size_t)pl[pos] << 8 | pl[pos + 1];
                r = put_nal(&o, pl + pos + 2, n);
                pos += 2 + n;
            }
        } else if (t == T_FU_A) {
            uint8_t fh = pl[1];
            if (fh & FU_S) {
                if (in_fu)
                    return -EBADMSG;
                uint8_t hdr = (uint8_t)((pl[0] & (NAL_F | NAL_NRI)) | NAL_TYPE(fh));
                in_fu = 1;
                fu_type = NAL_TYPE(fh);
                r = put_nal(&o, &hdr, 1);
            } else if (!in_fu || NAL_TYPE(fh) != fu_type) {
                return -EBADMSG; /* FU-A without start, or its type changed */
            }
            if (r == 0)
                r = put_bytes(&o, pl + 2, len - 2);
            if (fh & FU_E)
                in_fu = 0;
        } else {
            r = put_nal(&o, pl, len);
        }
        if (r < 0)
            return r;
    }
    if (in_fu)
        return -EBADMSG;
    *au = (struct pay_h264_au){.data = d->out, .len = o.len, .ts = d->ts, .flags = o.flags};
    return 0;
}

/* Seq of slot 0 is the unit's first when unanchored. */
static uint16_t unit_start(const struct pay_h264_depay *d)
{
    return d->anchored ? d->start : d->slots[0].seq;
}

/* Close the open unit if it is complete up to `end` (inclusive); the next unit then starts at
 * end + 1. Returns PAY_H264_AU_READY, PAY_H264_AU_LOST, -EBADMSG (malformed across packets,
 * dropped) or 0 (not complete, kept). With `force`, an incomplete unit is dropped, not kept. */
static int try_close(struct pay_h264_depay *d, uint16_t end, int force, struct pay_h264_au *au)
{
    if (!d->open)
        return 0;
    uint16_t start = unit_start(d);
    int complete = !d->broken && d->n && (uint16_t)(end - start) + 1u == d->n &&
                   d->slots[0].seq == start && d->slots[d->n - 1].seq == end;
    if (complete && !d->anchored) {
        /* The first unit may still lack packets that come late: an FU-A middle shows it. */
        const uint8_t *first = d->store + d->slots[0].off;
        if (NAL_TYPE(first[0]) == T_FU_A && !(first[1] & FU_S))
            complete = 0;
    }
    if (!complete && !force)
        return 0;
    int r = complete ? assemble(d, au) : -ENODATA;
    d->have_closed = 1;
    d->closed_ts = d->ts;
    d->closed_end = end;
    d->anchored = 1;
    d->start = (uint16_t)(end + 1);
    reset_unit(d);
    if (r == 0) {
        d->st.aus++;
        return PAY_H264_AU_READY;
    }
    d->st.dropped_aus++;
    if (r == -EBADMSG) {
        d->st.malformed++;
        return -EBADMSG;
    }
    return PAY_H264_AU_LOST;
}

/* Insert in seq order (relative to the unit's start); 1 if a duplicate, -ENOBUFS when full. */
static int store_packet(struct pay_h264_depay *d, uint16_t seq, const uint8_t *pl, size_t len)
{
    uint16_t base = d->anchored ? d->start : (d->n ? d->slots[0].seq : seq);
    /* Unanchored, a seq before slot 0 becomes the new base: compare as signed distances. */
    int32_t rel = d->anchored ? (int32_t)(uint16_t)(seq - base) : (int16_t)(seq - base);
    unsigned i = d->n;
    while (i > 0) {
        uint16_t s = d->slots[i - 1].seq;
        int32_t rs = d->anchored ? (int32_t)(uint16_t)(s - base) : (int16_t)(s - base);
        if (rs == rel)
            return 1;
        if (rs < rel)
            break;
        i--;
    }
    if (d->n >= d->p.max_pkts || len > d->p.max_au - d->store_used)
        return -ENOBUFS;
    memmove(d->slots + i + 1, d->slots + i, (d->n - i) * sizeof(*d->slots));
    d->slots[i] = (struct slot){.seq = seq, .off = d->store_used, .len = len};
    memcpy(d->store + d->store_used, pl, len);
    d->store_used += len;
    d->n++;
    return 0;
}

int pay_h264_depay_put(struct pay_h264_depay *d, uint16_t seq, uint32_t ts, int marker,
                       const uint8_t *payload, size_t len, struct pay_h264_au *au)
{
    if (!d || !au || (!payload && len))
        return -EINVAL;
    d->st.packets++;
    int r = check_packet(payload, len);
    if (r < 0) {
        if (r == -ENOTSUP)
            d->st.unsupported++;
        else
            d->st.malformed++;
        return r;
    }
    /* Late: at or before the end of a closed unit (a 16-bit half-window decides). */
    if (d->have_closed && (int16_t)(seq - d->closed_end) <= 0) {
        d->st.late++;
        return 0;
    }
    if (d->open && d->marker_seen && ts == d->ts && (int16_t)(seq - d->marker_seq) > 0) {
        d->st.malformed++;
        return -EBADMSG; /* the sender said the unit ended */
    }
    int ev = 0;
    if (d->open && ts != d->ts) {
        /* A new timestamp closes the open unit: without a marker, it ended just before. */
        uint16_t end = d->marker_seen ? d->marker_seq : (uint16_t)(seq - 1);
        ev = try_close(d, end, 1, au);
    }
    if (!d->open) {
        d->open = 1;
        d->ts = ts;
    }
    r = store_packet(d, seq, payload, len);
    if (r == 1) {
        d->st.duplicates++;
        return ev;
    }
    if (r < 0)
        d->broken = 1; /* too big: keep gathering so the whole unit is dropped at once */
    if (marker && !d->marker_seen) {
        d->marker_seen = 1;
        d->marker_seq = seq;
    }
    /* One unit per call (*au has one slot): after a release, this one waits for the next put. */
    if (ev != 0 && ev != PAY_H264_AU_LOST)
        return ev;
    if (d->marker_seen) {
        uint16_t start = unit_start(d);
        /* Drop as soon as something is known to be wrong, so the PLI goes out early. */
        int force = d->broken || (uint16_t)(d->marker_seq - start) >= d->p.max_pkts;
        r = try_close(d, d->marker_seq, force, au);
        if (r < 0)
            return ev ? ev : r; /* already reported as lost */
        ev |= r;
    }
    return ev;
}
