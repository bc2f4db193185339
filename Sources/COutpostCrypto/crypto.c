// Shims over OpenSSL 3's libcrypto: see include/outpost_crypto.h.
#define _GNU_SOURCE
#include "outpost_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outpost_system.h"  // op_shared_library

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

// libcrypto is opened with dlopen on first use, not linked: only package signature
// and digest checks need it, and merely loading OpenSSL 3 (relocations, its
// constructors) costs ~1.4 MB of resident memory in every `outpost run`. The
// headers give the types; each function is called through a pointer resolved once.
// OUTPOST_LIBCRYPTO overrides the library name/path (devices with another soname).
#define OC_FUNCTIONS(X) \
    X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_DigestInit_ex) X(EVP_DigestUpdate) \
    X(EVP_DigestFinal_ex) X(EVP_Digest) X(EVP_sha256) X(EVP_PKEY_get_raw_public_key) \
    X(EVP_PKEY_get_raw_private_key) X(EVP_PKEY_CTX_new_id) X(EVP_PKEY_CTX_free) \
    X(EVP_PKEY_keygen_init) X(EVP_PKEY_keygen) X(EVP_PKEY_free) X(EVP_PKEY_new_raw_private_key) \
    X(EVP_PKEY_new_raw_public_key) X(EVP_DigestSignInit) X(EVP_DigestSign) \
    X(EVP_DigestVerifyInit) X(EVP_DigestVerify) X(OPENSSL_cleanse) X(ERR_get_error) \
    X(ERR_error_string_n) X(ERR_clear_error)

OP_SHARED_LIBRARY_TABLE(OC_FUNCTIONS);
static op_shared_library libcrypto = {
    .env_var = "OUTPOST_LIBCRYPTO", .default_name = "libcrypto.so.3", .title = "OpenSSL",
    .needed_for = "package signatures and digests", OP_SHARED_LIBRARY_SLOTS,
};

int oc_load_library(void) { return op_shared_library_load(&libcrypto); }

const char *oc_library_error(void) { return op_shared_library_error(&libcrypto); }

// Calls below go through the table; a failed load makes every entry point fail.
#define EVP_MD_CTX_new lib.EVP_MD_CTX_new
#define EVP_MD_CTX_free lib.EVP_MD_CTX_free
#define EVP_DigestInit_ex lib.EVP_DigestInit_ex
#define EVP_DigestUpdate lib.EVP_DigestUpdate
#define EVP_DigestFinal_ex lib.EVP_DigestFinal_ex
#define EVP_Digest lib.EVP_Digest
#define EVP_sha256 lib.EVP_sha256
#define EVP_PKEY_get_raw_public_key lib.EVP_PKEY_get_raw_public_key
#define EVP_PKEY_get_raw_private_key lib.EVP_PKEY_get_raw_private_key
#define EVP_PKEY_CTX_new_id lib.EVP_PKEY_CTX_new_id
#define EVP_PKEY_CTX_free lib.EVP_PKEY_CTX_free
#define EVP_PKEY_keygen_init lib.EVP_PKEY_keygen_init
#define EVP_PKEY_keygen lib.EVP_PKEY_keygen
#define EVP_PKEY_free lib.EVP_PKEY_free
#define EVP_PKEY_new_raw_private_key lib.EVP_PKEY_new_raw_private_key
#define EVP_PKEY_new_raw_public_key lib.EVP_PKEY_new_raw_public_key
#define EVP_DigestSignInit lib.EVP_DigestSignInit
#define EVP_DigestSign lib.EVP_DigestSign
#define EVP_DigestVerifyInit lib.EVP_DigestVerifyInit
#define EVP_DigestVerify lib.EVP_DigestVerify
#define ERR_get_error lib.ERR_get_error
#define ERR_error_string_n lib.ERR_error_string_n
#define ERR_clear_error lib.ERR_clear_error
#define LOADED() (oc_load_library() == 0)

struct oc_sha256_ctx {
    EVP_MD_CTX *md;
};

oc_sha256_ctx *oc_sha256_new(void) {
    if (!LOADED()) return NULL;
    oc_sha256_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->md = EVP_MD_CTX_new();
    if (!ctx->md || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
        oc_sha256_free(ctx);
        return NULL;
    }
    return ctx;
}

