// COutpostCrypto: the device code's door to the system libcrypto (OpenSSL 3).
//
// Thin shims: streaming SHA-256 and Ed25519 key generation, signing and
// verification on raw 32-byte keys and 64-byte signatures. Swift sees only
// plain pointers and ints (no OpenSSL types), so the headers stay importable
// by Embedded Swift. Return codes: 0 = success unless documented otherwise;
// oc_last_error() describes the most recent libcrypto failure.
#ifndef OUTPOST_CRYPTO_H
#define OUTPOST_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { OC_SHA256_BYTES = 32, OC_ED25519_KEY_BYTES = 32, OC_ED25519_SIGNATURE_BYTES = 64 };

// ---- SHA-256 -------------------------------------------------------------
/// Opaque streaming hash state.
typedef struct oc_sha256_ctx oc_sha256_ctx;
/// New hash state, or NULL on failure.
oc_sha256_ctx *oc_sha256_new(void);
/// Adds bytes. Returns 0 or -1.
int oc_sha256_update(oc_sha256_ctx *ctx, const void *data, size_t count);
/// Writes the 32-byte digest and resets the state for reuse. Returns 0 or -1.
int oc_sha256_final(oc_sha256_ctx *ctx, uint8_t digest[32]);
void oc_sha256_free(oc_sha256_ctx *ctx);
/// One-shot digest of a buffer. Returns 0 or -1.
int oc_sha256(const void *data, size_t count, uint8_t digest[32]);

// ---- Ed25519 ---------------------------------------------------------------
/// A fresh key pair from the system CSPRNG. Returns 0 or -1.
int oc_ed25519_generate(uint8_t private_key[32], uint8_t public_key[32]);
/// The public key of a raw private key (seed). Returns 0 or -1.
int oc_ed25519_public_key(const uint8_t private_key[32], uint8_t public_key[32]);
/// Signs a message (pure Ed25519, no pre-hash). Returns 0 or -1.
int oc_ed25519_sign(const uint8_t private_key[32], const void *message, size_t count, uint8_t signature[64]);
/// 1: the signature is valid for message and key; 0: it is not; -1: libcrypto error.
int oc_ed25519_verify(const uint8_t public_key[32], const void *message, size_t count, const uint8_t signature[64]);

// ---- the library -----------------------------------------------------------
/// libcrypto is loaded with dlopen on first use (`libcrypto.so.3`, or the path in
/// OUTPOST_LIBCRYPTO). 0 when it is available, else -1 and oc_library_error() says
/// why, naming the library. Every function here fails (-1/NULL) without it.
int oc_load_library(void);
/// Why the library could not be loaded ("" when it was).
const char *oc_library_error(void);

// ---- helpers ---------------------------------------------------------------
/// Overwrites memory that held a secret (OPENSSL_cleanse: not optimised away).
void oc_cleanse(void *p, size_t count);
/// Text of the last libcrypto error on this thread ("" if none); clears the queue.
/// When the library could not be loaded: oc_library_error().
const char *oc_last_error(void);
/// Writes a file readable only by its owner (mode 0600) via a temp file + fsync +
/// rename. With exclusive != 0 an existing file is an error (EEXIST). Returns 0 or errno.
int oc_write_private_file(const char *path, const uint8_t *data, size_t count, int exclusive);

#ifdef __cplusplus
}
#endif
#endif
