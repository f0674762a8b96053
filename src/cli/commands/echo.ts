import { runEchoClient, serveEcho } from '../../apps/echo.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { AbortError } from '../../errors.js';
import { StreamServer } from '../../stream/stream-server.js';
import { StreamSocket } from '../../stream/stream-socket.js';
import type { Command } from '../command.js';
import {
  endpointArgument,
  parseCommandLine,
  portArgument,
  stringOption,
  noArgumentsAfter,
} from '../args.js';
import { status, terminationSignal } from '../terminal.js';

export const echoServerCommand: Command = {
  words: ['echo', 'server'],
  summary: 'echo every byte back to each client',
  help: `Usage: dsock echo server PORT [--once] [--host HOST]

Listens on PORT and sends every byte each client sends back to it, many clients at once, until
Ctrl+C. Logs "# echoed N bytes" to stderr.

Options:
  --once         exit after the first client leaves
  --host HOST    the local address to listen on (default 0.0.0.0)

Example:
  dsock echo server 7000
  dsock echo server 7000 --once
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      once: { type: 'boolean' },
      host: { type: 'string' },
    });
    const port = portArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const server = await StreamServer.listen({
      host: stringOption(values.host) ?? '0.0.0.0',
      port,
    });
    const termination = terminationSignal();
    try {
      status(`# listening on ${formatEndpoint(server.localEndpoint)}`);
      await serveEcho(server, {
        once: values.once === true,
        signal: termination.signal,
        onConnect: (client) => status(`# connection from ${formatEndpoint(client)}`),
        onEcho: (bytes) => status(`# echoed ${bytes} bytes`),
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
      await server.close();
    }
  },
};

export const echoClientCommand: Command = {
  words: ['echo', 'client'],
  summary: 'send stdin to an echo server and print the echo',
  help: `Usage: dsock echo client HOST:PORT

Sends stdin to the echo server at HOST:PORT and writes what comes back to stdout, byte for
byte, sending and receiving at the same time. After the end of input it half-closes, waits for
the rest of the echo, and checks that it equals what was sent (exit 1 if not).

Example:
  echo hello | dsock echo client 127.0.0.1:7000
  dsock echo client 127.0.0.1:7000 < big.bin > copy.bin
`,
  async run(args) {
    const { positionals } = parseCommandLine(args, {});
    const server = endpointArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const termination = terminationSignal();
    let socket: StreamSocket;
    try {
      socket = await StreamSocket.connect(server, { timeout: 10_000, signal: termination.signal });
    } catch (error) {
      termination.dispose();
      if (error instanceof AbortError) return 0;
      throw error;
    }
    // Ctrl+C ends the input: what was sent is still drained and checked.
    const endInput = (): void => void process.stdin.destroy();
    termination.signal.addEventListener('abort', endInput, { once: true });
    try {
      const result = await runEchoClient(socket, process.stdin, process.stdout);
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
      termination.signal.removeEventListener('abort', endInput);
      termination.dispose();
      await socket.close();
    }
  },
};
