/* SRTP/SRTCP over libsrtp2 (built against NSS on Debian), with the AES-ICM and HMAC-SHA1 kernels
 * replaced by OpenSSL ones (rtpsec_ossl.c). */
#include "rtpsec.h"

#include <errno.h>
#include <nss.h>
#include <srtp2/srtp.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "alloc.h"
#include "rtpsec_ossl.h"

struct rtpsec {
    srtp_t ctx;
};

static const struct {
    const char *name;
    size_t key_len;
} suites[RTPSEC_SUITE_COUNT] = {
    [RTPSEC_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", SRTP_AES_ICM_128_KEY_LEN_WSALT},
    [RTPSEC_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", SRTP_AES_ICM_128_KEY_LEN_WSALT},
    [RTPSEC_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", SRTP_AES_GCM_128_KEY_LEN_WSALT},
};

int rtpsec_global_init(void)
{
    /* NSS still serves AES-GCM (and AES-ICM-192, which no suite of ours uses). libsrtp opens
     * NSS itself with NSS_INIT_OPTIMIZESPACE when nobody did, and then NSS builds a new crypto
     * context per packet at a cost that grows with the number of sessions. Opening it first,
     * without that flag, makes libsrtp reuse ours. */
    if (!NSS_IsInitialized()) {
        if (NSS_Initialize("", "", "", "",
                           NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
                               NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT) != SECSuccess)
            return -EIO;
    }
    if (srtp_init() != srtp_err_status_ok)
        return -EIO;
    /* Even then NSS's AES-ICM and HMAC-SHA1 create and destroy a PK11 context per packet (locks,
     * malloc/free): the AES_CM suites cost about 3x GCM. The OpenSSL kernels keep the key schedule
     * and the HMAC pad states from session setup on. */
    return rtpsec_ossl_register();
}

void rtpsec_global_deinit(void)
{
    srtp_shutdown();
}

int rtpsec_suite_parse(const char *name, enum rtpsec_suite *suite)
{
    for (int i = 0; i < RTPSEC_SUITE_COUNT; i++) {
        if (!strcasecmp(name, suites[i].name)) {
            *suite = (enum rtpsec_suite)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *rtpsec_suite_name(enum rtpsec_suite suite)
{
    return (unsigned)suite < RTPSEC_SUITE_COUNT ? suites[suite].name : "unknown";
}

size_t rtpsec_key_len(enum rtpsec_suite suite)
{
    return (unsigned)suite < RTPSEC_SUITE_COUNT ? suites[suite].key_len : 0;
}

int rtpsec_keygen(enum rtpsec_suite suite, uint8_t *key)
{
    size_t n = rtpsec_key_len(suite);
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(key + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)r;
    }
    return 0;
}

static int map_err(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
        return -EACCES;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return -EALREADY;
    case srtp_err_status_alloc_fail:
        return -ENOMEM;
    case srtp_err_status_bad_param:
        return -EINVAL;
    default:
        return -EBADMSG;
    }
}

static void set_policy(srtp_crypto_policy_t *p, enum rtpsec_suite suite, int rtcp)
{
    switch (suite) {
    case RTPSEC_AES_CM_128_HMAC_SHA1_32:
        /* RFC 4568: the 32-bit tag applies to SRTP only; SRTCP keeps 80 bits. */
        if (rtcp)
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
        else
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p);
        break;
    case RTPSEC_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
        break;
    default:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
        break;
    }
}

int rtpsec_create(struct rtpsec **out, enum rtpsec_suite suite, const uint8_t *key,
                  enum rtpsec_dir dir)
{
    if ((unsigned)suite >= RTPSEC_SUITE_COUNT)
        return -EINVAL;
    struct rtpsec *s = mcu_calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    uint8_t keybuf[RTPSEC_MAX_KEY];
    memcpy(keybuf, key, rtpsec_key_len(suite));

    srtp_policy_t pol;
    memset(&pol, 0, sizeof(pol));
    set_policy(&pol.rtp, suite, 0);
    set_policy(&pol.rtcp, suite, 1);
    pol.ssrc.type = dir == RTPSEC_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
    pol.key = keybuf;
    pol.window_size = 1024;
    pol.allow_repeat_tx = 0;
    srtp_err_status_t st = srtp_create(&s->ctx, &pol);
    /* libsrtp reports a failed allocation inside key derivation (its KDF cipher, which is our
     * OpenSSL AES-ICM kernel) as init_fail; with a registered suite and a key of the suite's
     * length, nothing else makes it fail (found by tests/unit/test_oom.c). */
    int err = st == srtp_err_status_init_fail ? -ENOMEM : map_err(st);
    memset(keybuf, 0, sizeof(keybuf));
    if (err) {
        mcu_free(s);
        return err;
    }
    *out = s;
    return 0;
}

void rtpsec_destroy(struct rtpsec **sp)
{
    struct rtpsec *s = *sp;
    if (!s)
        return;
    srtp_dealloc(s->ctx);
    mcu_free(s);
    *sp = NULL;
}

typedef srtp_err_status_t (*srtp_op_fn)(srtp_t, void *, int *);

static int run(srtp_op_fn op, struct rtpsec *s, uint8_t *buf, size_t *len)
{
    if (*len > 65535)
        return -EMSGSIZE;
    int n = (int)*len;
    int err = map_err(op(s->ctx, buf, &n));
    if (!err)
        *len = (size_t)n;
    return err;
}

int rtpsec_protect(struct rtpsec *s, uint8_t *buf, size_t *len)
{
    return run(srtp_protect, s, buf, len);
}

int rtpsec_protect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len)
{
    return run(srtp_protect_rtcp, s, buf, len);
}

/* libsrtp answers bad_param (-EINVAL) for a header it cannot parse (a version other than 2, a
 * CSRC list or extension past the end): for a received packet that is a malformed packet, not a
 * caller's mistake, and the contract says -EBADMSG (found by tests/fuzz/fuzz_rtpsec.c). */
static int received_err(int err)
{
    return err == -EINVAL ? -EBADMSG : err;
}

int rtpsec_unprotect(struct rtpsec *s, uint8_t *buf, size_t *len)
{
    /* libsrtp reads the header before it authenticates: refuse what cannot be RTP first. */
    if (*len < 12 + 4)
        return -EBADMSG;
    return received_err(run(srtp_unprotect, s, buf, len));
}

int rtpsec_unprotect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len)
{
    if (*len < 8 + 4 + 4)
        return -EBADMSG;
    return received_err(run(srtp_unprotect_rtcp, s, buf, len));
}
