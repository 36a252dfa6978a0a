#ifndef CCIPHER_H
#define CCIPHER_H
#include <stddef.h>
#include <stdint.h>

/// AES-256-GCM over the system's libcrypto: encrypts `plaintext` into `ciphertext` (same length) and
/// writes the 16-byte tag; `ad` is authenticated, not encrypted. 1 on success.
int mm_aes256gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_length,
                      const uint8_t *plaintext, size_t length, uint8_t *ciphertext, uint8_t tag[16]);
/// Decrypts and checks the tag; 1 if the key, nonce, associated data and tag all match, else 0 (and
/// `plaintext` is wiped).
int mm_aes256gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_length,
                      const uint8_t *ciphertext, size_t length, const uint8_t tag[16], uint8_t *plaintext);
/// Cryptographically secure random bytes; 1 on success.
int mm_random_bytes(uint8_t *out, size_t length);
#endif
