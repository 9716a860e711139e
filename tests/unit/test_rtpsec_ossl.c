/* rtpsec_ossl: the OpenSSL HMAC-SHA1 and AES-ICM kernels against the RFC vectors, and libsrtp
 * with them against libsrtp with its own NSS kernels, byte for byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "alloc.h"
#include "rtp.h"
#include "rtpsec.h"
#include "rtpsec_ossl.h"

/* Exported by libsrtp2 2.5, declared in its crypto_kernel.h, which Debian does not install. The
 * test uses them to prove which kernels each side really ran. */
const srtp_cipher_type_t *srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);
const srtp_auth_type_t *srtp_crypto_kernel_get_auth_type(srtp_auth_type_id_t id);

#define MAX_PAYLOAD 1400
#define BUF_LEN     (12 + MAX_PAYLOAD + RTPSEC_MAX_TRAILER)

static size_t unhex(uint8_t *out, const char *hex)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2)
        out[n++] = (uint8_t)strtoul((char[3]){hex[0], hex[1], 0}, NULL, 16);
    return n;
}

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* ---- HMAC-SHA1: RFC 2202 section 3 ---- */

static const struct {
    const char *key; /* NULL: key_len bytes of key_fill */
    uint8_t key_fill;
    int key_len;
    const char *data; /* NULL: data_len bytes of data_fill */
    uint8_t data_fill;
    int data_len;
    const char *digest;
} rfc2202[] = {
    {NULL, 0x0b, 20, "Hi There", 0, 8, "b617318655057264e28bc0b6fb378c8ef146be00"},
    {"Jefe", 0, 4, "what do ya want for nothing?", 0, 28,
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
    {NULL, 0xaa, 20, NULL, 0xdd, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
    {"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
     "\x17\x18\x19",
     0, 25, NULL, 0xcd, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
    {NULL, 0x0c, 20, "Test With Truncation", 0, 20, "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
    {NULL, 0xaa, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 54,
     "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
    {NULL, 0xaa, 80, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 0,
     73, "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
};

/* One vector with every split of the data between update() calls and compute(), through the
 * same auth object (start() must reset it), at the full and at SRTP's truncated tag lengths. */
static void hmac_vector(size_t v, int tag_len)
{
    uint8_t key[80], data[80], digest[20];
    int klen = rfc2202[v].key_len, dlen = rfc2202[v].data_len;
    if (rfc2202[v].key)
        memcpy(key, rfc2202[v].key, (size_t)klen);
    else
        memset(key, rfc2202[v].key_fill, (size_t)klen);
    if (rfc2202[v].data)
        memcpy(data, rfc2202[v].data, (size_t)dlen);
    else
        memset(data, rfc2202[v].data_fill, (size_t)dlen);
    unhex(digest, rfc2202[v].digest);

    srtp_auth_t *a;
    assert_int_equal(srtp_auth_type_alloc(&rtpsec_ossl_hmac_sha1, &a, klen, tag_len), 0);
    assert_int_equal(srtp_auth_get_tag_length(a), tag_len);
    assert_int_equal(srtp_auth_get_prefix_length(a), 0);
    assert_int_equal(srtp_auth_init(a, key), 0);
    for (int split = 0; split <= dlen; split++) {
        uint8_t tag[24];
        memset(tag, 0xee, sizeof(tag));
        assert_int_equal(srtp_auth_start(a), 0);
        assert_int_equal(srtp_auth_update(a, data, split / 2), 0);
        assert_int_equal(srtp_auth_update(a, data + split / 2, split - split / 2), 0);
        assert_int_equal(srtp_auth_compute(a, data + split, dlen - split, tag), 0);
        assert_memory_equal(tag, digest, (size_t)tag_len);
        assert_int_equal(tag[tag_len], 0xee); /* nothing written past the tag */
    }
    assert_int_equal(srtp_auth_dealloc(a), 0);
}

static void test_hmac_rfc2202(void **state)
{
    static const int tag_lens[] = {20, 12, 10, 4};
    for (size_t v = 0; v < sizeof(rfc2202) / sizeof(rfc2202[0]); v++)
        for (size_t t = 0; t < sizeof(tag_lens) / sizeof(tag_lens[0]); t++)
            hmac_vector(v, tag_lens[t]);
}

/* ---- AES-ICM ---- */

static srtp_cipher_t *icm_new(const srtp_cipher_type_t *type, const char *key_hex)
{
    uint8_t key[46];
    int len = (int)unhex(key, key_hex);
    srtp_cipher_t *c;
    assert_int_equal(srtp_cipher_type_alloc(type, &c, len, 0), 0);
    assert_int_equal(srtp_cipher_get_key_length(c), len);
    assert_int_equal(srtp_cipher_init(c, key), 0);
    return c;
}

/* RFC 3711 B.2: the whole 1,044,512-octet keystream segment, produced in pieces of changing size
 * (the keystream must continue across calls), checked at both ends as the RFC lists it, then
 * decrypted in one call back to zeros. */
static void test_icm_rfc3711_b2(void **state)
{
    enum { SEGMENT = 1044512 };
    uint8_t head[48], tail[48], iv[16] = {0};
    unhex(head, "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
                "41E95B3BB0A2E8DD477901E4FCA894C0");
    unhex(tail, "EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE"
                "6A2CC3787889374FBEB4C81B17BA6C44");
    srtp_cipher_t *c = icm_new(&rtpsec_ossl_aes_icm_128, "2B7E151628AED2A6ABF7158809CF4F3C"
                                                         "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
    uint8_t *ks = calloc(1, SEGMENT);
    assert_non_null(ks);
    assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), 0);
    uint32_t seed = 0x3711b2;
    for (size_t done = 0; done < SEGMENT;) {
        uint32_t n = 1 + rng(&seed) % 97;
        if (n > SEGMENT - done)
            n = (uint32_t)(SEGMENT - done);
        assert_int_equal(srtp_cipher_encrypt(c, ks + done, &n), 0);
        done += n;
    }
    assert_memory_equal(ks, head, sizeof(head));
    assert_memory_equal(ks + SEGMENT - sizeof(tail), tail, sizeof(tail));

    uint32_t n = SEGMENT;
    assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), 0);
    assert_int_equal(srtp_cipher_decrypt(c, ks, &n), 0);
    for (size_t i = 0; i < SEGMENT; i++)
        assert_int_equal(ks[i], 0);
    free(ks);
    assert_int_equal(srtp_cipher_dealloc(c), 0);
}

/* RFC 3711 B.3: the key derivation as libsrtp runs it on this cipher: key = master key and
 * salt, IV = the label in octet 7, keystream = the derived key. */
static void test_icm_rfc3711_b3(void **state)
{
    static const struct {
        uint8_t label;
        const char *out;
    } derived[] = {
        {0x00, "C61E7A93744F39EE10734AFE3FF7A087"},
        {0x02, "30CBBC08863D8C85D49DB34A9AE1"},
        {0x01, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
               "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
               "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2"},
    };
    srtp_cipher_t *c = icm_new(&rtpsec_ossl_aes_icm_128, "E1F97A0D3E018BE0D64FA32C06DE4139"
                                                         "0EC675AD498AFEEBB6960B3AABE6");
    for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
        uint8_t iv[16] = {0}, want[94], got[94] = {0};
        uint32_t n = (uint32_t)unhex(want, derived[i].out);
        iv[7] = derived[i].label;
        assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), 0);
        assert_int_equal(srtp_cipher_encrypt(c, got, &n), 0);
        assert_memory_equal(got, want, n);
    }
    assert_int_equal(srtp_cipher_dealloc(c), 0);
}

