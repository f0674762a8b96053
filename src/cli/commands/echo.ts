import { runEchoClient, serveEcho } from '../../apps/echo.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { AbortError, TimeoutError } from '../../errors.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  StreamServer,
  type ConnectionRefusal,
} from '../../stream/stream-server.js';
import { StreamSocket } from '../../stream/stream-socket.js';
import type { Command } from '../command.js';
import {
  endpointArgument,
  numberOption,
  parseCommandLine,
  portArgument,
  stringOption,
  noArgumentsAfter,
} from '../args.js';
import { receivedOutput, status, terminationSignal } from '../terminal.js';
import {
  clientTls,
  serverTls,
  TLS_CLIENT_HELP,
  TLS_CLIENT_OPTIONS,
  TLS_SERVER_HELP,
  TLS_SERVER_OPTIONS,
} from '../secure-options.js';

/** The echo server's idle timeout unless told otherwise, in seconds. */
const DEFAULT_IDLE_SECONDS = 300;
/** The longest --idle-timeout, in seconds: a day. */
const MAX_IDLE_SECONDS = 86_400;
/** How long the echo client tries to connect without --timeout, in seconds. */
const CONNECT_SECONDS = 10;
/** The largest --max-connections. */
const MAX_CONNECTIONS = 1 << 20;

/**
 * Status lines for connections the server turns away: the first of a kind at once, then at
 * most one a second with the count since, so that a flood of refusals cannot flood stderr.
 */
class RefusalReport {
  #last = -Infinity;
  #since = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastText = '';
  #shedding = false;

  constructor(private readonly limit: number) {}

  refused(refusal: ConnectionRefusal): void {
    this.#since++;
    if (refusal.reason === 'out of file descriptors') this.#shedding = true;
    this.#lastText = this.#describe(refusal);
    const now = performance.now();
    if (now - this.#last >= 1000) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), 1000 - (now - this.#last)).unref();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#since > 0) this.#flush();
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#since === 0) return;
    // At the descriptor limit the system sheds connections unseen: they cannot be counted.
    const count = this.#shedding
      ? 'connections'
      : this.#since === 1
        ? 'a connection'
        : `${this.#since} connections`;
    status(`# refused ${count}: ${this.#lastText}`);
    this.#shedding = false;
    this.#since = 0;
    this.#last = performance.now();
  }

  #describe(refusal: ConnectionRefusal): string {
    switch (refusal.reason) {
      case 'connection limit':
        return `${this.limit} connections are open (--max-connections)`;
      case 'accept queue full':
        return 'too many connections waiting to be accepted';
      case 'out of file descriptors':
      case 'accept failed': {
        const code = refusal.error?.code ?? '';
        return code === 'EMFILE' || code === 'ENFILE'
          ? `out of file descriptors (${code}): raise the limit (ulimit -n) or lower --max-connections`
          : `the system failed to accept it (${refusal.error?.message ?? 'unknown error'})`;
      }
      case 'tls handshake failed':
        return refusal.error?.message ?? 'a TLS handshake failed';
    }
  }
}

export const echoServerCommand: Command = {
  words: ['echo', 'server'],
  help: `Usage: dsock echo server PORT [--once] [--host HOST] [--max-connections N]
                        [--idle-timeout SECONDS] [--verbose] [--tls --cert FILE --key FILE]

Listens on PORT and sends every byte each client sends back to it, many clients at once, until
Ctrl+C. Logs a line to stderr when a client connects ("# 127.0.0.1:5555 connected") and when it
leaves ("# 127.0.0.1:5555 left after N bytes"), and when it closes an idle client or turns
connections away (at the limit, or out of file descriptors).

Options:
  --once                    exit after the first client leaves
  --verbose                 also log each chunk echoed ("# echoed N bytes to 127.0.0.1:5555")
  --host HOST               the local address to listen on (default 0.0.0.0)
  --max-connections N       serve at most N clients at once; more are closed on arrival
                            (default ${DEFAULT_MAX_CONNECTIONS})
  --idle-timeout SECONDS    close a client that sent and read nothing for SECONDS
                            (default ${DEFAULT_IDLE_SECONDS}; 0: never)
${TLS_SERVER_HELP}

Example:
  dsock echo server 7000
  dsock echo server 7000 --once
  dsock echo server 7000 --tls --cert lab/cert.pem --key lab/key.pem
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      once: { type: 'boolean' },
      verbose: { type: 'boolean' },
      host: { type: 'string' },
      'max-connections': { type: 'string' },
      'idle-timeout': { type: 'string' },
      ...TLS_SERVER_OPTIONS,
    });
    const port = portArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const tls = serverTls(values);
    const maxConnections =
      numberOption(values['max-connections'], 'max-connections', {
        min: 1,
        max: MAX_CONNECTIONS,
        integer: true,
      }) ?? DEFAULT_MAX_CONNECTIONS;
    const idleSeconds =
      numberOption(values['idle-timeout'], 'idle-timeout', { min: 0, max: MAX_IDLE_SECONDS }) ??
      DEFAULT_IDLE_SECONDS;
    const refusals = new RefusalReport(maxConnections);
    const server = await StreamServer.listen(
      { host: stringOption(values.host) ?? '0.0.0.0', port },
      {
        maxConnections,
        idleTimeout: Math.ceil(idleSeconds * 1000),
        onRefused: (refusal) => refusals.refused(refusal),
        ...(tls !== undefined ? { tls } : {}),
      },
    );
    const termination = terminationSignal();
    try {
      status(`# listening on ${formatEndpoint(server.localEndpoint)}`);
      await serveEcho(server, {
        once: values.once === true,
        signal: termination.signal,
        onConnect: (client) => status(`# ${formatEndpoint(client)} connected`),
        onEcho:
          values.verbose === true
            ? (bytes, client) => status(`# echoed ${bytes} bytes to ${formatEndpoint(client)}`)
            : undefined,
        onDisconnect: (client, bytes, error) =>
          status(
            error
              ? `# ${formatEndpoint(client)} failed: ${error.message}`
              : `# ${formatEndpoint(client)} left after ${bytes} bytes`,
          ),
      });
      return 0;
    } finally {
      termination.dispose();
      refusals.dispose();
      await server.close();
    }
  },
};

