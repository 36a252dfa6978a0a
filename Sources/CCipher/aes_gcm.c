#include "ccipher.h"
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

int mm_aes256gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_length,
                      const uint8_t *plaintext, size_t length, uint8_t *ciphertext, uint8_t tag[16]) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return 0;
    int ok = 0, n = 0;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) goto done;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1) goto done;
    if (ad_length > 0 && EVP_EncryptUpdate(ctx, NULL, &n, ad, (int)ad_length) != 1) goto done;
    if (length > 0 && EVP_EncryptUpdate(ctx, ciphertext, &n, plaintext, (int)length) != 1) goto done;
    if (EVP_EncryptFinal_ex(ctx, ciphertext + (length > 0 ? n : 0), &n) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int mm_aes256gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_length,
                      const uint8_t *ciphertext, size_t length, const uint8_t tag[16], uint8_t *plaintext) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return 0;
    int ok = 0, n = 0;
    uint8_t expected[16];
    memcpy(expected, tag, 16);
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) goto done;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1) goto done;
    if (ad_length > 0 && EVP_DecryptUpdate(ctx, NULL, &n, ad, (int)ad_length) != 1) goto done;
    if (length > 0 && EVP_DecryptUpdate(ctx, plaintext, &n, ciphertext, (int)length) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, expected) != 1) goto done;
    if (EVP_DecryptFinal_ex(ctx, plaintext + (length > 0 ? n : 0), &n) != 1) goto done;
    ok = 1;
done:
    if (!ok && length > 0) memset(plaintext, 0, length);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int mm_random_bytes(uint8_t *out, size_t length) { return RAND_bytes(out, (int)length) == 1; }