/* RFC 6188 section 7: AES-256-ICM. */
static void test_icm_256_rfc6188(void **state)
{
    uint8_t want[32], got[32] = {0}, iv[16] = {0};
    unhex(want, "92bdd28a93c3f52511c677d08b5515a49da71b2378a854f67050756ded165bac");
    srtp_cipher_t *c = icm_new(&rtpsec_ossl_aes_icm_256,
                               "57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98"
                               "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
    uint32_t n = sizeof(got);
    assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), 0);
    assert_int_equal(srtp_cipher_encrypt(c, got, &n), 0);
    assert_memory_equal(got, want, sizeof(want));
    assert_int_equal(srtp_cipher_dealloc(c), 0);
}

static void test_alloc_refusals(void **state)
{
    srtp_cipher_t *c;
    srtp_auth_t *a;
    assert_int_equal(srtp_cipher_type_alloc(&rtpsec_ossl_aes_icm_128, &c, 16, 0),
                     srtp_err_status_bad_param); /* the salt is part of key_len */
    assert_int_equal(srtp_cipher_type_alloc(&rtpsec_ossl_aes_icm_128, &c, 46, 0),
                     srtp_err_status_bad_param);
    assert_int_equal(srtp_cipher_type_alloc(&rtpsec_ossl_aes_icm_256, &c, 30, 0),
                     srtp_err_status_bad_param);
    assert_int_equal(srtp_auth_type_alloc(&rtpsec_ossl_hmac_sha1, &a, 20, 21),
                     srtp_err_status_bad_param);
    mcu_alloc_fail_after(0);
    assert_int_equal(srtp_cipher_type_alloc(&rtpsec_ossl_aes_icm_128, &c, 30, 0),
                     srtp_err_status_alloc_fail);
    mcu_alloc_fail_after(0);
    assert_int_equal(srtp_auth_type_alloc(&rtpsec_ossl_hmac_sha1, &a, 20, 10),
                     srtp_err_status_alloc_fail);
    mcu_alloc_fail_after(-1);
}

