/* libsrtp2 crypto kernels on OpenSSL 3 libcrypto: HMAC-SHA1 and AES-ICM (AES_CM) with all
 * per-key work done once, so a packet costs no allocation and no lock. They replace the NSS
 * kernels of Debian's libsrtp2 through libsrtp's documented extension point. */
#ifndef MCU_RTPSEC_OSSL_H
#define MCU_RTPSEC_OSSL_H

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

/* Install the kernels below into libsrtp's crypto kernel (after srtp_init(); rtpsec_global_init
 * calls it). libsrtp runs each kernel's own known-answer tests and the tests of the kernel it
 * replaces before accepting it. Only contexts created afterwards use them; existing ones keep
 * theirs. Call from one thread, before contexts are used elsewhere. 0, or -EIO when libsrtp
 * refused a kernel (which then stays NSS: correct, only slower). */
int rtpsec_ossl_register(void);

/* The kernels themselves, for tests. Usable with libsrtp's srtp_auth_* / srtp_cipher_* calls
 * whether or not they are registered. */
extern const srtp_auth_type_t rtpsec_ossl_hmac_sha1;     /* SRTP_HMAC_SHA1, any key length */
extern const srtp_cipher_type_t rtpsec_ossl_aes_icm_128; /* SRTP_AES_ICM_128: key_len 30 */
extern const srtp_cipher_type_t rtpsec_ossl_aes_icm_256; /* SRTP_AES_ICM_256: key_len 46 */

#endif
