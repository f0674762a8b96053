import { createRequire } from 'node:module';
import { SocketError } from '../errors.js';
import type { Command } from './command.js';
import {
  chatTcpClientCommand,
  chatTcpGroupCommand,
  chatTcpServerCommand,
} from './commands/chat-tcp.js';
import { chatUdpCommand } from './commands/chat-udp.js';
import { chaosUdpCommand } from './commands/chaos.js';
import { echoClientCommand, echoServerCommand } from './commands/echo.js';
import { ipsCommand } from './commands/ips.js';
import { keygenCommand, tlsCertCommand } from './commands/keys.js';
import { rpcCallCommand } from './commands/rpc.js';
import { rpcUsersClientCommand, rpcUsersServerCommand } from './commands/rpc-users.js';
import { sinkUdpCommand, streamUdpCommand } from './commands/stream-sink.js';
import { traceViewCommand } from './commands/trace.js';
import { udpListenCommand, udpSendCommand } from './commands/udp.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { startTrace, takeTraceOption, TRACE_HELP } from './trace-option.js';
import { UsageError } from './usage-error.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Every command, in the order the help lists them. */
const COMMANDS: Command[] = [
  ipsCommand,
  udpListenCommand,
  udpSendCommand,
  chatUdpCommand,
  streamUdpCommand,
  sinkUdpCommand,
  echoServerCommand,
  echoClientCommand,
  chatTcpServerCommand,
  chatTcpClientCommand,
  chatTcpGroupCommand,
  chaosUdpCommand,
  rpcUsersServerCommand,
  rpcUsersClientCommand,
  rpcCallCommand,
  tlsCertCommand,
  keygenCommand,
  traceViewCommand,
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
function findCommand(args: string[]): Command | undefined {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    const matches = command.words.every((word, i) => args[i] === word);
    if (matches && (!best || command.words.length > best.words.length)) best = command;
  }
  return best;
}

/**
 * A reader that went away (`dsock udp listen 9000 | head -1`) ends the command quietly, as
 * it would a Unix filter, instead of crashing it with EPIPE.
 */
function quitOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}

/**
 * Runs the dsock command line with `args` (without the node and script paths) and resolves
 * with the process exit status: 0 on success, 1 when the work failed, 2 for a bad command line.
 */
export async function main(args: string[]): Promise<number> {
  const [first] = args;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  quitOnClosedOutput();
  const command = findCommand(args);
  if (!command) {
    const known = COMMANDS.filter((c) => c.words[0] === first);
    const hint =
      known.length > 0
        ? `; "${first}" takes one of: ${known.map((c) => c.words.slice(1).join(' ')).join(', ')}`
        : ' (see dsock --help)';
    process.stderr.write(`dsock: unknown command "${args.slice(0, 2).join(' ')}"${hint}\n`);
    return 2;
  }
  const rest = args.slice(command.words.length);
  const end = rest.indexOf('--');
  const options = end < 0 ? rest : rest.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) {
    process.stdout.write(command.help + TRACE_HELP);
    return 0;
  }
  const name = command.words.join(' ');
  let recorder: TraceRecorder | undefined;
  let status = 1;
  try {
    const { args: commandArgs, file } = takeTraceOption(rest);
    if (file !== undefined) recorder = startTrace(file, command.words, commandArgs);
    status = await command.run(commandArgs);
    return status;
  } catch (error) {
    if (error instanceof UsageError) {
      status = 2;
      process.stderr.write(`dsock ${name}: ${error.message} (see dsock ${name} --help)\n`);
      return 2;
    }
    const message = error instanceof SocketError ? error.message : String(error);
    process.stderr.write(`dsock ${name}: ${message}\n`);
    return 1;
  } finally {
    if (status === 2) recorder?.cancel();
    else endTrace(recorder, name);
  }
}

/** Closes the trace of a command that ran, saying on stderr if it could not be written whole. */
function endTrace(recorder: TraceRecorder | undefined, name: string): void {
  if (recorder === undefined) return;
  try {
    recorder.close();
  } catch (error) {
    process.stderr.write(`dsock ${name}: ${(error as Error).message}\n`);
  }
  if (recorder.error !== undefined) {
    process.stderr.write(`dsock ${name}: ${recorder.error.message}\n`);
  }
}