/* ---- libsrtp with our kernels against libsrtp with NSS's ----
 * A child forked before any libsrtp call protects every reference packet with libsrtp's NSS
 * kernels (it runs srtp_init() but never rtpsec_global_init()) into shared memory. This process
 * then registers ours through rtpsec_global_init() and must produce the same bytes, and must
 * take the child's packets. (One process cannot hold both: libsrtp refuses a second
 * srtp_init().) */

enum { KIND_RTP, KIND_RTCP, KIND_COUNT };
#define NPKT    (MAX_PAYLOAD + 1) /* every payload size 0..1400 */
#define STEP256 7
#define N256    (MAX_PAYLOAD / STEP256 + 1)

typedef int (*rtpsec_op_fn)(struct rtpsec *, uint8_t *, size_t *);

static const struct kind {
    rtpsec_op_fn protect, unprotect;
    size_t hdr; /* bytes before the encrypted part */
} kinds[KIND_COUNT] = {
    [KIND_RTP] = {rtpsec_protect, rtpsec_unprotect, 12},
    [KIND_RTCP] = {rtpsec_protect_rtcp, rtpsec_unprotect_rtcp, 8},
};

struct pkt {
    size_t len;
    uint8_t b[BUF_LEN];
};

/* Written by the child, read here. */
struct ref {
    int nss_kernels; /* libsrtp held none of our kernels in the child */
    struct pkt p[RTPSEC_SUITE_COUNT][KIND_COUNT][NPKT];
    struct pkt p256[N256]; /* AES_256_CM_HMAC_SHA1_80 through libsrtp directly */
};
static struct ref *ref;
static uint8_t master[RTPSEC_SUITE_COUNT][RTPSEC_MAX_KEY], master256[46];

static int ours(void)
{
    return srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128) == &rtpsec_ossl_aes_icm_128 &&
           srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_256) == &rtpsec_ossl_aes_icm_256 &&
           srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1) == &rtpsec_ossl_hmac_sha1;
}

/* Packet n of a stream, the same in both processes. RTP starts 700 packets before the sequence
 * wrap, so the rollover counter turns in the middle of every stream. */
