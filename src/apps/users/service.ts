/**
 * The course's users service over RPC: `add_user`, `get_user`, `check_password`,
 * `authenticate` and `validate_token`, and its secure variant, where `get_user` answers only
 * to a valid, unexpired token of an ADMIN carried in the request's metadata.
 */
import type { EndpointLike } from '../../endpoint/endpoint.js';
import { InvalidArgumentError } from '../../errors.js';
import { checkOptionalFlag, checkOptionsObject } from '../../internal/validate.js';
import type { CallContext } from '../../rpc/methods.js';
import { RpcServer, type RpcServerOptions } from '../../rpc/server.js';
import { TimeDelta } from '../../rpc/time-types.js';
import { Authenticator } from './authentication.js';
import { Credentials, Role, Token, User, usersRegistry } from './types.js';
import { UserDatabase, type UserDatabaseOptions } from './user-database.js';

/** The users service as a client sees it: for {@link RpcClient.stub}. */
export interface UsersService {
  add_user(user: User): null;
  get_user(id: string): User;
  check_password(credentials: Credentials): boolean;
  authenticate(credentials: Credentials, duration?: TimeDelta): Token;
  validate_token(token: Token): boolean;
}

/** Options of {@link serveUsers}. */
export interface UsersServerOptions extends RpcServerOptions, UserDatabaseOptions {
  /** The secure variant: `get_user` needs an ADMIN's valid token in the metadata. */
  secure?: boolean;
  /** The key tokens are signed with (default: 32 random bytes, new at each start). */
  secret?: Buffer;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'dict'}`;
  return `a ${typeof value}`;
}

/** `value` if it is a `kind`; else the error the caller gets. */
function argument<T>(
  method: string,
  value: unknown,
  kind: abstract new (...args: never[]) => T,
  name: string,
): T {
  if (value instanceof kind) return value;
  throw new Error(`${method} expects a ${name}, got ${describe(value)}`);
}

function textArgument(method: string, value: unknown): string {
  if (typeof value === 'string') return value;
  throw new Error(`${method} expects an ID (a username or an email), got ${describe(value)}`);
}

/**
 * Offers the users service's methods on `server` (whose registry must know the service's
 * types: see {@link usersRegistry}).
 */
export function addUsersMethods(
  server: RpcServer,
  users: UserDatabase,
  auth: Authenticator,
  secure = false,
): void {
  server
    .method('add_user', async (_context: CallContext, user: unknown) => {
      await users.addUser(argument('add_user', user, User, 'User'));
      return null;
    })
    .method('get_user', (context: CallContext, id: unknown) => {
      const wanted = textArgument('get_user', id);
      if (secure) authorizeAdmin(context.metadata, auth);
      return users.getUser(wanted).withoutPassword();
    })
    .method('check_password', (_context: CallContext, credentials: unknown) =>
      users.checkPassword(argument('check_password', credentials, Credentials, 'Credentials')),
    )
    .method(
      'authenticate',
      (_context: CallContext, credentials: unknown, duration?: unknown) =>
        auth.authenticate(
          argument('authenticate', credentials, Credentials, 'Credentials'),
          duration === undefined || duration === null
            ? undefined
            : typeof duration === 'number'
              ? new TimeDelta(duration)
              : argument('authenticate', duration, TimeDelta, 'timedelta'),
        ),
      { minArgs: 1, maxArgs: 2 },
    )
    .method('validate_token', (_context: CallContext, token: unknown) =>
      auth.validate(argument('validate_token', token, Token, 'Token')),
    );
}

/** Throws unless `metadata` is a valid, unexpired token of an ADMIN. */
function authorizeAdmin(metadata: unknown, auth: Authenticator): void {
  if (metadata === null || metadata === undefined) {
    throw new Error('Authentication required: get_user needs a token in the metadata');
  }
  if (!(metadata instanceof Token)) {
    throw new Error(
      `Authentication required: the metadata must be a Token, got ${describe(metadata)}`,
    );
  }
  if (!auth.signatureHolds(metadata))
    throw new Error('Invalid token: the signature does not match');
  if (auth.expired(metadata)) throw new Error(`Token expired at ${metadata.expiration.text}`);
  if (metadata.user.role !== Role.ADMIN) {
    throw new Error(`Unauthorized: ${metadata.user.username} is not an ADMIN`);
  }
}

/**
 * Listens on `local` and serves the users service (the secure variant with `secure`). Rejects
 * as {@link RpcServer.listen} does, and with {@link InvalidArgumentError} for an unusable
 * `secure`, `secret` or `maxUsers`.
 *
 * @example
 * ```ts
 * import {
 *   Credentials,
 *   Role,
 *   RpcClient,
 *   serveUsers,
 *   User,
 *   usersRegistry,
 *   type UsersService,
 * } from 'dsock';
 *
 * const server = await serveUsers('127.0.0.1:0', { secure: true });
 * const client = new RpcClient(server.localEndpoint, { registry: usersRegistry() });
 * const users = client.stub<UsersService>();
 * await users.add_user(new User('ada', ['ada@x.org'], 'Ada L.', Role.ADMIN, 'secret'));
 * const token = await users.authenticate(new Credentials('ada', 'secret'));
 * const ada = (await client.call('get_user', ['ada'], { metadata: token })) as User;
 * console.log(ada.fullName); // Ada L.
 * await client.close();
 * await server.close();
 * ```
 */
export async function serveUsers(
  local: EndpointLike,
  options: UsersServerOptions = {},
): Promise<RpcServer> {
  checkOptionsObject(options, '{ secure: true }');
  const secure = checkOptionalFlag('secure', options.secure) === true;
  if (options.secret !== undefined && !(options.secret instanceof Uint8Array)) {
    throw new InvalidArgumentError('secret', 'a Buffer of key bytes', options.secret);
  }
  if (options.secret?.length === 0) {
    throw new InvalidArgumentError('secret', 'a Buffer of at least one byte', options.secret, {
      message: 'secret must be a Buffer of at least one byte, got an empty one',
    });
  }
  const registry = options.registry ?? usersRegistry();
  const users = new UserDatabase({ maxUsers: options.maxUsers });
  const auth = new Authenticator(users, registry, options.secret);
  const server = await RpcServer.listen(local, { ...options, registry });
  addUsersMethods(server, users, auth, secure);
  return server;
}
