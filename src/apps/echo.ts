import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Endpoint } from '../endpoint/endpoint.js';
import { SocketClosedError, SocketError } from '../errors.js';
import type { StreamServer } from '../stream/stream-server.js';
import type { StreamSocket } from '../stream/stream-socket.js';

/** How {@link serveEcho} runs, and what it reports. */
export interface EchoServerOptions {
  /** Stop after the first client has left. */
  once?: boolean;
  /** Stops the server: it stops accepting and closes the open connections. */
  signal?: AbortSignal | undefined;
  /** Called after each chunk is echoed back, with its size. */
  onEcho?: (bytes: number, client: Endpoint) => void;
  /** Called when a client connects. */
  onConnect?: (client: Endpoint) => void;
  /** Called when a client has left (or failed), with the bytes echoed to it. */
  onDisconnect?: (client: Endpoint, bytes: number, error: SocketError | undefined) => void;
}

/** Echoes one client's bytes back until it half-closes; resolves with the bytes echoed. */
async function echoClient(socket: StreamSocket, options: EchoServerOptions): Promise<number> {
  let total = 0;
  for await (const chunk of socket) {
    await socket.sendAll(chunk);
    total += chunk.length;
    options.onEcho?.(chunk.length, socket.remoteEndpoint);
  }
  await socket.shutdown('write');
  return total;
}

/**
 * Serves the echo protocol on `server`: every byte a client sends comes back to it, many
 * clients at once, until `signal` aborts (or, with `once`, until the first client leaves). A
 * client's failure ends that client only. Closes the server and every connection before it
 * resolves.
 */
export async function serveEcho(
  server: StreamServer,
  options: EchoServerOptions = {},
): Promise<void> {
  const clients = new Set<StreamSocket>();
  const handlers = new Set<Promise<void>>();
  const { signal } = options;
  const stop = (): void => {
    void server.close();
    for (const client of clients) void client.close();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      let socket: StreamSocket;
      try {
        socket = await server.accept({ signal });
      } catch (error) {
        if (error instanceof SocketError && (signal?.aborted || server.closed)) break;
        throw error;
      }
      clients.add(socket);
      const client = socket.remoteEndpoint;
      options.onConnect?.(client);
      const handler = echoClient(socket, options).then(
        (bytes) => options.onDisconnect?.(client, bytes, undefined),
        (error: unknown) => {
          if (error instanceof SocketClosedError && signal?.aborted) return;
          const failure =
            error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
          options.onDisconnect?.(client, -1, failure);
        },
      );
      const tracked = handler.finally(() => {
        clients.delete(socket);
        handlers.delete(tracked);
        return socket.close();
      });
      handlers.add(tracked);
      if (options.once) {
        await tracked;
        break;
      }
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
    await Promise.all(handlers);
  }
}

/** Resolves when `output` can take more, rejects if it fails or closes first. */
function drained(output: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      output.off('drain', onDrain);
      output.off('error', done);
      output.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('output closed before the echo was written'));
    output.once('drain', onDrain);
    output.once('error', done);
    output.once('close', onClose);
  });
}

/** What an echo client sent and got back. */
export interface EchoResult {
  sent: number;
  received: number;
  /** True when the bytes that came back are exactly the bytes sent. */
  matched: boolean;
}

/**
 * The echo client: forwards `input` to the server and `output` receives the echo, both at the
 * same time so that input of any size never deadlocks (a client that sent everything before
 * reading would, once both directions' buffers are full). After the end of input it half-closes,
 * drains the echo and compares digests of what went and what came back.
 */
export async function runEchoClient(
  socket: StreamSocket,
  input: Readable,
  output: Writable,
): Promise<EchoResult> {
  const sentDigest = createHash('sha256');
  const receivedDigest = createHash('sha256');
  let sent = 0;
  let received = 0;

  const sending = (async () => {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      sentDigest.update(bytes);
      sent += bytes.length;
      await socket.sendAll(bytes);
    }
    await socket.shutdown('write');
  })();

  const receiving = (async () => {
    for await (const chunk of socket) {
      receivedDigest.update(chunk);
      received += chunk.length;
      if (!output.write(chunk)) await drained(output);
    }
  })();

  // If receiving fails the server is gone: stop sending too, rather than wait on input.
  await Promise.all([
    sending,
    receiving.catch((error: unknown) => {
      input.destroy();
      throw error;
    }),
  ]);
  return {
    sent,
    received,
    matched: sent === received && sentDigest.digest('hex') === receivedDigest.digest('hex'),
  };
}
