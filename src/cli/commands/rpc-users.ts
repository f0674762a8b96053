import { writeFile } from 'node:fs/promises';
import { serveUsers } from '../../apps/users/service.js';
import { Credentials, Role, User, usersRegistry } from '../../apps/users/types.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { RpcClient } from '../../rpc/client.js';
import { DEFAULT_RPC_IDLE_TIMEOUT } from '../../rpc/server.js';
import { TimeDelta } from '../../rpc/time-types.js';
import { DEFAULT_MAX_CONNECTIONS } from '../../stream/stream-server.js';
import type { Command } from '../command.js';
import {
  endpointArgument,
  noArgumentsAfter,
  numberOption,
  parseCommandLine,
  portArgument,
  stringOption,
  type ParsedArgs,
} from '../args.js';
import { status, terminationSignal } from '../terminal.js';
import { UsageError } from '../usage-error.js';
import {
  clientTls,
  serverTls,
  TLS_CLIENT_HELP,
  TLS_CLIENT_OPTIONS,
  TLS_SERVER_HELP,
  TLS_SERVER_OPTIONS,
} from '../secure-options.js';
import {
  callTimeout,
  DEFAULT_CALL_SECONDS,
  InputFileError,
  jsonFile,
  printCall,
  reportingInputFiles,
} from './rpc-common.js';
import { prefixOption } from './rpc.js';

export const rpcUsersServerCommand: Command = {
  words: ['rpc', 'users', 'server'],
  help: `Usage: dsock rpc users server PORT [--host HOST] [--secure] [--max-connections N]
                             [--idle-timeout SECONDS] [--prefix 2|4]
                             [--tls --cert FILE --key FILE]

Serves the users service of the course's RPC lab on PORT until Ctrl+C: add_user, get_user,
check_password, authenticate (a token valid for a day, or the duration asked) and
validate_token. Passwords are kept as salted hashes; tokens are signed with a key made at
start. Logs each connection that fails to stderr.

Options:
  --host HOST               the local address to listen on (default 0.0.0.0)
  --secure                  get_user answers only to an ADMIN's valid token in the metadata
  --max-connections N       serve at most N clients at once (default ${DEFAULT_MAX_CONNECTIONS})
  --idle-timeout SECONDS    close a client silent for SECONDS (default
                            ${DEFAULT_RPC_IDLE_TIMEOUT / 1000}; 0: never)
  --prefix 2|4              the frame's length prefix in bytes (default 2, the course's)
${TLS_SERVER_HELP}

Example:
  dsock rpc users server 8080
  dsock rpc users server 8080 --secure --host 127.0.0.1
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      host: { type: 'string' },
      secure: { type: 'boolean' },
      'max-connections': { type: 'string' },
      'idle-timeout': { type: 'string' },
      prefix: { type: 'string' },
      ...TLS_SERVER_OPTIONS,
    });
    const port = portArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const tls = serverTls(values);
    const maxConnections = numberOption(values['max-connections'], 'max-connections', {
      min: 1,
      max: 1 << 20,
      integer: true,
    });
    const idleSeconds = numberOption(values['idle-timeout'], 'idle-timeout', {
      min: 0,
      max: 86_400,
      unit: 'seconds',
    });
    const secure = values.secure === true;
    const server = await serveUsers(
      { host: stringOption(values.host) ?? '0.0.0.0', port },
      {
        secure,
        prefix: prefixOption(values.prefix),
        maxConnections,
        idleTimeout: idleSeconds === undefined ? undefined : Math.ceil(idleSeconds * 1000),
        onConnectionError: (error, remote) =>
          status(`# ${formatEndpoint(remote)} failed: ${error.message}`),
        ...(tls !== undefined ? { tls } : {}),
      },
    );
    const termination = terminationSignal();
    try {
      status(
        `# users service${secure ? ' (secure)' : ''} listening on ` +
          formatEndpoint(server.localEndpoint),
      );
      await new Promise<void>((resolve) =>
        termination.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      return 0;
    } finally {
      termination.dispose();
      await server.close();
    }
  },
};

const ACTIONS = ['add', 'get', 'check', 'auth', 'validate'] as const;
type Action = (typeof ACTIONS)[number];

/** The value of a string option an action needs; a usage error naming it when missing. */
function required(parsed: ParsedArgs, name: string, flag: string, action: Action): string {
  const value = stringOption(parsed.values[name]);
  if (value === undefined) throw new UsageError(`${action} needs ${flag}`);
  return value;
}

/** Refuses options that `action` does not take (given for another action by mistake). */
function onlyOptions(parsed: ParsedArgs, action: Action, allowed: string[]): void {
  for (const [name, value] of Object.entries(parsed.values)) {
    const common = ['timeout', 'prefix', 'tls', 'ca', 'insecure'];
    if (value !== undefined && !common.includes(name) && !allowed.includes(name)) {
      throw new UsageError(`${action} takes no --${name}`);
    }
  }
}