static size_t make_packet(uint8_t *buf, int kind, int suite, size_t payload)
{
    uint32_t seed = 0x9e3779b9u * (uint32_t)(1 + (suite * KIND_COUNT + kind) * NPKT + payload);
    uint16_t seq = (uint16_t)(65536 - NPKT / 2 + payload);
    size_t len = kinds[kind].hdr + payload;
    if (kind == KIND_RTP) {
        rtp_write_header(buf, (int)(payload & 1), 111, seq, 960u * seq, 0x11223344);
    } else {
        buf[0] = 0x80;
        buf[1] = 201;
        buf[2] = (uint8_t)((len / 4 - 1) >> 8);
        buf[3] = (uint8_t)(len / 4 - 1);
        memcpy(buf + 4, "\x11\x22\x33\x44", 4);
    }
    for (size_t i = kinds[kind].hdr; i < len; i++)
        buf[i] = (uint8_t)rng(&seed);
    return len;
}

static srtp_err_status_t create256(srtp_t *ctx)
{
    srtp_policy_t pol;
    memset(&pol, 0, sizeof(pol));
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol.rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol.rtcp);
    pol.ssrc.type = ssrc_any_outbound;
    pol.key = master256;
    pol.window_size = 1024;
    return srtp_create(ctx, &pol);
}

static int protect256(srtp_t ctx, int i, struct pkt *p)
{
    p->len = make_packet(p->b, KIND_RTP, RTPSEC_SUITE_COUNT, (size_t)i * STEP256);
    int n = (int)p->len;
    srtp_err_status_t st = srtp_protect(ctx, p->b, &n);
    p->len = (size_t)n;
    return st != srtp_err_status_ok;
}

/* The child: one outbound context per suite and kind, every packet in sequence order. */
static int child_protect_stream(int suite, int kind)
{
    struct rtpsec *tx;
    if (rtpsec_create(&tx, (enum rtpsec_suite)suite, master[suite], RTPSEC_OUTBOUND))
        return 1;
    for (size_t payload = 0; payload < NPKT; payload++) {
        struct pkt *p = &ref->p[suite][kind][payload];
        p->len = make_packet(p->b, kind, suite, payload);
        if (kinds[kind].protect(tx, p->b, &p->len)) {
            rtpsec_destroy(&tx);
            return 1;
        }
    }
    rtpsec_destroy(&tx);
    return 0;
}

static int child_protect_all(void)
{
    if (srtp_init() != srtp_err_status_ok)
        return 1;
    ref->nss_kernels = srtp_crypto_kernel_get_cipher_type(SRTP_AES_ICM_128) != NULL && !ours();
    for (int suite = 0; suite < RTPSEC_SUITE_COUNT; suite++)
        for (int kind = 0; kind < KIND_COUNT; kind++)
            if (child_protect_stream(suite, kind))
                return 1;
    srtp_t ctx;
    if (create256(&ctx))
        return 1;
    for (int i = 0; i < N256; i++)
        if (protect256(ctx, i, &ref->p256[i]))
            return 1;
    srtp_dealloc(ctx);
    return 0;
}

static int group_setup(void **state)
{
    uint32_t seed = 0x5eed3711;
    for (size_t i = 0; i < sizeof(master); i++)
        master[i / RTPSEC_MAX_KEY][i % RTPSEC_MAX_KEY] = (uint8_t)rng(&seed);
    for (size_t i = 0; i < sizeof(master256); i++)
        master256[i] = (uint8_t)rng(&seed);

    ref = mmap(NULL, sizeof(*ref), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ref == MAP_FAILED)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(child_protect_all()); /* _exit: no atexit handlers, no second flush of stdio */
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return -1;
    return rtpsec_global_init();
}

static int group_teardown(void **state)
{
    rtpsec_global_deinit();
    munmap(ref, sizeof(*ref));
    return 0;
}

/* Without this the comparisons below could pass with NSS on both sides. */
static void test_kernels(void **state)
{
    assert_true(ref->nss_kernels);
    assert_true(ours());
}

