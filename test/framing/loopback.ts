import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { within } from '../helpers/bounded.js';
import { FrameDecoder } from '../../src/index.js';
import type { FramingOptions } from '../../src/index.js';

/** Two connected TCP sockets on loopback; `close()` (call it in a finally) destroys both. */
export interface SocketPair {
  client: Socket;
  server: Socket;
  close(): Promise<void>;
}

/** Connects a client to a one-shot server on `host`, both ends open. */
export async function socketPair(host = '127.0.0.1'): Promise<SocketPair> {
  const server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await within(
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    }),
    5_000,
    'listen on loopback',
  );
  const { port } = server.address() as AddressInfo;
  const client = connect(port, host);
  client.on('error', () => undefined);
  try {
    await within(
      new Promise<void>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
      }),
      5_000,
      'connect on loopback',
    );
    const peer = await within(accepted, 5_000, 'accept on loopback');
    peer.on('error', () => undefined);
    return {
      client,
      server: peer,
      async close() {
        client.destroy();
        peer.destroy();
        await within(
          new Promise<void>((resolve) => server.close(() => resolve())),
          5_000,
          'server close',
        );
      },
    };
  } catch (error) {
    client.destroy();
    server.close();
    throw error;
  }
}

/** Decodes the frames a socket receives, so that a test can wait for them. */
export class FrameCollector {
  readonly messages: Buffer[] = [];
  readonly decoder: FrameDecoder;
  /** Chunks the socket delivered (how many reads the frames took). */
  chunks = 0;
  error: Error | undefined;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(socket: Socket, options: FramingOptions = {}) {
    this.decoder = new FrameDecoder(options);
    socket.on('data', (chunk: Buffer) => {
      this.chunks++;
      try {
        this.decoder.push(chunk, this.messages);
      } catch (error) {
        this.error = error as Error;
        socket.destroy();
      }
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  /** Resolves once `count` messages have arrived; rejects after `ms` or at the end of stream. */
  async waitFor(count: number, ms = 10_000): Promise<Buffer[]> {
    const deadline = Date.now() + ms;
    while (this.messages.length < count) {
      if (this.error !== undefined) throw this.error;
      if (this.#ended) {
        throw new Error(`stream ended after ${this.messages.length} of ${count} messages`);
      }
      await within(
        new Promise<void>((resolve) => (this.#wake = resolve)),
        Math.max(1, deadline - Date.now()),
        `${count} messages (got ${this.messages.length})`,
      );
    }
    return this.messages;
  }
}
