/*
 * AES-256-GCM for sealed datagrams (docs/psk.md, src/psk/sealer.ts). node:crypto makes a new
 * cipher for every datagram, as its API cannot give an existing one a new nonce; here one
 * EVP_CIPHER_CTX per key and direction is made once and given only the new nonce per datagram.
 * The EVP functions are OpenSSL's inside Node itself (it links OpenSSL and exports them), so
 * nothing more is linked. The wire format is the same as node:crypto's: ciphertext, 16-byte tag.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "dsock.h"

#define GCM_KEY 32
#define GCM_NONCE 12
#define GCM_TAG 16
/*
 * What one cipher holds outside V8's heap (the EVP context and OpenSSL's GCM state, about
 * 1.4 KB), told to V8 so that contexts let go of count towards its next collection.
 */
#define GCM_CONTEXT_BYTES 1536

/* Tells our cipher objects from any other object handed to gcmSeal/gcmOpen. */
static const napi_type_tag gcm_tag = {0x6473636b67636d31ULL, 0x9e3779b97f4a7c15ULL};

typedef struct gcm_cipher {
  EVP_CIPHER_CTX *ctx;
  int encrypt;
  /* Whether GCM_CONTEXT_BYTES were reported to V8 for it (once it is wrapped). */
  int counted;
} gcm_cipher;

static void free_cipher(napi_env env, void *data, void *hint) {
  gcm_cipher *cipher = data;
  int64_t ignored;
  if (cipher->counted) napi_adjust_external_memory(env, -GCM_CONTEXT_BYTES, &ignored);
  EVP_CIPHER_CTX_free(cipher->ctx);
  free(cipher);
}

/* OpenSSL's error queue is shared with node:crypto: a failure here must not stay on it. */
static void forget_openssl_errors(void) { ERR_clear_error(); }

/* The bytes of a Buffer or Uint8Array, or 0 with a TypeError thrown. */
static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  void *pointer = NULL;
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &pointer, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    dsock_throw_type(env, "gcm: expected a Uint8Array");
    return 0;
  }
  *data = pointer;
  return 1;
}

/* gcmCipher(key, encrypt): a cipher for one 32-byte key and one direction. */
static napi_value gcm_cipher_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (!dsock_check(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL))) return NULL;
  uint8_t *key = NULL;
  size_t key_length = 0;
  bool encrypt = false;
  if (argc < 2 || !bytes_of(env, argv[0], &key, &key_length)) return NULL;
  if (key_length != GCM_KEY || napi_get_value_bool(env, argv[1], &encrypt) != napi_ok) {
    dsock_throw_type(env, "gcmCipher(key of 32 bytes, encrypt: boolean)");
    return NULL;
  }
  gcm_cipher *cipher = calloc(1, sizeof *cipher);
  if (cipher == NULL || (cipher->ctx = EVP_CIPHER_CTX_new()) == NULL) {
    free(cipher);
    napi_throw_error(env, "ENOMEM", "gcm: out of memory");
    return NULL;
  }
  cipher->encrypt = encrypt;
  /* The key is set once; every datagram then sets only its nonce. */
  int ok = encrypt ? EVP_EncryptInit_ex(cipher->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL)
                   : EVP_DecryptInit_ex(cipher->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL);
  ok = ok && EVP_CIPHER_CTX_ctrl(cipher->ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE, NULL);
  ok = ok && (encrypt ? EVP_EncryptInit_ex(cipher->ctx, NULL, NULL, key, NULL)
                      : EVP_DecryptInit_ex(cipher->ctx, NULL, NULL, key, NULL));
  napi_value object;
  if (!ok) {
    forget_openssl_errors();
    free_cipher(env, cipher, NULL);
    napi_throw_error(env, "ERR_DSOCK_NATIVE", "gcm: OpenSSL refused the AES-256-GCM key");
    return NULL;
  }
  if (napi_create_object(env, &object) != napi_ok ||
      napi_type_tag_object(env, object, &gcm_tag) != napi_ok ||
      napi_wrap(env, object, cipher, free_cipher, NULL, NULL) != napi_ok) {
    free_cipher(env, cipher, NULL);
    dsock_check(env, napi_generic_failure);
    return NULL;
  }
  int64_t ignored;
  if (napi_adjust_external_memory(env, GCM_CONTEXT_BYTES, &ignored) == napi_ok) cipher->counted = 1;
  return object;
}

/* The cipher of `value` for the direction asked, or NULL with a TypeError thrown. */
static gcm_cipher *cipher_of(napi_env env, napi_value value, int encrypt) {
  bool tagged = false;
  gcm_cipher *cipher = NULL;
  if (napi_check_object_type_tag(env, value, &gcm_tag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, value, (void **)&cipher) != napi_ok || cipher == NULL ||
      cipher->encrypt != encrypt) {
    dsock_throw_type(env, encrypt ? "gcm: expected a sealing cipher"
                                  : "gcm: expected an opening cipher");
    return NULL;
  }
  return cipher;
}

