import { resolvePeers } from '../../apps/resolve.js';
import { UdpChatPeer } from '../../apps/udp-chat.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { familyOf } from '../../endpoint/parse.js';
import {
  AddressInUseError,
  PeerUnreachableError,
  PermissionDeniedError,
  SocketError,
} from '../../errors.js';
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
import { runChatCommand, typeLines } from '../chat-session.js';
import { status } from '../terminal.js';
import {
  bindTransport,
  RELIABLE_HELP,
  RELIABLE_OPTION,
  reliableChoice,
  type CommandTransport,
  type ReliableChoice,
} from '../transport.js';
import { PSK_HELP, PSK_OPTION, pskOption } from '../secure-options.js';
import { UsageError } from '../usage-error.js';

/**
 * How long a reliable chat waits for its peers to acknowledge the leave message as it closes:
 * short, so that Ctrl+C ends it within a second.
 */
const RELIABLE_CLOSE_TIMEOUT_MS = 300;

/**
 * Binds the chat's socket on `host` when given; else on `::` with IPv4 allowed (dual-stack: IPv4
 * and IPv6 peers in one chat), or on 0.0.0.0 where the system has no IPv6. A busy port or a
 * refused one is reported as it is, not hidden by the fallback.
 */
async function bindChat(
  host: string | undefined,
  port: number,
  reliable: ReliableChoice | undefined,
  psk: Uint8Array | undefined,
): Promise<CommandTransport> {
  const timers = reliable && { ...reliable, closeTimeout: RELIABLE_CLOSE_TIMEOUT_MS };
  const bind = (on: string, ipv6Only?: false): Promise<CommandTransport> =>
    bindTransport({ host: on, port }, timers, { ipv6Only }, psk);
  if (host !== undefined) return bind(host);
  try {
    return await bind('::', false);
  } catch (error) {
    if (error instanceof AddressInUseError || error instanceof PermissionDeniedError) throw error;
    return bind('0.0.0.0');
  }
}

export const chatUdpCommand: Command = {
  words: ['chat', 'udp'],
  help: `Usage: dsock chat udp PORT [PEER...] [--name NAME] [--host HOST] [--max-peers N]
                     [--peer-expiry SECONDS] [--reliable [--peer-timeout S]] [--psk FILE]
                     [--discover [--room NAME]]

Group chat over UDP, wire-compatible with the course's Python peers. Binds PORT (0: any free
port), sends each typed line as a chat message to every known peer, and prints what arrives.
IPv4 and IPv6 peers mix in one chat (unless --host narrows it to one family).
A datagram from an unknown endpoint adds its sender to the peers (up to --max-peers; beyond,
new senders are ignored and counted); a leave message removes it, and so does silence longer
than --peer-expiry. A PEER given here never expires; one whose name does not resolve is
reported and skipped. A peer that is unreachable, or that takes nothing for 5 s, is dropped.
On a terminal, control characters in received text are shown escaped (\\x1b); on a pipe the
bytes stay as received. End of input (Ctrl+D), Ctrl+C or SIGTERM sends the leave message and
exits (within a second). With --reliable it exits 1 if a peer stopped acknowledging.

Arguments:
  PORT           the local port to bind
  PEER           HOST:PORT of a peer to talk to from the start

Options:
  -n, --name NAME       the user name (asked for once bound, or read as the first line of
                        stdin, if left out)
  --host HOST           the local address to bind (default: every interface, IPv4 and IPv6;
                        e.g. 0.0.0.0 for IPv4 only)
  --max-peers N         the most peers known at once (default 256)
  --peer-expiry SECONDS how long a peer that joined by sending may stay silent (default 600)
${RELIABLE_HELP}
${PSK_HELP}
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
      ...PSK_OPTION,
      ...DISCOVER_OPTIONS,
    });
    const psk = pskOption(values);
    const [portText, ...peerTexts] = positionals;
    const port = portArgument(portText);
    const peers = peerTexts.map((text) => endpointArgument(text, 'PEER'));
    const host = stringOption(values.host);
    if (host?.trim() === '') throw new UsageError('--host needs an address');
    const maxPeers = numberOption(values['max-peers'], 'max-peers', {
      min: 1,
      max: 1_000_000,
      integer: true,
    });
    const expiry = numberOption(values['peer-expiry'], 'peer-expiry', {
      min: 0.001,
      max: 2_000_000,
    });
    const reliable = reliableChoice(values);
    return runChatCommand(
      stringOption(values.name),
      async ({ input, signal, askName, display }) => {
        // Bound first: a busy port is reported before anyone types a name.
        const socket = await bindChat(host, port, reliable, psk);
        const local = socket.localEndpoint;
        const dualStack = local.host === '::';
        let chat: UdpChatPeer | undefined;
        let discovery: Discovery | undefined;
        const silent: string[] = [];
        try {
          const name = await askName();
          if (name === null) return;
          const resolved = await resolvePeers(peers, dualStack ? undefined : socket.family, {
            onUnresolved: (peer, error) =>
              status(`# cannot resolve ${formatEndpoint(peer)}: ${error.message}; skipped`),
          });
          // A socket bound to one family cannot reach the other: said once, not at every line.
          const reachable = resolved.filter((peer) => {
            const family = familyOf(peer.host);
            if (dualStack || family === undefined || family === socket.family) return true;
            status(
              `# ${formatEndpoint(peer)} is ${family}, the chat is bound to ${socket.family}: skipped`,
            );
            return false;
          });
          chat = new UdpChatPeer(
            socket,
            name,
            reachable,
            (event) => {
              if (event.type === 'dropped' && event.reason === 'unreachable') {
                if (event.error instanceof PeerUnreachableError)
                  silent.push(formatEndpoint(event.peer));
              }
              display.show(event);
            },
            { maxPeers, peerExpiry: expiry === undefined ? undefined : Math.round(expiry * 1000) },
          );
          status(`# ${name} chatting on ${formatEndpoint(local)}`);
          const running = chat;
          const found = {
            add: (p: Endpoint) => running.addPeer(p),
            remove: (p: Endpoint) => running.removePeer(p),
          };
          discovery = await discoverPeers(values, 'chat/udp', name, local.port, found);
          await typeLines({ input, signal, say: (text) => running.say(text) });
          display.leave();
        } finally {
          await discovery?.close();
          if (chat) await chat.leave();
          else await socket.close();
          const ignored = chat?.ignoredDatagrams ?? 0;
          if (ignored > 0) {
            status(
              `# ignored ${ignored} datagram${ignored === 1 ? '' : 's'} from senders beyond the peer limit`,
            );
          }
        }
        if (silent.length > 0) {
          throw new SocketError(
            `${silent.join(', ')} stopped acknowledging: what was said may not have reached ` +
              (silent.length === 1 ? 'it' : 'them') +
              (psk === undefined ? '' : ' (do both sides use the same --psk?)'),
            'ETIMEDOUT',
          );
        }
      },
    );
  },
};
