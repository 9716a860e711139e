/* libFuzzer target for mcu/rtpsec.c: SRTP and SRTCP unprotect, what every packet from the
 * network meets first after demux. The input is a suite byte, then records of
 * [kind (1)] [length (2, big-endian)] [packet], all unprotected in order by one inbound context
 * made from a constant key, fresh for each input so that replays within it (-EALREADY) are
 * reproducible. Whatever the bytes, the answer is 0 or a clean -EACCES, -EBADMSG or -EALREADY.
 *
 * The seed corpus holds packets protected with the same key (see fuzz_rtpsec_make_corpus at the
 * end of this file), so mutations start past the key derivation and the header parsing and
 * reach the authentication check, where they must fail. A packet that does authenticate must
 * therefore be one the corpus maker built, and its plaintext is checked byte for byte: the only
 * way to pass with other bytes would be a forgery. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "rtpsec.h"

#define KIND_RTCP   0x01 /* record flag: SRTCP, else SRTP */
#define SEED_SSRC   0x5eed0001u
#define SEED_PT     111
#define PLAIN_MAX   1500
#define RECORDS_MAX 64 /* per input: keeps one input's cost bounded */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* One constant master key + salt per suite (the longest suite's length; shorter suites read a
 * prefix). A fuzz key, so its bytes only need to be fixed. */
static const uint8_t fuzz_key[RTPSEC_MAX_KEY] = {
    0x4d, 0x43, 0x55, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x30, 0x31, 0x21,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd};

static uint8_t pattern(size_t i, uint32_t salt)
{
    return (uint8_t)(i * 7 + salt * 13 + 3);
}

/* The RTP plaintext the corpus maker protects for sequence number `seq`: a fixed header, then
 * a payload whose length and bytes follow from seq. */
static size_t plain_rtp(uint8_t *buf, uint16_t seq)
{
    size_t plen = (size_t)(seq * 37u) % 160 + 1;
    buf[0] = 0x80;
    buf[1] = SEED_PT;
    put16(buf + 2, seq);
    put32(buf + 4, 960u * seq);
    put32(buf + 8, SEED_SSRC);
    for (size_t i = 0; i < plen; i++)
        buf[12 + i] = pattern(i, seq);
    return 12 + plen;
}

/* The RTCP plaintext for index `n`: an RR with no blocks (V=2, PT=201, length 1), then an APP
 * packet (PT=204, name "FUZZ") carrying n + 1 pattern words. */
static size_t plain_rtcp(uint8_t *buf, unsigned n)
{
    size_t words = n % 8 + 1;
    buf[0] = 0x80;
    buf[1] = 201;
    put16(buf + 2, 1);
    put32(buf + 4, SEED_SSRC);
    buf[8] = 0x80;
    buf[9] = 204;
    put16(buf + 10, (uint16_t)(2 + words));
    put32(buf + 12, SEED_SSRC);
    memcpy(buf + 16, "FUZZ", 4);
    put32(buf + 20, n);
    for (size_t i = 4; i < words * 4; i++)
        buf[20 + i] = pattern(i, n);
    return 20 + words * 4;
}

static void check_rtp_plain(const uint8_t *p, size_t len)
{
    uint8_t want[PLAIN_MAX];
    check(len >= 12);
    size_t wl = plain_rtp(want, get16(p + 2));
    check(len == wl && !memcmp(p, want, wl));
}

static void check_rtcp_plain(const uint8_t *p, size_t len)
{
    uint8_t want[PLAIN_MAX];
    check(len >= 24);
    size_t wl = plain_rtcp(want, get32(p + 20));
    check(len == wl && !memcmp(p, want, wl));
}

static void unprotect_one(struct rtpsec *rx, int rtcp, const uint8_t *pkt, size_t len)
{
    /* An exact-size heap copy: libsrtp works in place, and a read or write past the packet is
     * what AddressSanitizer must see. */
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return;
    memcpy(buf, pkt, len);
    size_t out = len;
    int r = rtcp ? rtpsec_unprotect_rtcp(rx, buf, &out) : rtpsec_unprotect(rx, buf, &out);
    check(r == 0 || r == -EACCES || r == -EBADMSG || r == -EALREADY);
    if (r == 0) {
        check(out < len);
        if (rtcp)
            check_rtcp_plain(buf, out);
        else
            check_rtp_plain(buf, out);
    } else {
        check(out == len); /* a refused packet leaves the length alone */
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        check(rtpsec_global_init() == 0);
        inited = 1;
    }
    if (size < 1)
        return 0;
    enum rtpsec_suite suite = (enum rtpsec_suite)(data[0] % RTPSEC_SUITE_COUNT);
    struct rtpsec *rx;
    check(rtpsec_create(&rx, suite, fuzz_key, RTPSEC_INBOUND) == 0);
    size_t off = 1;
    for (unsigned n = 0; n < RECORDS_MAX && off + 3 <= size; n++) {
        int rtcp = data[off] & KIND_RTCP;
        size_t len = get16(data + off + 1);
        off += 3;
        if (len > size - off)
            len = size - off;
        unprotect_one(rx, rtcp, data + off, len);
        off += len;
    }
    rtpsec_destroy(&rx);
    check(rx == NULL);
    return 0;
}