int oc_sha256_update(oc_sha256_ctx *ctx, const void *data, size_t count) {
    if (count == 0) return 0;
    return EVP_DigestUpdate(ctx->md, data, count) == 1 ? 0 : -1;
}

int oc_sha256_final(oc_sha256_ctx *ctx, uint8_t digest[32]) {
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx->md, digest, &n) != 1 || n != 32) return -1;
    return EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

void oc_sha256_free(oc_sha256_ctx *ctx) {
    if (!ctx) return;
    if (ctx->md) EVP_MD_CTX_free(ctx->md);
    free(ctx);
}

int oc_sha256(const void *data, size_t count, uint8_t digest[32]) {
    if (!LOADED()) return -1;
    unsigned int n = 0;
    static const uint8_t empty = 0;
    return EVP_Digest(count ? data : &empty, count, digest, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

static int raw_public(EVP_PKEY *key, uint8_t public_key[32]) {
    size_t n = 32;
    return EVP_PKEY_get_raw_public_key(key, public_key, &n) == 1 && n == 32 ? 0 : -1;
}

int oc_ed25519_generate(uint8_t private_key[32], uint8_t public_key[32]) {
    if (!LOADED()) return -1;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    int rc = -1;
    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1) {
        size_t n = 32;
        if (EVP_PKEY_get_raw_private_key(key, private_key, &n) == 1 && n == 32 && raw_public(key, public_key) == 0) rc = 0;
    }
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int oc_ed25519_public_key(const uint8_t private_key[32], uint8_t public_key[32]) {
    if (!LOADED()) return -1;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, private_key, 32);
    if (!key) return -1;
    int rc = raw_public(key, public_key);
    EVP_PKEY_free(key);
    return rc;
}

int oc_ed25519_sign(const uint8_t private_key[32], const void *message, size_t count, uint8_t signature[64]) {
    if (!LOADED()) return -1;
    static const uint8_t empty = 0;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, private_key, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = -1;
    size_t n = 64;
    // Ed25519 is "pure": no digest (NULL md), one-shot DigestSign.
    if (key && md && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
        EVP_DigestSign(md, signature, &n, count ? message : &empty, count) == 1 && n == 64) rc = 0;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return rc;
}

int oc_ed25519_verify(const uint8_t public_key[32], const void *message, size_t count, const uint8_t signature[64]) {
    if (!LOADED()) return -1;
    static const uint8_t empty = 0;
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = -1;
    if (key && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1) {
        int v = EVP_DigestVerify(md, signature, 64, count ? message : &empty, count);
        rc = v == 1 ? 1 : 0;
        if (v != 1) ERR_clear_error();  // a bad signature is an answer, not an error
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return rc;
}

void oc_cleanse(void *p, size_t count) {
    // Without libcrypto (nothing secret was made then) a volatile loop does the job.
    if (!p || !count) return;
    if (LOADED()) { lib.OPENSSL_cleanse(p, count); return; }
    volatile unsigned char *v = p;
    while (count--) *v++ = 0;
}

const char *oc_last_error(void) {
    static _Thread_local char text[256];
    if (!LOADED()) return oc_library_error();
    unsigned long e = ERR_get_error();
    if (e == 0) return "";
    ERR_error_string_n(e, text, sizeof text);
    ERR_clear_error();
    return text;
}

int oc_write_private_file(const char *path, const uint8_t *data, size_t count, int exclusive) {
    if (exclusive && access(path, F_OK) == 0) return EEXIST;
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) return ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    // The umask cannot widen 0600, but an existing temp file may have other bits.
    if (fchmod(fd, 0600) != 0) { int e = errno; close(fd); unlink(tmp); return e; }
    size_t done = 0;
    while (done < count) {
        ssize_t w = write(fd, data + done, count - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno; close(fd); unlink(tmp); return e;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) { int e = errno; close(fd); unlink(tmp); return e; }
    if (close(fd) != 0) { int e = errno; unlink(tmp); return e; }
    if (exclusive) {
        // link() fails if the target appeared meanwhile: no silent overwrite of a key.
        if (link(tmp, path) != 0) { int e = errno; unlink(tmp); return e; }
        unlink(tmp);
        return 0;
    }
    if (rename(tmp, path) != 0) { int e = errno; unlink(tmp); return e; }
    return 0;
}
