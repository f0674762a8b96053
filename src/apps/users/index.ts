export { Credentials, Role, Token, User, usersRegistry } from './types.js';
export { DEFAULT_MAX_USERS, UserDatabase, type UserDatabaseOptions } from './user-database.js';
export { Authenticator, DEFAULT_TOKEN_LIFETIME_SECONDS } from './authentication.js';
export {
  addUsersMethods,
  serveUsers,
  type UsersServerOptions,
  type UsersService,
} from './service.js';
