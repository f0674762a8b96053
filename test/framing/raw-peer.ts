import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { within } from '../helpers/bounded.js';
import { MessageStream, StreamSocket } from '../../src/index.js';
import type { MessageStreamOptions } from '../../src/index.js';

/**
 * A raw net.Server peer: each test connects a MessageStream to it and drives the server side
 * with plain socket writes, so that it controls exactly how the bytes are cut.
 */
export class RawPeer {
  readonly server: Server;
  readonly #accepted: Socket[] = [];
  readonly #waiting: ((socket: Socket) => void)[] = [];

  constructor() {
    this.server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      const waiter = this.#waiting.shift();
      if (waiter) waiter(socket);
      else this.#accepted.push(socket);
    });
  }

  async listen(host: string): Promise<void> {
    this.server.listen(0, host);
    await within(once(this.server, 'listening'), 5_000, 'listen');
  }

  get endpoint(): { host: string; port: number } {
    const address = this.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** The next connection accepted. */
  accept(): Promise<Socket> {
    const accepted = new Promise<Socket>((resolve) => {
      const held = this.#accepted.shift();
      if (held) resolve(held);
      else this.#waiting.push(resolve);
    });
    return within(accepted, 5_000, 'accept');
  }

  /** Connects a MessageStream and returns it with the peer's socket. */
  async pair(options: MessageStreamOptions = {}): Promise<[MessageStream, Socket]> {
    const socket = await within(StreamSocket.connect(this.endpoint), 5_000, 'connect');
    return [new MessageStream(socket, options), await this.accept()];
  }

  async close(): Promise<void> {
    for (const socket of this.#accepted) socket.destroy();
    await within(
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      5_000,
      'server close',
    );
  }
}

/** Runs `body` with a connected stream and peer socket, closing both afterwards. */
export async function withPair(
  peer: RawPeer,
  options: MessageStreamOptions,
  body: (stream: MessageStream, socket: Socket) => Promise<void>,
): Promise<void> {
  const [stream, socket] = await peer.pair(options);
  try {
    await body(stream, socket);
  } finally {
    socket.destroy();
    await within(stream.close(), 5_000, 'stream close');
  }
}

export function write(socket: Socket, data: Uint8Array): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) =>
      socket.write(data, (error) => (error ? reject(error) : resolve())),
    ),
    5_000,
    'peer write',
  );
}

export async function receiveAll(stream: MessageStream, ms = 10_000): Promise<string[]> {
  const collect = async (): Promise<string[]> => {
    const messages: string[] = [];
    for await (const message of stream) messages.push(message.toString());
    return messages;
  };
  return within(collect(), ms, 'messages until end of stream');
}
