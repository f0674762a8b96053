import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TypeRegistry } from '../../rpc/presentation.js';
import type { TimeDelta } from '../../rpc/time-types.js';
import { DateTime } from '../../rpc/time-types.js';
import { Token, type Credentials, type User } from './types.js';
import type { UserDatabase } from './user-database.js';

/** A token's lifetime unless the caller asks for another: one day. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 86_400;
/** The longest lifetime a caller may ask for: 366 days. */
const MAX_LIFETIME_SECONDS = 366 * 86_400;

/**
 * Issues and checks tokens. A token's signature is HMAC-SHA256, under a secret only the server
 * knows, over the exact bytes of its content: the user as the wire carries it (compact JSON),
 * a newline, then the expiration's text as it was written (kept to the microsecond). Editing anything, the role
 * or the expiration included, breaks the signature.
 */
export class Authenticator {
  readonly #users: UserDatabase;
  readonly #registry: TypeRegistry;
  readonly #secret: Buffer;

  /** `secret` defaults to 32 random bytes: tokens then last as long as the process. */
  constructor(users: UserDatabase, registry: TypeRegistry, secret: Buffer = randomBytes(32)) {
    this.#users = users;
    this.#registry = registry;
    this.#secret = secret;
  }

  /**
   * A token for the credentials' user, valid for `duration` (default one day). Throws
   * "Invalid credentials" when they do not name a user and its password.
   */
  async authenticate(credentials: Credentials, duration?: TimeDelta): Promise<Token> {
    const seconds = duration?.seconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!(seconds > 0 && seconds <= MAX_LIFETIME_SECONDS)) {
      throw new Error(`duration must be more than 0 and at most ${MAX_LIFETIME_SECONDS} seconds`);
    }
    if (!(await this.#users.checkPassword(credentials))) throw new Error('Invalid credentials');
    const user = this.#users.getUser(credentials.id);
    const expiration = DateTime.fromDate(new Date(Date.now() + seconds * 1000));
    return new Token(this.#sign(user, expiration), user, expiration);
  }

  /** True when `token` was signed here, is unedited, and has not expired. */
  validate(token: Token): boolean {
    return this.signatureHolds(token) && !this.expired(token);
  }

  /** True when the token's signature is this server's over its content as received. */
  signatureHolds(token: Token): boolean {
    const expected = Buffer.from(this.#sign(token.user, token.expiration), 'hex');
    const given = Buffer.from(token.signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** True once the token's expiration has passed. */
  expired(token: Token, now = Date.now()): boolean {
    return !(token.expiration.epochMilliseconds > now);
  }

  #sign(user: User, expiration: DateTime): string {
    // The expiration's text, not its JSON form: a peer that reads it as a datetime and writes
    // it back (Python's isoformat() gives the same text) keeps the token valid.
    const content = `${this.#registry.stringify(user)}\n${expiration.text}`;
    return createHmac('sha256', this.#secret).update(content, 'utf8').digest('hex');
  }
}
