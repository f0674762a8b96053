import { resolvePeers } from '../../apps/resolve.js';
import { UdpChatPeer } from '../../apps/udp-chat.js';
import { DatagramSocket } from '../../datagram/datagram-socket.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { ReliableDatagramSocket } from '../../reliable/reliable-socket.js';
import type { Discovery } from '../../discovery/discovery.js';
import type { Endpoint } from '../../endpoint/endpoint.js';
import type { Command } from '../command.js';
import { DISCOVER_HELP, DISCOVER_OPTIONS, discoverPeers } from '../discover-peers.js';
import {
  endpointArgument,
  numberOption,
  parseCommandLine,
  portArgument,
  stringOption,
} from '../args.js';
import { runChatCommand, showChatEvent, typeLines } from '../chat-session.js';
import { status } from '../terminal.js';
import { RELIABLE_HELP, RELIABLE_OPTION } from '../transport.js';
import { UsageError } from '../usage-error.js';

/**
 * How long a reliable chat waits for its peers to acknowledge the leave message as it closes:
 * short, so that Ctrl+C ends it within a second.
 */
const RELIABLE_CLOSE_TIMEOUT_MS = 300;

export const chatUdpCommand: Command = {
  words: ['chat', 'udp'],
  summary: 'peer-to-peer group chat over one datagram socket',
  help: `Usage: dsock chat udp PORT [PEER...] [--name NAME] [--host HOST] [--max-peers N]
                     [--peer-expiry SECONDS] [--reliable] [--discover [--room NAME]]

Group chat over UDP, wire-compatible with the course's Python peers. Binds PORT (0: any free
port), sends each typed line as a chat message to every known peer, and prints what arrives.
A datagram from an unknown endpoint adds its sender to the peers (up to --max-peers; beyond,
new senders are ignored and counted); a leave message removes it, and so does silence longer
than --peer-expiry. A PEER given here never expires; one whose name does not resolve is
reported and skipped. A peer that is unreachable, or that takes nothing for 5 s, is dropped.
On a terminal, control characters in received text are shown escaped (\\x1b); on a pipe the
bytes stay as received. End of input (Ctrl+D), Ctrl+C or SIGTERM sends the leave message and
exits (within a second).

Arguments:
  PORT           the local port to bind
  PEER           HOST:PORT of a peer to talk to from the start

Options:
  --name NAME           the user name (asked for, or read as the first line of stdin, if left out)
  --host HOST           the local address to bind (default 0.0.0.0, every interface)
  --max-peers N         the most peers known at once (default 256)
  --peer-expiry SECONDS how long a peer that joined by sending may stay silent (default 600)
${RELIABLE_HELP}
${DISCOVER_HELP}

Example:
  dsock chat udp 8080 127.0.0.1:8081 --name Alice
  dsock chat udp 8080 --discover --room lab --name Alice
  printf 'Bob\\nhi\\n' | dsock chat udp 8081 127.0.0.1:8080
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, {
      name: { type: 'string', short: 'n' },
      host: { type: 'string' },
      'max-peers': { type: 'string' },
      'peer-expiry': { type: 'string' },
      ...RELIABLE_OPTION,
      ...DISCOVER_OPTIONS,
    });
    const [portText, ...peerTexts] = positionals;
    const port = portArgument(portText);
    const peers = peerTexts.map((text) => endpointArgument(text, 'PEER'));
    const host = stringOption(values.host) ?? '0.0.0.0';
    if (host.trim() === '') throw new UsageError('--host needs an address');
    const maxPeers = numberOption(values['max-peers'], 'max-peers', {
      min: 1,
      max: 1_000_000,
      integer: true,
    });
    const expiry = numberOption(values['peer-expiry'], 'peer-expiry', {
      min: 0.001,
      max: 2_000_000,
    });
    const reliable = values.reliable === true;
    return runChatCommand(stringOption(values.name), async ({ name, input, signal }) => {
      const local = { host, port };
      const socket = reliable
        ? await ReliableDatagramSocket.bind(local, { closeTimeout: RELIABLE_CLOSE_TIMEOUT_MS })
        : await DatagramSocket.bind(local);
      const reachable = await resolvePeers(peers, socket.family, {
        onUnresolved: (peer, error) =>
          status(`# cannot resolve ${formatEndpoint(peer)}: ${error.message}; skipped`),
      });
      const chat = new UdpChatPeer(socket, name, reachable, showChatEvent, {
        maxPeers,
        peerExpiry: expiry === undefined ? undefined : Math.round(expiry * 1000),
      });
      status(`# ${name} chatting on ${formatEndpoint(socket.localEndpoint)}`);
      const found = {
        add: (p: Endpoint) => chat.addPeer(p),
        remove: (p: Endpoint) => chat.removePeer(p),
      };
      let discovery: Discovery | undefined;
      try {
        discovery = await discoverPeers(values, 'chat/udp', name, socket.localEndpoint.port, found);
        await typeLines({ input, signal, say: (text) => chat.say(text) });
      } finally {
        await discovery?.close();
        await chat.leave();
        const ignored = chat.ignoredDatagrams;
        if (ignored > 0) {
          status(
            `# ignored ${ignored} datagram${ignored === 1 ? '' : 's'} from senders beyond the peer limit`,
          );
        }
      }
    });
  },
};
