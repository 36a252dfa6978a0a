#ifndef CSIGNING_H
#define CSIGNING_H
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


/// An Ed25519 private key (libcrypto), created from its 32-byte seed.
typedef struct mm_ed25519_key mm_ed25519_key;

/// NULL if libcrypto refuses the seed.
mm_ed25519_key *mm_ed25519_new(const uint8_t seed[32]);
void mm_ed25519_free(mm_ed25519_key *key);
/// The 32-byte public key; 1 on success.
int mm_ed25519_public(const mm_ed25519_key *key, uint8_t out[32]);
/// Signs `message` (64-byte signature); 1 on success.
int mm_ed25519_sign(const mm_ed25519_key *key, const uint8_t *message, size_t length, uint8_t signature[64]);
/// Verifies a signature with a 32-byte public key; 1 if valid.
int mm_ed25519_verify(const uint8_t public_key[32], const uint8_t *message, size_t length, const uint8_t signature[64]);

#endif
