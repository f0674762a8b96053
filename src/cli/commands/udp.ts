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
import { InputLines, status, terminationSignal } from '../terminal.js';
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
  summary: 'print every datagram that arrives on a port',
  help: `Usage: dsock udp listen PORT [--host HOST] [--hex] [--join GROUP[,GROUP...]]
                       [--interface IFACE]

Binds PORT and prints each datagram that arrives on stdout, one a line, as UTF-8 text (or as
hexadecimal with --hex); its sender and size go to stderr. Runs until Ctrl+C.

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
        process.stdout.write(
          `${values.hex === true ? data.toString('hex') : data.toString('utf8')}\n`,
        );
      }
    } finally {
      termination.dispose();
      await socket.close();
    }
  },
};

export const udpSendCommand: Command = {
  words: ['udp', 'send'],
  summary: 'send each argument, or each line of stdin, as one datagram',
  help: `Usage: dsock udp send HOST:PORT [TEXT...] [--broadcast] [--ttl N] [--interface IFACE]

Sends each TEXT as one datagram to HOST:PORT, or, without TEXT, each line of stdin.
A text longer than a datagram can carry is refused with a message. HOST may be a broadcast
address (with --broadcast) or a multicast group.

Options:
${SEND_REACH_HELP}

Example:
  dsock udp send 127.0.0.1:9000 hello world
  printf 'one\\ntwo\\n' | dsock udp send 127.0.0.1:9000
  dsock udp send 239.1.2.3:9000 hello group --interface eth1
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, SEND_REACH_OPTIONS);
    const [target, ...texts] = positionals;
    const peer = endpointArgument(target);
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
    const input = texts.length === 0 ? new InputLines() : undefined;
    const termination = terminationSignal();
    const { signal } = termination;
    try {
      let sent = 0;
      const send = async (text: string): Promise<void> => {
        try {
          await socket.sendTo(text, peer);
          sent++;
        } catch (error) {
          if (!(error instanceof MessageTooLargeError)) throw error;
          status(`# not sent: ${error.message}`);
        }
      };
      if (input) {
        for (let line = await input.next(signal); line !== null; line = await input.next(signal)) {
          await send(line);
        }
      } else {
        for (const text of texts) if (!signal.aborted) await send(text);
      }
      status(`# sent ${sent} datagram${sent === 1 ? '' : 's'} to ${formatEndpoint(peer)}`);
      return 0;
    } finally {
      termination.dispose();
      input?.close();
      await socket.close();
    }
  },
};