/*
 * The arguments both calls take: (cipher, nonce, datagram, headerLength, payload). The
 * datagram is header (authenticated, not encrypted), body, tag; payload is as long as the body.
 */
typedef struct gcm_call {
  gcm_cipher *cipher;
  uint8_t *nonce;
  uint8_t *datagram;
  size_t header;
  uint8_t *payload;
  size_t body;
} gcm_call;

static int read_call(napi_env env, napi_callback_info info, int encrypt, gcm_call *call) {
  size_t argc = 5;
  napi_value argv[5];
  if (!dsock_check(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL))) return 0;
  if (argc < 5) {
    dsock_throw_type(env, "gcm: (cipher, nonce, datagram, headerLength, payload)");
    return 0;
  }
  size_t nonce_length = 0, datagram_length = 0, payload_length = 0;
  uint32_t header = 0;
  if ((call->cipher = cipher_of(env, argv[0], encrypt)) == NULL ||
      !bytes_of(env, argv[1], &call->nonce, &nonce_length) ||
      !bytes_of(env, argv[2], &call->datagram, &datagram_length) ||
      !bytes_of(env, argv[4], &call->payload, &payload_length)) {
    return 0;
  }
  if (napi_get_value_uint32(env, argv[3], &header) != napi_ok || header > INT32_MAX ||
      nonce_length != GCM_NONCE ||
      datagram_length < GCM_TAG || header > datagram_length - GCM_TAG ||
      payload_length != datagram_length - GCM_TAG - header || payload_length > INT32_MAX) {
    dsock_throw_type(env, "gcm: nonce of 12 bytes, datagram of header, payload and 16-byte tag");
    return 0;
  }
  call->header = header;
  call->body = payload_length;
  return 1;
}

/*
 * gcmSeal(cipher, nonce, datagram, headerLength, payload): encrypts payload into the datagram
 * after its header, which it authenticates, and writes the tag into the last 16 bytes.
 */
static napi_value gcm_seal(napi_env env, napi_callback_info info) {
  gcm_call call;
  if (!read_call(env, info, 1, &call)) return NULL;
  EVP_CIPHER_CTX *ctx = call.cipher->ctx;
  int length = 0;
  int ok = EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, call.nonce) &&
           (call.header == 0 ||
            EVP_EncryptUpdate(ctx, NULL, &length, call.datagram, (int)call.header)) &&
           EVP_EncryptUpdate(ctx, call.datagram + call.header, &length, call.payload,
                             (int)call.body) &&
           EVP_EncryptFinal_ex(ctx, call.datagram + call.header + length, &length) &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG,
                               call.datagram + call.header + call.body);
  if (!ok) {
    forget_openssl_errors();
    napi_throw_error(env, "ERR_DSOCK_NATIVE", "gcm: OpenSSL failed to seal");
  }
  return NULL;
}

/*
 * gcmOpen(cipher, nonce, datagram, headerLength, payload): true when the datagram's tag
 * authenticates its header and body, which is then decrypted into payload; false otherwise,
 * and payload is then zeroed, so that nothing of a forged datagram is ever handed on.
 */
static napi_value gcm_open(napi_env env, napi_callback_info info) {
  gcm_call call;
  if (!read_call(env, info, 0, &call)) return NULL;
  EVP_CIPHER_CTX *ctx = call.cipher->ctx;
  int length = 0;
  int ok = EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, call.nonce) &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG,
                               call.datagram + call.header + call.body) &&
           (call.header == 0 ||
            EVP_DecryptUpdate(ctx, NULL, &length, call.datagram, (int)call.header)) &&
           EVP_DecryptUpdate(ctx, call.payload, &length, call.datagram + call.header,
                             (int)call.body);
  /* Final checks the tag: only its success makes the payload authentic. */
  ok = ok && EVP_DecryptFinal_ex(ctx, call.payload + length, &length) > 0;
  if (!ok) {
    forget_openssl_errors();
    if (call.body > 0) memset(call.payload, 0, call.body);
  }
  napi_value result = NULL;
  if (!dsock_check(env, napi_get_boolean(env, ok, &result))) return NULL;
  return result;
}

void dsock_register_gcm(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"gcmCipher", NULL, gcm_cipher_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmSeal", NULL, gcm_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gcmOpen", NULL, gcm_open, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  dsock_check(env, napi_define_properties(env, exports,
                                          sizeof properties / sizeof properties[0], properties));
}
