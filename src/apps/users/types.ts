/**
 * The users service's types as the course's lab sends them: `User`, `Role`, `Credentials` and
 * `Token`, each a tagged JSON object (field names as in the lab: `full_name`, not `fullName`).
 */
import {
  arrayField,
  field,
  instanceField,
  kindOf,
  optionalStringField,
  stringField,
} from '../../rpc/fields.js';
import { ProtocolError } from '../../errors.js';
import { rpcRegistry } from '../../rpc/messages.js';
import type { TypeRegistry, TypeRegistryOptions } from '../../rpc/presentation.js';
import { DateTime } from '../../rpc/time-types.js';

/** A user's role: `ADMIN` may read other users in the secure service, `USER` may not. */
export class Role {
  static readonly ADMIN = new Role('ADMIN');
  static readonly USER = new Role('USER');

  private constructor(readonly name: 'ADMIN' | 'USER') {}

  /** The role named `name` (case-insensitive), or undefined. */
  static named(name: string): Role | undefined {
    const upper = name.toUpperCase();
    return upper === 'ADMIN' ? Role.ADMIN : upper === 'USER' ? Role.USER : undefined;
  }
}

/** A user. `password` is the clear text when adding one, and null when the service answers. */
export class User {
  constructor(
    readonly username: string,
    readonly emails: readonly string[],
    readonly fullName: string,
    readonly role: Role,
    readonly password: string | null = null,
  ) {}

  /** The user without the password, as the service gives it out. */
  withoutPassword(): User {
    return new User(this.username, this.emails, this.fullName, this.role, null);
  }
}

/** What a user proves itself with: `id` is the username or one of the emails. */
export class Credentials {
  constructor(
    readonly id: string,
    readonly password: string,
  ) {}
}

/** A signed statement that `user` authenticated, valid until `expiration`. */
export class Token {
  constructor(
    readonly signature: string,
    readonly user: User,
    readonly expiration: DateTime,
  ) {}
}

/**
 * The protocol's types ({@link rpcRegistry}) plus the users service's.
 *
 * @example
 * ```ts
 * import { Role, User, usersRegistry } from 'dsock';
 *
 * // A client or server with this registry sends and receives Users, Roles, Tokens...
 * const registry = usersRegistry();
 * const ada = new User('ada', ['ada@x.org'], 'Ada L.', Role.ADMIN, null);
 * console.log(registry.has('User'), registry.stringify(ada).includes('"$type":"User"')); // true true
 * ```
 */
export function usersRegistry(options: TypeRegistryOptions = {}): TypeRegistry {
  return rpcRegistry(options)
    .register<Role>({
      name: 'Role',
      // The constructor is private (the two roles are the only ones), so recognised by is().
      is: (value): value is Role => value instanceof Role,
      encode: (role) => ({ name: role.name }),
      decode(fields) {
        const name = stringField(fields, 'name', 'Role');
        const role = name === 'ADMIN' ? Role.ADMIN : name === 'USER' ? Role.USER : undefined;
        if (role === undefined) {
          throw new ProtocolError(
            `Role: "name" must be "ADMIN" or "USER", got ${JSON.stringify(name.slice(0, 32))}`,
          );
        }
        return role;
      },
    })
    .register<User>({
      name: 'User',
      type: User,
      encode: (user, encoder) => ({
        username: user.username,
        emails: [...user.emails],
        full_name: user.fullName,
        role: encoder.encode(user.role),
        password: user.password,
      }),
      decode(fields, decoder) {
        const emails = arrayField(fields, 'emails', 'User').map((email, i) => {
          if (typeof email !== 'string') {
            throw new ProtocolError(`User: "emails" must hold strings; item ${i} is not one`);
          }
          return email;
        });
        const role = decoder.decode(field(fields, 'role'));
        if (!(role instanceof Role)) {
          throw new ProtocolError(`User: field "role" must be a Role, got ${kindOf(role)}`);
        }
        return new User(
          stringField(fields, 'username', 'User'),
          emails,
          stringField(fields, 'full_name', 'User'),
          role,
          optionalStringField(fields, 'password', 'User'),
        );
      },
    })
    .register<Credentials>({
      name: 'Credentials',
      type: Credentials,
      encode: (credentials) => ({ id: credentials.id, password: credentials.password }),
      decode: (fields) =>
        new Credentials(
          stringField(fields, 'id', 'Credentials'),
          stringField(fields, 'password', 'Credentials'),
        ),
    })
    .register<Token>({
      name: 'Token',
      type: Token,
      encode: (token, encoder) => ({
        signature: token.signature,
        user: encoder.encode(token.user),
        expiration: encoder.encode(token.expiration),
      }),
      decode(fields, decoder) {
        const decoded = {
          user: decoder.decode(field(fields, 'user')),
          expiration: decoder.decode(field(fields, 'expiration')),
        };
        return new Token(
          stringField(fields, 'signature', 'Token'),
          instanceField(decoded, 'user', 'Token', User, 'a User'),
          instanceField(decoded, 'expiration', 'Token', DateTime, 'a datetime'),
        );
      },
    });
}