#ifdef FUZZ_RTPSEC_MAKE_CORPUS
/* Writes the seed corpus into the folder given: build with
 *   cc -DFUZZ_RTPSEC_MAKE_CORPUS -Imcu -Imixer tests/fuzz/fuzz_rtpsec.c mcu/rtpsec.c \
 *      mcu/rtpsec_ossl.c mixer/alloc.c $(pkg-config --cflags --libs libsrtp2 nss libcrypto)
 * and run it with tests/fuzz/corpus/rtpsec. */
#include <stdio.h>

struct rec_file {
    uint8_t buf[16384];
    size_t len;
};

static void add(struct rec_file *f, struct rtpsec *tx, int rtcp, uint16_t n)
{
    uint8_t pkt[PLAIN_MAX + RTPSEC_MAX_TRAILER];
    size_t len = rtcp ? plain_rtcp(pkt, n) : plain_rtp(pkt, n);
    int r = rtcp ? rtpsec_protect_rtcp(tx, pkt, &len) : rtpsec_protect(tx, pkt, &len);
    check(r == 0 && f->len + 3 + len <= sizeof(f->buf));
    f->buf[f->len] = rtcp ? KIND_RTCP : 0;
    put16(f->buf + f->len + 1, (uint16_t)len);
    memcpy(f->buf + f->len + 3, pkt, len);
    f->len += 3 + len;
}

/* The last record again, byte for byte: a replay. */
static void add_replay(struct rec_file *f, size_t last_off)
{
    size_t len = f->len - last_off;
    memmove(f->buf + f->len, f->buf + last_off, len);
    f->len += len;
}

static void save(const char *dir, const char *name, const struct rec_file *f)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *o = fopen(path, "wb");
    check(o && fwrite(f->buf, 1, f->len, o) == f->len && fclose(o) == 0);
}

int main(int argc, char **argv)
{
    static const char *const names[RTPSEC_SUITE_COUNT] = {"aes_cm_80.bin", "aes_cm_32.bin",
                                                          "aead_gcm.bin"};
    check(argc == 2 && rtpsec_global_init() == 0);
    for (int s = 0; s < RTPSEC_SUITE_COUNT; s++) {
        struct rtpsec *tx;
        static struct rec_file f;
        check(rtpsec_create(&tx, (enum rtpsec_suite)s, fuzz_key, RTPSEC_OUTBOUND) == 0);
        f.len = 0;
        f.buf[f.len++] = (uint8_t)s;
        /* A stream's start, a reordered pair, a replay, RTCP between, and a jump in seq. */
        add(&f, tx, 0, 1000);
        add(&f, tx, 0, 1001);
        add(&f, tx, 1, 0);
        add(&f, tx, 0, 1003);
        add(&f, tx, 0, 1002);
        size_t last = f.len;
        add(&f, tx, 0, 1004);
        add_replay(&f, last);
        add(&f, tx, 1, 1);
        add(&f, tx, 0, 1500);
        add(&f, tx, 1, 2);
        save(argv[1], names[s], &f);
        rtpsec_destroy(&tx);
    }
    /* SRTCP alone, with a replayed compound, and SRTP across the sequence wrap. */
    struct rtpsec *tx;
    static struct rec_file f;
    check(rtpsec_create(&tx, RTPSEC_AES_CM_128_HMAC_SHA1_80, fuzz_key, RTPSEC_OUTBOUND) == 0);
    f.len = 0;
    f.buf[f.len++] = RTPSEC_AES_CM_128_HMAC_SHA1_80;
    for (uint16_t n = 0; n < 6; n++)
        add(&f, tx, 1, n);
    size_t last = f.len;
    add(&f, tx, 1, 6);
    add_replay(&f, last);
    save(argv[1], "srtcp_only.bin", &f);
    f.len = 1;
    for (uint16_t seq = 65533; seq != 3; seq++)
        add(&f, tx, 0, seq);
    save(argv[1], "seq_wrap.bin", &f);
    rtpsec_destroy(&tx);
    return 0;
}
#endif
