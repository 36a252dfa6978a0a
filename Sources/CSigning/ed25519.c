#include "csigning.h"
#include <openssl/evp.h>

struct mm_ed25519_key {
    EVP_PKEY *pkey;
};

mm_ed25519_key *mm_ed25519_new(const uint8_t seed[32]) {
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    if (!pkey) return NULL;
    mm_ed25519_key *key = OPENSSL_malloc(sizeof *key);
    if (!key) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    key->pkey = pkey;
    return key;
}

void mm_ed25519_free(mm_ed25519_key *key) {
    if (!key) return;
    EVP_PKEY_free(key->pkey);
    OPENSSL_free(key);
}

int mm_ed25519_public(const mm_ed25519_key *key, uint8_t out[32]) {
    size_t length = 32;
    return EVP_PKEY_get_raw_public_key(key->pkey, out, &length) == 1 && length == 32;
}

int mm_ed25519_sign(const mm_ed25519_key *key, const uint8_t *message, size_t length, uint8_t signature[64]) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) return 0;
    size_t out = 64;
    int ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1
        && EVP_DigestSign(ctx, signature, &out, message, length) == 1 && out == 64;
    EVP_MD_CTX_free(ctx);
    return ok;
}

int mm_ed25519_verify(const uint8_t public_key[32], const uint8_t *message, size_t length, const uint8_t signature[64]) {
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, 32);
    if (!pkey) return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1
        && EVP_DigestVerify(ctx, signature, 64, message, length) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return ok;
}
