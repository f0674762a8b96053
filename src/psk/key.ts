/**
 * Pre-shared keys: 32 random bytes, written as 64 hexadecimal digits (what `dsock keygen`
 * prints and a --psk file holds).
 */
import { randomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { InvalidArgumentError } from '../errors.js';

/** The length of a pre-shared key, in bytes. */
export const PSK_LENGTH = 32;

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/**
 * A new random pre-shared key, as 64 hexadecimal digits: give the same key to every member of
 * a group (`psk` option, or a `--psk` file).
 *
 * @example
 * ```ts
 * import { generatePsk } from 'dsock';
 *
 * const key = generatePsk();
 * console.log(key.length); // 64
 * ```
 */
export function generatePsk(): string {
  return randomBytes(PSK_LENGTH).toString('hex');
}

/**
 * The 32 bytes of a pre-shared key given as 64 hexadecimal digits (surrounding white space,
 * such as a file's last newline, ignored) or as 32 bytes. Throws {@link InvalidArgumentError}
 * naming `name` for anything else.
 */
export function parsePsk(value: unknown, name = 'psk'): Buffer {
  if (value instanceof Uint8Array) {
    if (value.length === PSK_LENGTH) return Buffer.from(value);
    throw new InvalidArgumentError(name, `${PSK_LENGTH} bytes`, `${value.length} bytes`);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
    throw new InvalidArgumentError(name, '64 hexadecimal digits (make one with dsock keygen)', '', {
      message:
        `${name} must be a key of 64 hexadecimal digits (make one with dsock keygen), ` +
        `got text of ${text.length} characters`,
    });
  }
  throw new InvalidArgumentError(name, '64 hexadecimal digits or 32 bytes', value);
}
