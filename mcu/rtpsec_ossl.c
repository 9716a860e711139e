/* HMAC-SHA1 and AES-ICM kernels for libsrtp2 on OpenSSL 3 libcrypto (see rtpsec_ossl.h). */

/* The low-level SHA1_* calls are deprecated in OpenSSL 3, but they are the only way there to
 * keep a hash state as a plain struct: EVP_MD_CTX_copy_ex and EVP_MAC re-init allocate a new
 * provider context on every copy in 3.0, which is the per-packet cost this file removes. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "rtpsec_ossl.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "alloc.h"

/* ---- HMAC-SHA1 (RFC 2104) ---- */

/* inner0 and outer0 are SHA-1 after the key^ipad and key^opad blocks: fixed per key, so a packet
 * only hashes its own bytes plus one outer block. */
struct hmac_sha1 {
    SHA_CTX inner0, outer0;
    SHA_CTX ctx; /* the packet under way */
};

struct hmac_auth {
    srtp_auth_t base; /* what libsrtp holds; state points at st */
    struct hmac_sha1 st;
};

static srtp_err_status_t hmac_alloc(srtp_auth_t **ap, int key_len, int out_len)
{
    if (key_len < 0 || out_len < 0 || out_len > SHA_DIGEST_LENGTH)
        return srtp_err_status_bad_param;
    struct hmac_auth *h = mcu_calloc(1, sizeof(*h));
    if (!h)
        return srtp_err_status_alloc_fail;
    h->base.type = &rtpsec_ossl_hmac_sha1;
    h->base.state = &h->st;
    h->base.out_len = out_len;
    h->base.key_len = key_len;
    h->base.prefix_len = 0; /* HMAC needs no keystream prefix */
    *ap = &h->base;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
    /* The states are key material. */
    OPENSSL_cleanse(a->state, sizeof(struct hmac_sha1));
    mcu_free(a);
    return srtp_err_status_ok;
}

/* SHA-1 state after one block of key ^ pad. */
static void hmac_pad_state(SHA_CTX *s, const uint8_t key[SHA_CBLOCK], uint8_t pad)
{
    uint8_t block[SHA_CBLOCK];
    for (size_t i = 0; i < sizeof(block); i++)
        block[i] = key[i] ^ pad;
    /* SHA1_Init/Update cannot fail on a valid context; they return 1. */
    SHA1_Init(s);
    SHA1_Update(s, block, sizeof(block));
    OPENSSL_cleanse(block, sizeof(block));
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
    struct hmac_sha1 *h = state;
    uint8_t k[SHA_CBLOCK] = {0};
    if (key_len < 0)
        return srtp_err_status_bad_param;
    if (key_len > SHA_CBLOCK)
        SHA1(key, (size_t)key_len, k); /* RFC 2104: a key longer than a block is hashed first */
    else if (key_len > 0)
        memcpy(k, key, (size_t)key_len);
    hmac_pad_state(&h->inner0, k, 0x36);
    hmac_pad_state(&h->outer0, k, 0x5c);
    OPENSSL_cleanse(k, sizeof(k));
    h->ctx = h->inner0;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_start(void *state)
{
    struct hmac_sha1 *h = state;
    h->ctx = h->inner0;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
    struct hmac_sha1 *h = state;
    if (len < 0)
        return srtp_err_status_bad_param;
    SHA1_Update(&h->ctx, buf, (size_t)len);
    return srtp_err_status_ok;
}

/* The last piece of the message, then the tag truncated to tag_len. */
static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
                                      uint8_t *tag)
{
    struct hmac_sha1 *h = state;
    uint8_t md[SHA_DIGEST_LENGTH];
    if (len < 0 || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH)
        return srtp_err_status_bad_param;
    SHA1_Update(&h->ctx, buf, (size_t)len);
    SHA1_Final(md, &h->ctx);
    /* The outer hash reuses ctx: the next packet starts from inner0 anyway. */
    h->ctx = h->outer0;
    SHA1_Update(&h->ctx, md, sizeof(md));
    SHA1_Final(md, &h->ctx);
    memcpy(tag, md, (size_t)tag_len);
    return srtp_err_status_ok;
}

/* Known answers libsrtp checks before it accepts the kernel: RFC 2202 cases 1 and 7 (the second
 * has a key longer than a block and data longer than a block). */
