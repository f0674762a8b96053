import { ipv6Available, NO_IPV6, within } from '../helpers/bounded.js';
import type { ListenOptions } from '../../src/index.js';
import { StreamServer, StreamSocket } from '../../src/index.js';

/** The loopback address of each family the stream tests run over. */
export const FAMILIES = [
  { name: 'IPv4', host: '127.0.0.1' },
  { name: 'IPv6', host: '::1' },
] as const;

export type Family = (typeof FAMILIES)[number];

/** A skip reason when `family` cannot be used on this machine, or undefined. */
export async function unavailable(family: Family): Promise<string | undefined> {
  if (family.name === 'IPv6' && !(await ipv6Available())) return NO_IPV6;
  return undefined;
}

/** A listening server, a client connected to it and the server's side of that connection. */
export interface Pair {
  server: StreamServer;
  client: StreamSocket;
  peer: StreamSocket;
  close(): Promise<void>;
}

/** A server listening on a free port of `host`, bounded. */
export function listening(host: string, options?: ListenOptions): Promise<StreamServer> {
  return within(StreamServer.listen({ host, port: 0 }, options), 5000, 'listen');
}

/** Listens on `host`, connects a client and accepts it, every step bounded. */
export async function connectedPair(
  host: string,
  options: { client?: Parameters<typeof StreamSocket.connect>[1]; server?: ListenOptions } = {},
): Promise<Pair> {
  const server = await listening(host, options.server);
  let client: StreamSocket | undefined;
  try {
    client = await within(
      StreamSocket.connect(server.localEndpoint, options.client),
      5000,
      'connect',
    );
    const peer = await within(server.accept(), 5000, 'accept');
    const connected = client;
    return {
      server,
      client: connected,
      peer,
      async close() {
        await within(
          Promise.all([connected.close(), peer.close(), server.close()]),
          5000,
          'closing the pair',
        );
      },
    };
  } catch (error) {
    await client?.close();
    await server.close();
    throw error;
  }
}

/** Reads until end of stream and returns everything, bounded by `ms`. */
export async function readToEnd(socket: StreamSocket, ms = 10_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for (;;) {
      const chunk = await socket.recv(65536);
      if (chunk.length === 0) return Buffer.concat(chunks);
      chunks.push(chunk);
    }
  })();
  return within(reading, ms, 'end of stream');
}
