import { TcpChatConnection } from '../../apps/tcp-chat.js';
import { TcpGroupChat } from '../../apps/tcp-group-chat.js';
import type { Discovery } from '../../discovery/discovery.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { AbortError, type SocketError } from '../../errors.js';
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
import { runChatCommand, typeLines, type ChatTerminal } from '../chat-session.js';
import { status } from '../terminal.js';
import {
  clientTls,
  serverTls,
  TLS_CLIENT_HELP,
  TLS_CLIENT_OPTIONS,
  TLS_PEER_OPTIONS,
  TLS_SERVER_HELP,
  TLS_SERVER_OPTIONS,
} from '../secure-options.js';
import {
  checkDiscoverOptions,
  DISCOVER_HELP,
  DISCOVER_OPTIONS,
  discoverPeers,
  type DiscoveredPeers,
} from '../discover-peers.js';

const NAME_OPTION = { name: { type: 'string', short: 'n' } } as const;

/**
 * Chats with one peer over `socket` until either side leaves. A connection that fails is the
 * end of the chat and a failure: it rejects with the error (one line, exit status 1).
 */
async function chatOver(
  socket: StreamSocket,
  name: string,
  { input, signal, display }: ChatTerminal,
): Promise<void> {
  let failure: SocketError | undefined;
  let over = false;
  const chat = new TcpChatConnection(socket, name, (event) => {
    if (event.type === 'closed' || event.type === 'dropped') over = true;
    if (event.type === 'closed' && event.error !== undefined) failure = event.error;
    else display.show(event);
  });
  status(`# chatting with ${formatEndpoint(chat.peer)}`);
  try {
    await typeLines({ input, signal, say: (text) => chat.say(text), ended: chat.ended });
    if (!over) display.leave();
  } finally {
    await chat.close();
  }
  if (failure !== undefined) throw failure;
}

export const chatTcpServerCommand: Command = {
  words: ['chat', 'tcp', 'server'],
  help: `Usage: dsock chat tcp server PORT [--name NAME] [--host HOST]
                             [--tls --cert FILE --key FILE]

Listens on PORT, accepts one client and chats with it: chat messages framed with a 2-byte
big-endian length prefix, as the course's Python chat does. Ends when either side leaves; exits
1 if the connection fails.

Options:
  -n, --name NAME  the user name (asked for once listening, or read as the first line of
                   stdin, if left out)
  --host HOST      the local address to listen on (default 0.0.0.0)
${TLS_SERVER_HELP}

Example:
  dsock chat tcp server 8080 --name Alice
  printf 'Alice\\nhello\\n' | dsock chat tcp server 8080
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, {
      ...NAME_OPTION,
      host: { type: 'string' },
      ...TLS_SERVER_OPTIONS,
    });
    const port = portArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const tls = serverTls(values);
    return runChatCommand(stringOption(values.name), async (terminal) => {
      // Listening first: a busy port is reported before anyone types a name.
      const server = await StreamServer.listen(
        { host: stringOption(values.host) ?? '0.0.0.0', port },
        tls === undefined ? {} : { tls },
      );
      let socket: StreamSocket;
      let name: string | null;
      try {
        name = await terminal.askName();
        if (name === null) return;
        status(`# ${name} waiting for a client on ${formatEndpoint(server.localEndpoint)}`);
        socket = await server.accept({ signal: terminal.signal });
      } catch (error) {
        if (error instanceof AbortError) return;
        throw error;
      } finally {
        await server.close();
      }
      await chatOver(socket, name, terminal);
    });
  },
};

export const chatTcpClientCommand: Command = {
  words: ['chat', 'tcp', 'client'],
  help: `Usage: dsock chat tcp client HOST:PORT [--name NAME] [--tls [--ca FILE] [--insecure]]

Connects to a chat server at HOST:PORT and chats with it (2-byte length-prefixed chat messages).
Ends when either side leaves; exits 1 if the connection cannot be made or fails.

Options:
  -n, --name NAME  the user name (asked for once connected, or read as the first line of
                   stdin, if left out)
${TLS_CLIENT_HELP}

Example:
  dsock chat tcp client 127.0.0.1:8080 --name Bob
  printf 'Bob\\nhi\\n' | dsock chat tcp client 127.0.0.1:8080
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, {
      ...NAME_OPTION,
      ...TLS_CLIENT_OPTIONS,
    });
    const server = endpointArgument(positionals[0]);
    noArgumentsAfter(positionals, 1);
    const tls = clientTls(values);
    return runChatCommand(stringOption(values.name), async (terminal) => {
      let socket: StreamSocket;
      try {
        socket = await StreamSocket.connect(server, {
          timeout: 10_000,
          noDelay: true,
          signal: terminal.signal,
          ...(tls !== undefined ? { tls } : {}),
        });
      } catch (error) {
        if (error instanceof AbortError) return;
        throw error;
      }
      // Connected first: a server that is not there is reported before anyone types a name.
      const name = await terminal.askName().catch(async (error: unknown) => {
        await socket.close();
        throw error;
      });
      if (name === null) {
        await socket.close();
        return;
      }
      await chatOver(socket, name, terminal);
    });
  },
};

/** Shows a group chat event; the reconnection lines are the group's own. */
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
  help: `Usage: dsock chat tcp group PORT [PEER...] [--name NAME] [--host HOST]
                            [--discover [--room NAME]]
                            [--tls --cert FILE --key FILE [--ca FILE] [--insecure]]

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
  -n, --name NAME  the user name (asked for once listening, or read as the first line of
                   stdin, if left out)
  --host HOST      the local address to listen on (default 0.0.0.0)
${DISCOVER_HELP}
${TLS_SERVER_HELP}
  --ca FILE      trust the authorities (or self-signed certificates) in FILE, PEM, for the
                 members connected to (default: the system's)
  --insecure     with --tls, accept any member's certificate (encrypted, not authenticated)

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
      ...TLS_PEER_OPTIONS,
    });
    const serving = serverTls(values);
    const connecting = clientTls(values);
    const [portText, ...peerTexts] = positionals;
    const port = portArgument(portText);
    const peers = peerTexts.map((text) => endpointArgument(text, 'PEER'));
    checkDiscoverOptions(values);
    return runChatCommand(
      stringOption(values.name),
      async ({ input, signal, askName, display }) => {
        // Listening first: a busy port is reported before anyone types a name.
        const server = await StreamServer.listen(
          { host: stringOption(values.host) ?? '0.0.0.0', port },
          serving === undefined ? {} : { tls: serving },
        );
        const name = await askName().catch(async (error: unknown) => {
          await server.close();
          throw error;
        });
        if (name === null) {
          await server.close();
          return;
        }
        const chat = await TcpGroupChat.start(
          name,
          { listen: server, peers, ...(connecting !== undefined ? { tls: connecting } : {}) },
          display.show,
        );
        status(`# ${name} in the group on ${formatEndpoint(chat.localEndpoint)}`);
        let discovery: Discovery | undefined;
        try {
          const members = discoveredMembers(chat);
          const listening = chat.localEndpoint.port;
          discovery = await discoverPeers(values, 'chat/tcp', name, listening, members);
          await typeLines({ input, signal, say: (text) => chat.say(text) });
          display.leave();
        } finally {
          await discovery?.close();
          await chat.close();
        }
      },
    );
  },
};