/* A copy of prot[len] with one bit flipped at pos must be refused with -EACCES; pos stays in the
 * encrypted payload or the tag, where no replay or parse check answers first. */
static void expect_tamper_refused(struct rtpsec *rx, int kind, const struct pkt *prot, size_t pos)
{
    uint8_t bad[BUF_LEN];
    memcpy(bad, prot->b, prot->len);
    bad[pos] ^= 0x10;
    size_t len = prot->len;
    assert_int_equal(kinds[kind].unprotect(rx, bad, &len), -EACCES);
}

/* Where the tag ends: the packet's end, except in AEAD SRTCP (RFC 7714 9.1), where the E flag
 * and SRTCP index follow the tag. */
static size_t tag_end(int suite, int kind, size_t len)
{
    return kind == KIND_RTCP && suite == RTPSEC_AEAD_AES_128_GCM ? len - 4 : len;
}

/* Our protect equals the child's byte for byte at every payload size; our receiver takes every
 * packet the child protected, and refuses tampered copies of one in five. */
static void compare_stream(int suite, int kind)
{
    struct rtpsec *tx, *rx;
    assert_int_equal(rtpsec_create(&tx, (enum rtpsec_suite)suite, master[suite], RTPSEC_OUTBOUND),
                     0);
    assert_int_equal(rtpsec_create(&rx, (enum rtpsec_suite)suite, master[suite], RTPSEC_INBOUND),
                     0);
    for (size_t payload = 0; payload < NPKT; payload++) {
        const struct pkt *want = &ref->p[suite][kind][payload];
        uint8_t plain[BUF_LEN], buf[BUF_LEN];
        size_t plen = make_packet(plain, kind, suite, payload), len = plen;
        memcpy(buf, plain, plen);
        assert_int_equal(kinds[kind].protect(tx, buf, &len), 0);
        assert_int_equal(len, want->len);
        assert_memory_equal(buf, want->b, len);

        if (payload % 5 == 0) {
            if (payload)
                expect_tamper_refused(rx, kind, want, kinds[kind].hdr + payload / 2);
            expect_tamper_refused(rx, kind, want, tag_end(suite, kind, want->len) - 1);
        }
        memcpy(buf, want->b, want->len);
        len = want->len;
        assert_int_equal(kinds[kind].unprotect(rx, buf, &len), 0);
        assert_int_equal(len, plen);
        assert_memory_equal(buf, plain, plen);
    }
    rtpsec_destroy(&tx);
    rtpsec_destroy(&rx);
}

static void test_rtp_matches_nss(void **state)
{
    for (int suite = 0; suite < RTPSEC_SUITE_COUNT; suite++)
        compare_stream(suite, KIND_RTP);
}

static void test_rtcp_matches_nss(void **state)
{
    for (int suite = 0; suite < RTPSEC_SUITE_COUNT; suite++)
        compare_stream(suite, KIND_RTCP);
}

/* AES_256_CM_HMAC_SHA1_80 is no suite of ours, but its kernel is registered too. */
static void test_aes256_matches_nss(void **state)
{
    srtp_t ctx;
    assert_int_equal(create256(&ctx), srtp_err_status_ok);
    for (int i = 0; i < N256; i++) {
        struct pkt p;
        assert_int_equal(protect256(ctx, i, &p), 0);
        assert_int_equal(p.len, ref->p256[i].len);
        assert_memory_equal(p.b, ref->p256[i].b, p.len);
    }
    srtp_dealloc(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc2202),       cmocka_unit_test(test_icm_rfc3711_b2),
        cmocka_unit_test(test_icm_rfc3711_b3),     cmocka_unit_test(test_icm_256_rfc6188),
        cmocka_unit_test(test_alloc_refusals),     cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_rtp_matches_nss),    cmocka_unit_test(test_rtcp_matches_nss),
        cmocka_unit_test(test_aes256_matches_nss),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