static const uint8_t hmac_kat7_key[80] = {
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const char hmac_kat7_data[] =
    "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";
static const uint8_t hmac_kat7_tag[20] = {0xe8, 0xe9, 0x9d, 0x0f, 0x45, 0x23, 0x7d,
                                          0x78, 0x6d, 0x6b, 0xba, 0xa7, 0x96, 0x5c,
                                          0x78, 0x08, 0xbb, 0xff, 0x1a, 0x91};
static const srtp_auth_test_case_t hmac_kat7 = {
    .key_length_octets = sizeof(hmac_kat7_key),
    .key = hmac_kat7_key,
    .data_length_octets = sizeof(hmac_kat7_data) - 1,
    .data = (const uint8_t *)hmac_kat7_data,
    .tag_length_octets = sizeof(hmac_kat7_tag),
    .tag = hmac_kat7_tag,
};

static const uint8_t hmac_kat1_key[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                          0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                          0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t hmac_kat1_tag[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72,
                                          0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
                                          0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
static const srtp_auth_test_case_t hmac_kat1 = {
    .key_length_octets = sizeof(hmac_kat1_key),
    .key = hmac_kat1_key,
    .data_length_octets = 8,
    .data = (const uint8_t *)"Hi There",
    .tag_length_octets = sizeof(hmac_kat1_tag),
    .tag = hmac_kat1_tag,
    .next_test_case = &hmac_kat7,
};

const srtp_auth_type_t rtpsec_ossl_hmac_sha1 = {
    .alloc = hmac_alloc,
    .dealloc = hmac_dealloc,
    .init = hmac_init,
    .compute = hmac_compute,
    .update = hmac_update,
    .start = hmac_start,
    .description = "HMAC-SHA1 (OpenSSL libcrypto, precomputed pads)",
    .test_data = &hmac_kat1,
    .id = SRTP_HMAC_SHA1,
};

/* ---- AES-ICM (RFC 3711 4.1.1) ---- */

#define ICM_SALT_LEN 14 /* SRTP_SALT_LEN */
#define ICM_BLOCK    16

/* The AES key schedule lives in evp from init on; a packet only sets the counter block.
 * OpenSSL's CTR counter is 128 bits wide where RFC 3711's block counter is the low 16: the same
 * as long as a call stays under 2^16 blocks (1 MiB), far above any packet or derived key. */
struct icm {
    EVP_CIPHER_CTX *evp;
    int key_size;              /* 16 or 32 */
    uint8_t offset[ICM_BLOCK]; /* the salt, then the block counter's two zero bytes */
};

struct icm_cipher {
    srtp_cipher_t base; /* what libsrtp holds; state points at st */
    struct icm st;
};

static srtp_err_status_t icm_alloc(srtp_cipher_t **cp, int key_len, const srtp_cipher_type_t *type,
                                   int key_size, const EVP_CIPHER *aes)
{
    /* libsrtp's key_len for AES-ICM counts the salt too. */
    if (key_len != key_size + ICM_SALT_LEN)
        return srtp_err_status_bad_param;
    struct icm_cipher *ic = mcu_calloc(1, sizeof(*ic));
    if (!ic)
        return srtp_err_status_alloc_fail;
    ic->st.key_size = key_size;
    ic->st.evp = EVP_CIPHER_CTX_new();
    /* Bind the cipher now so init and set_iv only pass a key or an IV. */
    if (!ic->st.evp || !EVP_EncryptInit_ex2(ic->st.evp, aes, NULL, NULL, NULL)) {
        EVP_CIPHER_CTX_free(ic->st.evp);
        mcu_free(ic);
        return srtp_err_status_alloc_fail;
    }
    ic->base.type = type;
    ic->base.state = &ic->st;
    ic->base.key_len = key_len;
    ic->base.algorithm = type->id;
    *cp = &ic->base;
    return srtp_err_status_ok;
}

static srtp_err_status_t icm128_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
    return icm_alloc(cp, key_len, &rtpsec_ossl_aes_icm_128, 16, EVP_aes_128_ctr());
}

static srtp_err_status_t icm256_alloc(srtp_cipher_t **cp, int key_len, int tag_len)
{
    return icm_alloc(cp, key_len, &rtpsec_ossl_aes_icm_256, 32, EVP_aes_256_ctr());
}

static srtp_err_status_t icm_dealloc(srtp_cipher_t *c)
{
    struct icm *s = c->state;
    EVP_CIPHER_CTX_free(s->evp); /* OpenSSL clears the key schedule */
    OPENSSL_cleanse(s, sizeof(*s));
    mcu_free(c);
    return srtp_err_status_ok;
}

/* key = AES key, then the 14-byte salt. */
static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
    struct icm *s = state;
    if (!EVP_EncryptInit_ex2(s->evp, NULL, key, NULL, NULL))
        return srtp_err_status_init_fail;
    memcpy(s->offset, key + s->key_size, ICM_SALT_LEN);
    s->offset[ICM_SALT_LEN] = s->offset[ICM_SALT_LEN + 1] = 0;
    return srtp_err_status_ok;
}

/* Counter block = iv ^ salt; the direction does not matter in counter mode. */
static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
    struct icm *s = state;
    uint8_t ctr[ICM_BLOCK];
    for (int i = 0; i < ICM_BLOCK; i++)
        ctr[i] = iv[i] ^ s->offset[i];
    return EVP_EncryptInit_ex2(s->evp, NULL, NULL, ctr, NULL) ? srtp_err_status_ok
                                                              : srtp_err_status_cipher_fail;
}

