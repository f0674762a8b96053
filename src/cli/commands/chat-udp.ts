import { resolvePeers } from '../../apps/resolve.js';
import { UdpChatPeer } from '../../apps/udp-chat.js';
import { formatEndpoint } from '../../endpoint/format.js';
import type { Discovery } from '../../discovery/discovery.js';
import type { Endpoint } from '../../endpoint/endpoint.js';
import type { Command } from '../command.js';
import { DISCOVER_HELP, DISCOVER_OPTIONS, discoverPeers } from '../discover-peers.js';
import { endpointArgument, parseCommandLine, portArgument, stringOption } from '../args.js';
import { runChatCommand, showChatEvent, typeLines } from '../chat-session.js';
import { status } from '../terminal.js';
import { bindTransport, RELIABLE_HELP, RELIABLE_OPTION } from '../transport.js';
import { UsageError } from '../usage-error.js';

export const chatUdpCommand: Command = {
  words: ['chat', 'udp'],
  summary: 'peer-to-peer group chat over one datagram socket',
  help: `Usage: dsock chat udp PORT [PEER...] [--name NAME] [--host HOST] [--reliable]
                     [--discover [--room NAME]]

Group chat over UDP, wire-compatible with the course's Python peers. Binds PORT (0: any free
port), sends each typed line as a chat message to every known peer, and prints what arrives.
A datagram from an unknown endpoint adds its sender to the peers; a leave message removes it.
End of input (Ctrl+D) or Ctrl+C sends the leave message and exits.

Arguments:
  PORT           the local port to bind
  PEER           HOST:PORT of a peer to talk to from the start

Options:
  --name NAME    the user name (asked for, or read as the first line of stdin, if left out)
  --host HOST    the local address to bind (default 0.0.0.0, every interface)
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
      ...RELIABLE_OPTION,
      ...DISCOVER_OPTIONS,
    });
    const [portText, ...peerTexts] = positionals;
    const port = portArgument(portText);
    const peers = peerTexts.map((text) => endpointArgument(text, 'PEER'));
    const host = stringOption(values.host) ?? '0.0.0.0';
    if (host.trim() === '') throw new UsageError('--host needs an address');
    return runChatCommand(stringOption(values.name), async ({ name, input, signal }) => {
      const socket = await bindTransport({ host, port }, values.reliable === true);
      const chat = new UdpChatPeer(
        socket,
        name,
        await resolvePeers(peers, socket.family).catch(async (error: unknown) => {
          await socket.close();
          throw error;
        }),
        showChatEvent,
      );
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
      }
    });
  },
};
