/* SRTP/SRTCP contexts over libsrtp2 for one direction of one participant, keyed by SDES.
 * Replay protection is libsrtp's (a 1024-packet window). A context is used by one thread at a
 * time; it may be created on the control thread and handed to a worker. */
#ifndef MCU_RTPSEC_H
#define MCU_RTPSEC_H

#include <stddef.h>
#include <stdint.h>

enum rtpsec_suite {
    RTPSEC_AES_CM_128_HMAC_SHA1_80,
    RTPSEC_AES_CM_128_HMAC_SHA1_32,
    RTPSEC_AEAD_AES_128_GCM,
    RTPSEC_SUITE_COUNT,
};

#define RTPSEC_MAX_KEY     46  /* master key + salt, largest suite */
#define RTPSEC_MAX_TRAILER 144 /* bytes protect may add (SRTP_MAX_TRAILER_LEN + SRTCP index) */

enum rtpsec_dir { RTPSEC_INBOUND, RTPSEC_OUTBOUND };

/* Once per process, before any context: opens NSS in the mode that keeps per-packet cost flat
 * with many sessions (see DESIGN.md's field notes), then srtp_init(), then replaces libsrtp's
 * NSS AES-ICM and HMAC-SHA1 with OpenSSL kernels (rtpsec_ossl.h: 0.34 us a protect against
 * 2.4; NSS still serves GCM). 0 or -errno (-EIO when libsrtp refuses a kernel). */
int rtpsec_global_init(void);
void rtpsec_global_deinit(void);

/* Suite by SDP name ("AES_CM_128_HMAC_SHA1_80", ...): 0 or -EINVAL. */
int rtpsec_suite_parse(const char *name, enum rtpsec_suite *suite);
const char *rtpsec_suite_name(enum rtpsec_suite suite);
/* Master key + salt length for the suite (30 for AES_CM_128, 28 for AEAD_AES_128_GCM). */
size_t rtpsec_key_len(enum rtpsec_suite suite);
/* Fill key[rtpsec_key_len(suite)] from the kernel's CSPRNG. 0 or -errno. */
int rtpsec_keygen(enum rtpsec_suite suite, uint8_t *key);

struct rtpsec;

int rtpsec_create(struct rtpsec **out, enum rtpsec_suite suite, const uint8_t *key,
                  enum rtpsec_dir dir);
void rtpsec_destroy(struct rtpsec **sp);

/* In place. buf must have RTPSEC_MAX_TRAILER bytes free after *len. 0 or -errno. */
int rtpsec_protect(struct rtpsec *s, uint8_t *buf, size_t *len);
int rtpsec_protect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len);
/* In place; *len shrinks. -EACCES on authentication failure, -EALREADY on replay,
 * -EBADMSG when too short or unparseable. */
int rtpsec_unprotect(struct rtpsec *s, uint8_t *buf, size_t *len);
int rtpsec_unprotect_rtcp(struct rtpsec *s, uint8_t *buf, size_t *len);

#endif