/* In place, any length; consecutive calls continue the keystream (libsrtp's header-extension
 * encryption relies on that). */
static srtp_err_status_t icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
    struct icm *s = state;
    int out;
    if (*len == 0)
        return srtp_err_status_ok;
    if (*len > INT_MAX)
        return srtp_err_status_bad_param;
    if (!EVP_EncryptUpdate(s->evp, buf, &out, buf, (int)*len))
        return srtp_err_status_cipher_fail;
    return srtp_err_status_ok;
}

/* Known answers: RFC 3711 B.2 (its first three keystream blocks) and RFC 6188 section 7, both
 * with the salt F0..FD and packet index 0. */
static uint8_t icm_kat_iv[ICM_BLOCK]; /* zero; libsrtp's test-case field is not const */
static const uint8_t icm_kat_zero[48];

static const uint8_t icm128_kat_key[30] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
    0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm128_kat_out[48] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
    0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd, 0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0};
static const srtp_cipher_test_case_t icm128_kat = {
    .key_length_octets = sizeof(icm128_kat_key),
    .key = icm128_kat_key,
    .idx = icm_kat_iv,
    .plaintext_length_octets = sizeof(icm128_kat_out),
    .plaintext = icm_kat_zero,
    .ciphertext_length_octets = sizeof(icm128_kat_out),
    .ciphertext = icm128_kat_out,
};

static const uint8_t icm256_kat_key[46] = {
    0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
    0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm256_kat_out[32] = {
    0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
    0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac};
static const srtp_cipher_test_case_t icm256_kat = {
    .key_length_octets = sizeof(icm256_kat_key),
    .key = icm256_kat_key,
    .idx = icm_kat_iv,
    .plaintext_length_octets = sizeof(icm256_kat_out),
    .plaintext = icm_kat_zero,
    .ciphertext_length_octets = sizeof(icm256_kat_out),
    .ciphertext = icm256_kat_out,
};

/* set_aad and get_tag are AEAD-only; libsrtp never calls them for AES-ICM. */
const srtp_cipher_type_t rtpsec_ossl_aes_icm_128 = {
    .alloc = icm128_alloc,
    .dealloc = icm_dealloc,
    .init = icm_init,
    .encrypt = icm_crypt,
    .decrypt = icm_crypt,
    .set_iv = icm_set_iv,
    .description = "AES-128 counter mode (OpenSSL libcrypto, key schedule kept)",
    .test_data = &icm128_kat,
    .id = SRTP_AES_ICM_128,
};

const srtp_cipher_type_t rtpsec_ossl_aes_icm_256 = {
    .alloc = icm256_alloc,
    .dealloc = icm_dealloc,
    .init = icm_init,
    .encrypt = icm_crypt,
    .decrypt = icm_crypt,
    .set_iv = icm_set_iv,
    .description = "AES-256 counter mode (OpenSSL libcrypto, key schedule kept)",
    .test_data = &icm256_kat,
    .id = SRTP_AES_ICM_256,
};

int rtpsec_ossl_register(void)
{
    /* Each call is independent: if libsrtp refuses one kernel, the others still help and the
     * refused one stays NSS, which is correct. The error says something is wrong with libcrypto. */
    int err = 0;
    if (srtp_replace_auth_type(&rtpsec_ossl_hmac_sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok)
        err = -EIO;
    if (srtp_replace_cipher_type(&rtpsec_ossl_aes_icm_128, SRTP_AES_ICM_128) != srtp_err_status_ok)
        err = -EIO;
    if (srtp_replace_cipher_type(&rtpsec_ossl_aes_icm_256, SRTP_AES_ICM_256) != srtp_err_status_ok)
        err = -EIO;
    return err;
}
