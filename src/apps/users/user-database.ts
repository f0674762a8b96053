import { checkInteger } from '../../internal/validate.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Credentials } from './types.js';
import { User } from './types.js';

/** How many users a database holds unless told otherwise: 10,000. */
export const DEFAULT_MAX_USERS = 10_000;

/** The longest username, full name or email accepted: 256 characters. */
const MAX_TEXT = 256;
/** The most emails a user may have: 16. */
const MAX_EMAILS = 16;
/** The longest password accepted: 1,024 characters. */
const MAX_PASSWORD = 1024;

/** Options of a {@link UserDatabase}. */
export interface UserDatabaseOptions {
  /**
   * The most users held (default {@link DEFAULT_MAX_USERS}); `add_user` past it fails, so that
   * a client cannot fill the server's memory with registrations.
   */
  maxUsers?: number;
}

interface Stored {
  readonly user: User;
  readonly passwordHash: string;
}

function checkText(value: string, what: string): void {
  if (value.length === 0 || value.length > MAX_TEXT) {
    throw new Error(`${what} must have 1 to ${MAX_TEXT} characters`);
  }
}

/**
 * The users, in memory, found by username or by any of their emails (their IDs). Passwords
 * are kept as salted hashes only. Error texts are the course's.
 */
export class UserDatabase {
  readonly #byId = new Map<string, Stored>();
  readonly #maxUsers: number;
  #count = 0;

  constructor(options: UserDatabaseOptions = {}) {
    this.#maxUsers = checkInteger(
      'maxUsers',
      options.maxUsers ?? DEFAULT_MAX_USERS,
      1,
      Number.MAX_SAFE_INTEGER,
    );
  }

  /** Users held. */
  get size(): number {
    return this.#count;
  }

  /** Adds `user`, whose password (clear text) is hashed. Throws "User with ID <id> already exists". */
  async addUser(user: User): Promise<void> {
    checkText(user.username, 'username');
    checkText(user.fullName, 'full_name');
    if (user.emails.length > MAX_EMAILS) throw new Error(`a user has at most ${MAX_EMAILS} emails`);
    for (const email of user.emails) checkText(email, 'an email');
    if (
      user.password === null ||
      user.password.length === 0 ||
      user.password.length > MAX_PASSWORD
    ) {
      throw new Error(`password must have 1 to ${MAX_PASSWORD} characters`);
    }
    const ids = [...new Set([user.username, ...user.emails])];
    this.#checkFree(ids);
    if (this.#count >= this.#maxUsers) {
      throw new Error(`the user database is full (${this.#maxUsers} users)`);
    }
    const passwordHash = await hashPassword(user.password);
    // Checked again: another registration may have taken an ID while the hash was computed.
    this.#checkFree(ids);
    if (this.#count >= this.#maxUsers) {
      throw new Error(`the user database is full (${this.#maxUsers} users)`);
    }
    const stored = {
      user: new User(user.username, [...user.emails], user.fullName, user.role, null),
      passwordHash,
    };
    for (const id of ids) this.#byId.set(id, stored);
    this.#count++;
  }

  /** The user with ID `id`, password null. Throws "User with ID <id> not found". */
  getUser(id: string): User {
    const stored = this.#byId.get(id);
    if (stored === undefined) throw new Error(`User with ID ${id} not found`);
    return stored.user;
  }

  /** True when the credentials name a user and its password; false otherwise. */
  checkPassword(credentials: Credentials): Promise<boolean> {
    if (credentials.password.length > MAX_PASSWORD) return Promise.resolve(false);
    return verifyPassword(credentials.password, this.#byId.get(credentials.id)?.passwordHash);
  }

  #checkFree(ids: string[]): void {
    for (const id of ids) {
      if (this.#byId.has(id)) throw new Error(`User with ID ${id} already exists`);
    }
  }
}