export const echoClientCommand: Command = {
  words: ['echo', 'client'],
  help: `Usage: dsock echo client HOST:PORT [--timeout SECONDS] [--tls [--ca FILE] [--insecure]]

Sends stdin to the echo server at HOST:PORT and writes what comes back to stdout, byte for
byte, sending and receiving at the same time. After the end of input it half-closes, waits for
the rest of the echo, and checks that it equals what was sent (exit 1 if not). On a terminal,
control characters of the echo are shown escaped (\x1b); to a pipe or a file it is written
byte for byte.

Options:
  --timeout SECONDS   give up (exit 1) if connecting and the whole exchange take longer
                      (default: no limit once connected; connecting alone gives up after
                      ${CONNECT_SECONDS} s)
${TLS_CLIENT_HELP}

Example:
  echo hello | dsock echo client 127.0.0.1:7000
  dsock echo client 127.0.0.1:7000 < big.bin > copy.bin
  dsock echo client 127.0.0.1:7000 --timeout 5 < request.txt
  echo hello | dsock echo client localhost:7000 --tls --ca lab/cert.pem
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      timeout: { type: 'string' },
      ...TLS_CLIENT_OPTIONS,
    });
    const server = endpointArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const tls = clientTls(values);
    const limit = numberOption(values.timeout, 'timeout', {
      min: 0.001,
      max: MAX_IDLE_SECONDS,
      unit: 'seconds',
    });
    const termination = terminationSignal();
    const timedOut = new AbortController();
    // Unreferenced: a client done in time exits without waiting for it.
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => timedOut.abort(), Math.ceil(limit * 1000)).unref();
    const tooLate = (): Error =>
      new TimeoutError(
        `no complete echo from ${formatEndpoint(server)} within ${limit} s (--timeout)`,
        Math.ceil((limit ?? 0) * 1000),
        { endpoint: server },
      );
    let socket: StreamSocket;
    try {
      socket = await StreamSocket.connect(server, {
        timeout: limit === undefined ? CONNECT_SECONDS * 1000 : Math.ceil(limit * 1000),
        signal: AbortSignal.any([termination.signal, timedOut.signal]),
        ...(tls !== undefined ? { tls } : {}),
      });
    } catch (error) {
      termination.dispose();
      clearTimeout(timer);
      if (error instanceof AbortError) {
        if (timedOut.signal.aborted) throw tooLate();
        return 0;
      }
      throw error;
    }
    // Ctrl+C ends the input: what was sent is still drained and checked. The time limit ends
    // the whole exchange: input and connection.
    const endInput = (): void => void process.stdin.destroy();
    const giveUp = (): void => {
      process.stdin.destroy();
      void socket.close();
    };
    termination.signal.addEventListener('abort', endInput, { once: true });
    timedOut.signal.addEventListener('abort', giveUp, { once: true });
    try {
      const result = await runEchoClient(socket, process.stdin, receivedOutput()).catch(
        (error: unknown) => {
          if (timedOut.signal.aborted) throw tooLate();
          throw error;
        },
      );
      if (timedOut.signal.aborted) throw tooLate();
      if (!result.matched) {
        status(
          `dsock echo client: the echo differs from what was sent ` +
            `(sent ${result.sent} bytes, received ${result.received})`,
        );
        return 1;
      }
      status(`# ${result.sent} bytes sent and echoed back intact`);
      return 0;
    } finally {
      clearTimeout(timer);
      termination.signal.removeEventListener('abort', endInput);
      timedOut.signal.removeEventListener('abort', giveUp);
      termination.dispose();
      await socket.close();
    }
  },
};