export const rpcUsersClientCommand: Command = {
  words: ['rpc', 'users', 'client'],
  help: `Usage: dsock rpc users client HOST:PORT ACTION [ACTION OPTIONS] [--timeout SECONDS]
                                                  [--prefix 2|4] [--tls [--ca FILE] [--insecure]]

Calls the users service at HOST:PORT (dsock's or the course's) and prints the result as JSON
on stdout. A remote error is printed on stderr as one line, exit 1.

Actions:
  add -u USER -a EMAIL [-a EMAIL...] -n NAME -r admin|user -p PASSWORD
                                  add a user (prints null)
  get -u USER [--token FILE]      the user with that username or email; the secure service
                                  wants an ADMIN's token, sent as the request's metadata
  check -u USER -p PASSWORD       whether the password is the user's (true or false)
  auth -u USER -p PASSWORD [--save FILE] [--duration SECONDS]
                                  a token (printed; saved to FILE as well)
  validate --token FILE           whether the token is valid (true or false)

A token file is sent back byte for byte, as it was saved.

Options:
  --timeout SECONDS     give up after SECONDS (default ${DEFAULT_CALL_SECONDS})
  --prefix 2|4          the frame's length prefix in bytes (default 2, the course's)
${TLS_CLIENT_HELP}

Example:
  dsock rpc users client 127.0.0.1:8080 add -u ada -a ada@example.org -n 'Ada L.' -r admin -p pw
  dsock rpc users client 127.0.0.1:8080 auth -u ada -p pw --save ada.token
  dsock rpc users client 127.0.0.1:8080 get -u ada --token ada.token
  dsock rpc users client 127.0.0.1:8080 validate --token ada.token
`,
  run(args) {
    return reportingInputFiles('rpc users client', () => runUsersClient(args));
  },
};

async function runUsersClient(args: string[]): Promise<number> {
  const parsed = parseCommandLine(args, {
    user: { type: 'string', short: 'u' },
    email: { type: 'string', short: 'a', multiple: true },
    name: { type: 'string', short: 'n' },
    role: { type: 'string', short: 'r' },
    password: { type: 'string', short: 'p' },
    token: { type: 'string' },
    save: { type: 'string' },
    duration: { type: 'string' },
    timeout: { type: 'string' },
    prefix: { type: 'string' },
    ...TLS_CLIENT_OPTIONS,
  });
  const server = endpointArgument(parsed.positionals[0]);
  const tls = clientTls(parsed.values);
  const action = parsed.positionals[1];
  if (action === undefined) throw new UsageError(`missing ACTION: ${ACTIONS.join(', ')}`);
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown ACTION "${action}": expected ${ACTIONS.join(', ')}`);
  }
  noArgumentsAfter(parsed.positionals, 2);
  const registry = usersRegistry();
  const client = new RpcClient(server, {
    registry,
    timeout: callTimeout(parsed.values.timeout),
    prefix: prefixOption(parsed.values.prefix),
    ...(tls !== undefined ? { tls } : {}),
  });
  const command = 'rpc users client';
  try {
    switch (action as Action) {
      case 'add': {
        onlyOptions(parsed, 'add', ['user', 'email', 'name', 'role', 'password']);
        const roleName = required(parsed, 'role', '-r admin|user', 'add');
        const role = Role.named(roleName);
        if (role === undefined) {
          throw new UsageError(`invalid -r "${roleName}": expected admin or user`);
        }
        const emails = (parsed.values.email as unknown as string[] | undefined) ?? [];
        if (emails.length === 0) throw new UsageError('add needs -a EMAIL (one or more)');
        const user = new User(
          required(parsed, 'user', '-u USER', 'add'),
          emails,
          required(parsed, 'name', '-n NAME', 'add'),
          role,
          required(parsed, 'password', '-p PASSWORD', 'add'),
        );
        return await printCall(command, registry, () => client.call('add_user', [user]));
      }
      case 'get': {
        onlyOptions(parsed, 'get', ['user', 'token']);
        const id = required(parsed, 'user', '-u USER', 'get');
        const tokenPath = stringOption(parsed.values.token);
        const metadata = tokenPath === undefined ? null : await jsonFile(tokenPath, 'token');
        return await printCall(command, registry, () =>
          client.call('get_user', [id], { metadata }),
        );
      }
      case 'check': {
        onlyOptions(parsed, 'check', ['user', 'password']);
        const credentials = new Credentials(
          required(parsed, 'user', '-u USER', 'check'),
          required(parsed, 'password', '-p PASSWORD', 'check'),
        );
        return await printCall(command, registry, () =>
          client.call('check_password', [credentials]),
        );
      }
      case 'auth': {
        onlyOptions(parsed, 'auth', ['user', 'password', 'save', 'duration']);
        const credentials = new Credentials(
          required(parsed, 'user', '-u USER', 'auth'),
          required(parsed, 'password', '-p PASSWORD', 'auth'),
        );
        const seconds = numberOption(parsed.values.duration, 'duration', {
          min: 0.001,
          max: 366 * 86_400,
          unit: 'seconds',
        });
        const savePath = stringOption(parsed.values.save);
        const callArgs =
          seconds === undefined ? [credentials] : [credentials, new TimeDelta(seconds)];
        return await printCall(
          command,
          registry,
          () => client.call('authenticate', callArgs),
          savePath === undefined ? undefined : (text) => save(savePath, text),
        );
      }
      case 'validate': {
        onlyOptions(parsed, 'validate', ['token']);
        const token = await jsonFile(
          required(parsed, 'token', '--token FILE', 'validate'),
          'token',
        );
        return await printCall(command, registry, () => client.call('validate_token', [token]));
      }
    }
  } finally {
    await client.close();
  }
  return 2;
}

async function save(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, `${text}\n`, { mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputFileError(`cannot save the token to ${path} (${code})`);
  }
}
