import { DatagramSocket } from '../../datagram/datagram-socket.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { AbortError, MessageTooLargeError, SocketClosedError } from '../../errors.js';
import type { Command } from '../command.js';
import {
  endpointArgument,
  parseCommandLine,
  portArgument,
  stringOption,
  noArgumentsAfter,
} from '../args.js';
import { InputLines, showReceived, status, terminationSignal } from '../terminal.js';
import { UsageError } from '../usage-error.js';
import {
  familyOfGroups,
  groupsToJoin,
  joinGroups,
  LISTEN_REACH_HELP,
  LISTEN_REACH_OPTIONS,
  SEND_REACH_HELP,
  SEND_REACH_OPTIONS,
  sendReach,
} from '../udp-reach.js';

export const udpListenCommand: Command = {
  words: ['udp', 'listen'],
  help: `Usage: dsock udp listen PORT [--host HOST] [--hex] [--join GROUP[,GROUP...]]
                       [--interface IFACE]

Binds PORT and writes each datagram that arrives to stdout, byte for byte, followed by a
newline (or as one line of hexadecimal with --hex); its sender and size go to stderr. On a
terminal, control characters are shown escaped (\x1b) so that a datagram cannot act on it.
Runs until Ctrl+C.

Options:
  --host HOST    the local address to bind (default 0.0.0.0, every interface)
  --hex          print the bytes in hexadecimal
${LISTEN_REACH_HELP}

Example:
  dsock udp listen 9000
  dsock udp listen 9000 --host ::1 --hex
  dsock udp listen 9000 --join 239.1.2.3
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      host: { type: 'string' },
      hex: { type: 'boolean' },
      ...LISTEN_REACH_OPTIONS,
    });
    const port = portArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const groups = groupsToJoin(values);
    const termination = terminationSignal();
    const anyHost = groups && familyOfGroups(groups) === 'IPv6' ? '::' : '0.0.0.0';
    const socket = await DatagramSocket.bind(
      { host: stringOption(values.host) ?? anyHost, port },
      { reuseAddress: groups !== undefined },
    );
    try {
      const joined = groups ? joinGroups(socket, groups, values) : [];
      status(`# listening on ${formatEndpoint(socket.localEndpoint)}`);
      for (const line of joined) status(line);
      for (;;) {
        let datagram;
        try {
          datagram = await socket.recvFrom(65536, { signal: termination.signal });
        } catch (error) {
          if (error instanceof AbortError || error instanceof SocketClosedError) return 0;
          throw error;
        }
        const { data, sender } = datagram;
        status(`# ${data.length} bytes from ${formatEndpoint(sender)}`);
        if (values.hex === true) {
          process.stdout.write(`${data.toString('hex')}\n`);
        } else if (process.stdout.isTTY) {
          // A terminal acts on control bytes: shown escaped, as in the chats.
          showReceived(data.toString('utf8'));
        } else {
          // The bytes as they arrived (never decoded, so any byte survives), then a newline.
          process.stdout.write(data);
          process.stdout.write('\n');
        }
      }
    } finally {
      termination.dispose();
      await socket.close();
    }
  },
};

/** The exit status after SIGINT or SIGTERM, as a shell reports a command ended by Ctrl+C. */
const INTERRUPTED = 130;

/** More than any UDP datagram can carry: stdin beyond this is refused unread (--raw). */
const RAW_INPUT_LIMIT = 65536;

