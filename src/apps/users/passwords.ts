/**
 * Passwords stored as salted scrypt hashes (`scrypt$N$r$p$salt$hash`, base64url), never as
 * text: a leaked store does not give the passwords away, and equal passwords hash differently.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt's cost: N = 2^14, r = 8, p = 1 (16 MiB and some tens of ms per hash). */
const COST: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>> = { N: 1 << 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;

function derive(password: string, salt: Buffer, cost: typeof COST): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, HASH_BYTES, { ...cost, maxmem: 64 * 1024 * 1024 }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** The stored form of `password`, with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, COST);
  return [
    'scrypt',
    COST.N,
    COST.r,
    COST.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** A stored hash to compare against when there is no user, so that both paths cost the same. */
let decoy: Promise<string> | undefined;

/**
 * True when `password` is the one `stored` was made from (compared in constant time). With
 * `stored` undefined (no such user) it hashes all the same and returns false.
 */
export async function verifyPassword(
  password: string,
  stored: string | undefined,
): Promise<boolean> {
  const known = stored !== undefined;
  const [, n, r, p, salt, hash] = (stored ?? (await (decoy ??= hashPassword('')))).split('$');
  const expected = Buffer.from(hash ?? '', 'base64url');
  const actual = await derive(password, Buffer.from(salt ?? '', 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return known && expected.length === actual.length && timingSafeEqual(expected, actual);
}
