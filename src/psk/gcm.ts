/**
 * AES-256-GCM for one key in one direction, by either of two engines that produce the same
 * bytes: dsock's native addon (native/gcm.c), which makes OpenSSL's cipher context once per key
 * and gives it only the new nonce per datagram, or node:crypto, which makes a cipher per
 * datagram (its API cannot give one a new nonce), at 8–10 µs each. The addon is used where it
 * is loaded; DSOCK_NATIVE=0 (or an addon that is not built) means node:crypto.
 */
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { nativeAddon } from '../internal/native-addon.js';

/** The length of the tag that ends every sealed datagram. */
export const GCM_TAG_LENGTH = 16;

/** Sealing under one key. */
export interface GcmSealer {
  /** `header` (authenticated, not encrypted), `payload` encrypted, then the tag. */
  seal(nonce: Buffer, header: Buffer, payload: Uint8Array): Buffer;
}

/** Opening under one key. */
export interface GcmOpener {
  /**
   * The decrypted body of `datagram` (its first `headerLength` bytes authenticated, the body,
   * the tag) when the tag authenticates it; undefined otherwise, and then nothing of it. With
   * `inPlace`, an engine may decrypt the body where it lies and return a view of `datagram`
   * (the native one does; a forged body is then zeroed where it lay).
   */
  open(nonce: Buffer, datagram: Buffer, headerLength: number, inPlace: boolean): Buffer | undefined;
}

/** A way to make sealers and openers. */
export interface GcmEngine {
  /** 'native' or 'node:crypto', for diagnostics and tests. */
  readonly name: string;
  sealer(key: Buffer): GcmSealer;
  opener(key: Buffer): GcmOpener;
}

/** The cipher's options: the tag is always 16 bytes (shared, as nothing changes them). */
const GCM_OPTIONS = { authTagLength: GCM_TAG_LENGTH } as const;

/** node:crypto: a cipher per datagram. */
export const nodeGcm: GcmEngine = {
  name: 'node:crypto',
  sealer: (key) => ({
    seal(nonce, header, payload) {
      const cipher = createCipheriv('aes-256-gcm', key, nonce, GCM_OPTIONS);
      cipher.setAAD(header);
      const body = cipher.update(payload);
      cipher.final();
      const tag = cipher.getAuthTag();
      const sealed = Buffer.allocUnsafe(header.length + payload.length + GCM_TAG_LENGTH);
      sealed.set(header, 0);
      sealed.set(body, header.length);
      sealed.set(tag, header.length + payload.length);
      return sealed;
    },
  }),
  opener: (key) => ({
    open(nonce, datagram, headerLength) {
      const end = datagram.length - GCM_TAG_LENGTH;
      const decipher = createDecipheriv('aes-256-gcm', key, nonce, GCM_OPTIONS);
      decipher.setAAD(datagram.subarray(0, headerLength));
      decipher.setAuthTag(datagram.subarray(end));
      const payload = decipher.update(datagram.subarray(headerLength, end));
      try {
        decipher.final();
      } catch {
        return undefined;
      }
      return payload;
    },
  }),
};

/** A cipher context of the addon's, opaque to TypeScript. */
type NativeCipher = { readonly __gcmCipher: unique symbol };

/** The addon's AES-256-GCM functions (native/gcm.c). */
interface NativeGcmFunctions {
  gcmCipher(key: Uint8Array, encrypt: boolean): NativeCipher;
  /** Encrypts `payload` into `datagram` after its header; the tag goes into its last bytes. */
  gcmSeal(
    cipher: NativeCipher,
    nonce: Uint8Array,
    datagram: Uint8Array,
    headerLength: number,
    payload: Uint8Array,
  ): void;
  /** True, with the body decrypted into `payload`, when the tag authenticates; false (zeroed). */
  gcmOpen(
    cipher: NativeCipher,
    nonce: Uint8Array,
    datagram: Uint8Array,
    headerLength: number,
    payload: Uint8Array,
  ): boolean;
}

function nativeEngine(gcm: NativeGcmFunctions): GcmEngine {
  return {
    name: 'native',
    sealer: (key) => {
      const cipher = gcm.gcmCipher(key, true);
      return {
        seal(nonce, header, payload) {
          const sealed = Buffer.allocUnsafe(header.length + payload.length + GCM_TAG_LENGTH);
          sealed.set(header, 0);
          gcm.gcmSeal(cipher, nonce, sealed, header.length, payload);
          return sealed;
        },
      };
    },
    opener: (key) => {
      const cipher = gcm.gcmCipher(key, false);
      return {
        open(nonce, datagram, headerLength, inPlace) {
          const end = datagram.length - GCM_TAG_LENGTH;
          // Else memory of its own, not a slice of Node's shared pool: the payload is handed to
          // the application, and a pooled slice's .buffer would show whatever else the process
          // put there. (OpenSSL decrypts in place when output and input are the same bytes.)
          const payload = inPlace
            ? datagram.subarray(headerLength, end)
            : Buffer.allocUnsafeSlow(end - headerLength);
          return gcm.gcmOpen(cipher, nonce, datagram, headerLength, payload) ? payload : undefined;
        },
      };
    },
  };
}

const addon = nativeAddon() as Partial<NativeGcmFunctions> | undefined;

/** The addon's engine, or undefined where the addon is not loaded (or DSOCK_NATIVE=0). */
export const nativeGcm: GcmEngine | undefined =
  addon?.gcmCipher !== undefined ? nativeEngine(addon as NativeGcmFunctions) : undefined;

/** The engine sealers use unless told otherwise: the addon's where it is loaded. */
export const defaultGcm: GcmEngine = nativeGcm ?? nodeGcm;
