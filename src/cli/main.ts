import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { SocketError } from '../errors.js';
import type { Command } from './command.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { startTrace, takeTraceOption, TRACE_HELP } from './trace-option.js';
import { UsageError } from './usage-error.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/**
 * One entry of the command list: the words that select a command and its line in the help. The
 * command itself (its help text and what it runs) is loaded only when it is the one chosen, so a
 * start loads the modules of one command, not of all of them.
 */
interface CommandEntry {
  words: string[];
  summary: string;
  load(): Promise<Command>;
}

/** Every command, in the order the help lists them. */
const COMMANDS: CommandEntry[] = [
  {
    words: ['ips'],
    summary: "list this machine's IP addresses, and which of them peers can use",
    load: async () => (await import('./commands/ips.js')).ipsCommand,
  },
  {
    words: ['udp', 'listen'],
    summary: 'print every datagram that arrives on a port',
    load: async () => (await import('./commands/udp.js')).udpListenCommand,
  },
  {
    words: ['udp', 'send'],
    summary: 'send each argument, or each line of stdin, as one datagram',
    load: async () => (await import('./commands/udp.js')).udpSendCommand,
  },
  {
    words: ['chat', 'udp'],
    summary: 'peer-to-peer group chat over one datagram socket',
    load: async () => (await import('./commands/chat-udp.js')).chatUdpCommand,
  },
  {
    words: ['stream', 'udp'],
    summary: 'send COUNT numbered chat messages to peers',
    load: async () => (await import('./commands/stream-sink.js')).streamUdpCommand,
  },
  {
    words: ['sink', 'udp'],
    summary: 'count what a streamer sends: lost, duplicated, out of order',
    load: async () => (await import('./commands/stream-sink.js')).sinkUdpCommand,
  },
  {
    words: ['echo', 'server'],
    summary: 'echo every byte back to each client',
    load: async () => (await import('./commands/echo.js')).echoServerCommand,
  },
  {
    words: ['echo', 'client'],
    summary: 'send stdin to an echo server and print the echo',
    load: async () => (await import('./commands/echo.js')).echoClientCommand,
  },
  {
    words: ['chat', 'tcp', 'server'],
    summary: 'one-to-one chat: wait for a client',
    load: async () => (await import('./commands/chat-tcp.js')).chatTcpServerCommand,
  },
  {
    words: ['chat', 'tcp', 'client'],
    summary: 'one-to-one chat: connect to a server',
    load: async () => (await import('./commands/chat-tcp.js')).chatTcpClientCommand,
  },
  {
    words: ['chat', 'tcp', 'group'],
    summary: 'group chat over stream sockets: listen and connect to peers',
    load: async () => (await import('./commands/chat-tcp.js')).chatTcpGroupCommand,
  },
  {
    words: ['chaos', 'udp'],
    summary: 'a UDP relay that loses, duplicates, reorders and delays datagrams',
    load: async () => (await import('./commands/chaos.js')).chaosUdpCommand,
  },
  {
    words: ['rpc', 'users', 'server'],
    summary: "serve the course's users service over RPC",
    load: async () => (await import('./commands/rpc-users.js')).rpcUsersServerCommand,
  },
  {
    words: ['rpc', 'users', 'client'],
    summary: 'call the users service: add, get, check, auth, validate',
    load: async () => (await import('./commands/rpc-users.js')).rpcUsersClientCommand,
  },
  {
    words: ['rpc', 'call'],
    summary: 'call a method of any server speaking the course RPC format',
    load: async () => (await import('./commands/rpc.js')).rpcCallCommand,
  },
  {
    words: ['tls', 'cert'],
    summary: 'make a self-signed TLS certificate and key for a lab',
    load: async () => (await import('./commands/keys.js')).tlsCertCommand,
  },
  {
    words: ['keygen'],
    summary: 'print a new random pre-shared key for --psk',
    load: async () => (await import('./commands/keys.js')).keygenCommand,
  },
  {
    words: ['trace', 'view'],
    summary: 'merge trace files into one space-time diagram',
    load: async () => (await import('./commands/trace.js')).traceViewCommand,
  },
];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  const lines = COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return `dsock ${version}: sockets for distributed systems

Usage: dsock COMMAND [ARGS...]

Commands:
${lines.join('\n')}

Options:
  -h, --help       show help (also after a command: dsock COMMAND --help)
  -V, --version    print the version
`;
}

/** The command whose words start `args`, the longest match first. */
function findCommand(args: string[]): CommandEntry | undefined {
  let best: CommandEntry | undefined;
  for (const command of COMMANDS) {
    const matches = command.words.every((word, i) => args[i] === word);
    if (matches && (!best || command.words.length > best.words.length)) best = command;
  }
  return best;
}

/**
 * Where `main` writes what it says itself: the help, the version and the one-line errors. A
 * command's own output goes to the process's stdout and stderr.
 */
export interface MainOutput {
  stdout: Writable;
  stderr: Writable;
}

/**
 * A reader that went away (`dsock udp listen 9000 | head -1`) ends the command quietly, as
 * it would a Unix filter, instead of crashing it with EPIPE.
 */
function quitOnClosedOutput(output: MainOutput): void {
  for (const stream of [output.stdout, output.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}

/**
 * Runs the dsock command line with `args` (without the node and script paths) and resolves
 * with the process exit status: 0 on success, 1 when the work failed, 2 for a bad command line.
 * `output` is the process's by default; a test gives streams of its own to read the help and
 * the usage errors of many command lines in one process.
 */
export async function main(
  args: string[],
  output: MainOutput = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [first] = args;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    output.stdout.write(helpText());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    output.stdout.write(`${version}\n`);
    return 0;
  }
  quitOnClosedOutput(output);
  const entry = findCommand(args);
  if (!entry) {
    const known = COMMANDS.filter((c) => c.words[0] === first);
    const hint =
      known.length > 0
        ? `; "${first}" takes one of: ${known.map((c) => c.words.slice(1).join(' ')).join(', ')}`
        : ' (see dsock --help)';
    output.stderr.write(`dsock: unknown command "${args.slice(0, 2).join(' ')}"${hint}\n`);
    return 2;
  }
  const command = await entry.load();
  const rest = args.slice(command.words.length);
  const end = rest.indexOf('--');
  const options = end < 0 ? rest : rest.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) {
    output.stdout.write(command.help + TRACE_HELP);
    return 0;
  }
  const name = command.words.join(' ');
  let recorder: TraceRecorder | undefined;
  let status = 1;
  try {
    const { args: commandArgs, file } = takeTraceOption(rest);
    if (file !== undefined) recorder = await startTrace(file, command.words, commandArgs);
    status = await command.run(commandArgs);
    return status;
  } catch (error) {
    if (error instanceof UsageError) {
      status = 2;
      output.stderr.write(`dsock ${name}: ${error.message} (see dsock ${name} --help)\n`);
      return 2;
    }
    const message = error instanceof SocketError ? error.message : String(error);
    output.stderr.write(`dsock ${name}: ${message}\n`);
    return 1;
  } finally {
    if (status === 2) recorder?.cancel();
    else endTrace(recorder, name, output.stderr);
  }
}

/** Closes the trace of a command that ran, saying on stderr if it could not be written whole. */
function endTrace(recorder: TraceRecorder | undefined, name: string, stderr: Writable): void {
  if (recorder === undefined) return;
  try {
    recorder.close();
  } catch (error) {
    stderr.write(`dsock ${name}: ${(error as Error).message}\n`);
  }
  if (recorder.error !== undefined) {
    stderr.write(`dsock ${name}: ${recorder.error.message}\n`);
  }
}