export const udpSendCommand: Command = {
  words: ['udp', 'send'],
  help: `Usage: dsock udp send HOST:PORT [TEXT...] [--hex] [--broadcast] [--ttl N] [--interface IFACE]
       dsock udp send HOST:PORT --raw < FILE

Sends each TEXT as one datagram to HOST:PORT, or, without TEXT, each line of stdin.
Exits 1 if any datagram could not be sent (a text longer than a datagram can carry, at most
65,507 bytes over IPv4). Ctrl+C stops reading: what was read is sent, then it exits 130. HOST
may be a broadcast address (with --broadcast) or a multicast group.

Options:
  --raw    send all of stdin, byte for byte, as one datagram
  --hex    each TEXT (or line of stdin) is hexadecimal, such as "48656c6c6f" or "48 65 6c":
           send the bytes it spells (udp listen --hex prints datagrams this way)
${SEND_REACH_HELP}

Example:
  dsock udp send 127.0.0.1:9000 hello world
  printf 'one\\ntwo\\n' | dsock udp send 127.0.0.1:9000
  dsock udp send 127.0.0.1:9000 --raw < packet.bin
  dsock udp send 127.0.0.1:9000 --hex 48656c6c6f
  dsock udp send 239.1.2.3:9000 hello group --interface eth1
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      raw: { type: 'boolean' },
      hex: { type: 'boolean' },
      ...SEND_REACH_OPTIONS,
    });
    const [target, ...texts] = positionals;
    const peer = endpointArgument(target);
    const raw = values.raw === true;
    const hex = values.hex === true;
    if (raw && hex) throw new UsageError('--raw and --hex exclude each other');
    if (raw && texts.length > 0) {
      throw new UsageError(`--raw sends stdin: unexpected argument "${texts[0]}"`);
    }
    // Hexadecimal arguments are all checked before anything is sent.
    const payloads: (string | Buffer)[] = hex
      ? texts.map((text, i) => {
          const bytes = hexBytes(text);
          if (bytes === undefined) throw new UsageError(`TEXT ${i + 1}: ${notHex(text)}`);
          return bytes;
        })
      : texts;
    const reach = sendReach(values, peer);
    const socket = await DatagramSocket.bind(reach.bindHost, {
      family: peer.host.includes(':') ? 'IPv6' : 'IPv4',
    });
    try {
      reach.apply(socket);
    } catch (error) {
      await socket.close();
      throw error;
    }
    const input = texts.length === 0 && !raw ? new InputLines() : undefined;
    // Interrupted is not a success (130, as a shell reports SIGINT), also when the exit is forced.
    const termination = terminationSignal({ exitStatus: INTERRUPTED });
    const { signal } = termination;
    try {
      let sent = 0;
      let failed = 0;
      const send = async (payload: string | Buffer): Promise<void> => {
        try {
          await socket.sendTo(payload, peer);
          sent++;
        } catch (error) {
          if (!(error instanceof MessageTooLargeError)) throw error;
          failed++;
          process.stderr.write(`dsock udp send: not sent: ${error.message}\n`);
        }
      };
      const fail = (message: string): void => {
        failed++;
        process.stderr.write(`dsock udp send: not sent: ${message}\n`);
      };
      if (raw) {
        const data = await readInput(RAW_INPUT_LIMIT, signal);
        if (data === 'too large') {
          fail(`stdin holds more than ${RAW_INPUT_LIMIT} bytes, more than a datagram can carry`);
        } else if (data !== null) {
          await send(data);
        }
      } else if (input) {
        let number = 0;
        for (let line = await input.next(signal); line !== null; line = await input.next(signal)) {
          number++;
          const bytes = hex ? hexBytes(line) : line;
          if (bytes === undefined) fail(`line ${number}: ${notHex(line)}`);
          else await send(bytes);
        }
      } else {
        for (const payload of payloads) if (!signal.aborted) await send(payload);
      }
      status(`# sent ${sent} datagram${sent === 1 ? '' : 's'} to ${formatEndpoint(peer)}`);
      // Ctrl+C ends the input as Ctrl+D does (what was read is sent), but the input was cut short.
      if (failed > 0) return 1;
      return signal.aborted ? INTERRUPTED : 0;
    } finally {
      termination.dispose();
      input?.close();
      await socket.close();
    }
  },
};

/** The bytes that hexadecimal `text` spells (whitespace between digits allowed), if it does. */
function hexBytes(text: string): Buffer | undefined {
  const digits = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) return undefined;
  return Buffer.from(digits, 'hex');
}

/** Why `text` is not hexadecimal, for a one-line message. */
function notHex(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return `"${shown}" is not hexadecimal (pairs of digits 0-9, a-f)`;
}

/**
 * All of stdin as one Buffer; 'too large' as soon as it holds more than `limit` bytes (the rest
 * is left unread), null when `signal` aborts first.
 */
async function readInput(limit: number, signal: AbortSignal): Promise<Buffer | 'too large' | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  const aborted = new Promise<null>((resolve) => {
    if (signal.aborted) resolve(null);
    signal.addEventListener('abort', () => resolve(null), { once: true });
  });
  const reading = (async (): Promise<Buffer | 'too large'> => {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) return 'too large';
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  })();
  // Once stdin is destroyed below, a read still in progress may reject: nobody awaits it then.
  reading.catch(() => undefined);
  try {
    return await Promise.race([reading, aborted]);
  } finally {
    process.stdin.destroy();
  }
}
