// The low-level SHA256_* calls are deprecated in OpenSSL 3 in favour of EVP, whose contexts are heap
// objects; the plain struct is what makes copying a precomputed key state allocation free.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "csigning.h"
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

typedef struct {
    SHA256_CTX inner;
    SHA256_CTX outer;
} states;

_Static_assert(sizeof(states) <= sizeof(((mm_hmac_sha256_key *)0)->state), "key state too small");

void mm_hmac_sha256_init(mm_hmac_sha256_key *key, const uint8_t *secret, size_t length) {
    states *s = (states *)key->state;
    uint8_t block[64];
    memset(block, 0, sizeof block);
    if (length > sizeof block) {
        SHA256(secret, length, block);
    } else {
        memcpy(block, secret, length);
    }
    uint8_t pad[64];
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&s->inner);
    SHA256_Update(&s->inner, pad, sizeof pad);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&s->outer);
    SHA256_Update(&s->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
}

void mm_hmac_sha256(const mm_hmac_sha256_key *key, const uint8_t *message, size_t length, uint8_t mac[32]) {
    const states *s = (const states *)key->state;
    SHA256_CTX c = s->inner;
    uint8_t inner[32];
    SHA256_Update(&c, message, length);
    SHA256_Final(inner, &c);
    c = s->outer;
    SHA256_Update(&c, inner, sizeof inner);
    SHA256_Final(mac, &c);
}

void mm_hmac_sha256_clear(mm_hmac_sha256_key *key) { OPENSSL_cleanse(key->state, sizeof key->state); }
