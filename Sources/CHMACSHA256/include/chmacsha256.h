#ifndef CHMACSHA256_H
#define CHMACSHA256_H
#include <stddef.h>
#include <stdint.h>

/// HMAC-SHA256 with the key's inner and outer states computed once: signing copies two hash states and
/// hashes the message and the inner digest, with no allocation. Backed by the system's libcrypto, whose
/// SHA-256 uses the CPU's SHA extensions when present.
typedef struct {
    _Alignas(16) uint8_t state[256];
} mm_hmac_sha256_key;

void mm_hmac_sha256_init(mm_hmac_sha256_key *key, const uint8_t *secret, size_t length);
void mm_hmac_sha256(const mm_hmac_sha256_key *key, const uint8_t *message, size_t length, uint8_t mac[32]);
/// Wipes the key's states.
void mm_hmac_sha256_clear(mm_hmac_sha256_key *key);

#endif
