import { TcpChatConnection } from '../../apps/tcp-chat.js';
import { TcpGroupChat, type GroupChatEvent } from '../../apps/tcp-group-chat.js';
import type { Discovery } from '../../discovery/discovery.js';
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
import { runChatCommand, showChatEvent, typeLines, type ChatTerminal } from '../chat-session.js';
import { status } from '../terminal.js';
import {
  checkDiscoverOptions,
  DISCOVER_HELP,
  DISCOVER_OPTIONS,
  discoverPeers,
  type DiscoveredPeers,
} from '../discover-peers.js';

const NAME_OPTION = { name: { type: 'string', short: 'n' } } as const;

/** Chats with one peer over `socket` until either side leaves. */
async function chatOver(
  socket: StreamSocket,
  { name, input, signal }: ChatTerminal,
): Promise<void> {
  const chat = new TcpChatConnection(socket, name, showChatEvent);
  status(`# chatting with ${formatEndpoint(chat.peer)}`);
  try {
    await typeLines({ input, signal, say: (text) => chat.say(text), ended: chat.ended });
  } finally {
    await chat.close();
  }
}

export const chatTcpServerCommand: Command = {
  words: ['chat', 'tcp', 'server'],
  summary: 'one-to-one chat: wait for a client',
  help: `Usage: dsock chat tcp server PORT [--name NAME] [--host HOST]

Listens on PORT, accepts one client and chats with it: chat messages framed with a 2-byte
big-endian length prefix, as the course's Python chat does. Ends when either side leaves.

Options:
  --name NAME    the user name (asked for, or read as the first line of stdin, if left out)
  --host HOST    the local address to listen on (default 0.0.0.0)

Example:
  dsock chat tcp server 8080 --name Alice
  printf 'Alice\\nhello\\n' | dsock chat tcp server 8080
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, {
      ...NAME_OPTION,
      host: { type: 'string' },
    });
    const port = portArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    return runChatCommand(stringOption(values.name), async (terminal) => {
      const server = await StreamServer.listen({
        host: stringOption(values.host) ?? '0.0.0.0',
        port,
      });
      let socket: StreamSocket;
      try {
        status(
          `# ${terminal.name} waiting for a client on ${formatEndpoint(server.localEndpoint)}`,
        );
        socket = await server.accept({ signal: terminal.signal });
      } catch (error) {
        if (error instanceof AbortError) return;
        throw error;
      } finally {
        await server.close();
      }
      await chatOver(socket, terminal);
    });
  },
};

export const chatTcpClientCommand: Command = {
  words: ['chat', 'tcp', 'client'],
  summary: 'one-to-one chat: connect to a server',
  help: `Usage: dsock chat tcp client HOST:PORT [--name NAME]

Connects to a chat server at HOST:PORT and chats with it (2-byte length-prefixed chat messages).
Ends when either side leaves.

Options:
  --name NAME    the user name (asked for, or read as the first line of stdin, if left out)

Example:
  dsock chat tcp client 127.0.0.1:8080 --name Bob
  printf 'Bob\\nhi\\n' | dsock chat tcp client 127.0.0.1:8080
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, NAME_OPTION);
    const server = endpointArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    return runChatCommand(stringOption(values.name), async (terminal) => {
      let socket: StreamSocket;
      try {
        socket = await StreamSocket.connect(server, {
          timeout: 10_000,
          noDelay: true,
          signal: terminal.signal,
        });
      } catch (error) {
        if (error instanceof AbortError) return;
        throw error;
      }
      await chatOver(socket, terminal);
    });
  },
};

/** Shows a group chat event; the reconnection lines are the group's own. */
function showGroupEvent(event: GroupChatEvent): void {
  if (event.type === 'reconnecting') {
    status(`# reconnecting to ${formatEndpoint(event.peer)} in ${seconds(event.delay)}`);
  } else if (event.type === 'connected' && event.reconnected) {
    status(`# reconnected to ${formatEndpoint(event.peer)}`);
  } else {
    showChatEvent(event);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The members discovery finds: of each pair, only the member with the lower node id connects
 * and the other accepts, so that two members share one connection (docs/discovery-protocol.md).
 */
function discoveredMembers(chat: TcpGroupChat): DiscoveredPeers {
  const known = new Set<string>();
  const connecting = new Set<string>();
  return {
    add(peer, found, self) {
      const key = formatEndpoint(peer);
      if (known.has(key)) return false;
      known.add(key);
      if (self < found.nodeId && chat.addPeer(peer)) connecting.add(key);
      return true;
    },
    remove(peer) {
      const key = formatEndpoint(peer);
      if (connecting.delete(key)) chat.removePeer(peer);
      return known.delete(key);
    },
    lostText: 'left the room',
  };
}

export const chatTcpGroupCommand: Command = {
  words: ['chat', 'tcp', 'group'],
  summary: 'group chat over stream sockets: listen and connect to peers',
  help: `Usage: dsock chat tcp group PORT [PEER...] [--name NAME] [--host HOST]
                            [--discover [--room NAME]]

Joins a group chat over TCP: listens on PORT for members that join, connects to each PEER
given, and sends every typed line to every member connected so far, whichever side connected.
A failed or closed connection is dropped and reported; the chat goes on, and a PEER given here
is connected to again ("# reconnecting to PEER in N s", then "# reconnected to PEER"): the
first wait is 0.5 s, each next one twice as long, up to 30 s, with jitter, until the chat
ends; never more than one connection to a PEER at a time. A member that takes nothing for 5 s
while 1 MiB waits for it is disconnected, so that it holds back nobody else. On a terminal,
control characters in received text are shown escaped; on a pipe the bytes stay as received.
Ctrl+C or SIGTERM ends the chat within a second.

With --discover, the members of the room find each other by multicast beacons on every LAN;
of each pair, the member with the lower node id connects (and reconnects) and the other
accepts, so that everyone gets each message once. A member that discovery loses ("# ... left
the room") keeps its connection until the connection ends. Members relay nothing: give the
address of a member on another LAN as a PEER.

Options:
  --name NAME    the user name (asked for, or read as the first line of stdin, if left out)
  --host HOST    the local address to listen on (default 0.0.0.0)
${DISCOVER_HELP}

Example:
  dsock chat tcp group 9001 --name Alice
  dsock chat tcp group 9002 127.0.0.1:9001 --name Bob
  dsock chat tcp group 9001 --discover --room lab --name Alice
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, {
      ...NAME_OPTION,
      host: { type: 'string' },
      ...DISCOVER_OPTIONS,
    });
    const [portText, ...peerTexts] = positionals;
    const port = portArgument(portText);
    const peers = peerTexts.map((text) => endpointArgument(text, 'PEER'));
    checkDiscoverOptions(values);
    return runChatCommand(stringOption(values.name), async ({ name, input, signal }) => {
      const chat = await TcpGroupChat.start(
        name,
        { listen: { host: stringOption(values.host) ?? '0.0.0.0', port }, peers },
        showGroupEvent,
      );
      status(`# ${name} in the group on ${formatEndpoint(chat.localEndpoint)}`);
      let discovery: Discovery | undefined;
      try {
        const members = discoveredMembers(chat);
        const listening = chat.localEndpoint.port;
        discovery = await discoverPeers(values, 'chat/tcp', name, listening, members);
        await typeLines({ input, signal, say: (text) => chat.say(text) });
      } finally {
        await discovery?.close();
        await chat.close();
      }
    });
  },
};
