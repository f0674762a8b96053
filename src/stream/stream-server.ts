import {
  createServer,
  type ListenOptions as NetListenOptions,
  type Server,
  type Socket,
} from 'node:net';
import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { ANY_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { toEndpoint } from '../endpoint/parse.js';
import { InvalidArgumentError, SocketClosedError, toSocketError } from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { NO_WAIT, waitOptionsError } from '../internal/deadline.js';
import { ItemQueue } from '../internal/item-queue.js';
import { adoptSocket, startReading } from './adopt.js';
import {
  checkFamily,
  checkHostFamily,
  checkInteger,
  checkOptionalFlag,
} from '../internal/validate.js';
import { checkReceiveBufferLimit, type StreamSocketOptions } from './options.js';
import { StreamSocket } from './stream-socket.js';

/** How many connections wait for {@link StreamServer.accept} unless told otherwise. */
export const DEFAULT_ACCEPT_QUEUE_LIMIT = 128;

/** Options of {@link StreamServer.listen}. */
export interface ListenOptions extends StreamSocketOptions {
  /**
   * The kernel's queue of connections completed but not yet taken by the server process
   * (the `listen()` backlog; Node's default is 511, capped by the system).
   */
  backlog?: number;
  /**
   * SO_REUSEADDR. Node.js always sets it on TCP listeners, so `true` (or leaving it out) is
   * the only value that can be honoured, and `false` is refused with an InvalidArgumentError. On Linux it
   * lets a restarted server listen again on a port that still has connections in TIME_WAIT; it
   * never lets two sockets listen on the same address and port (that is
   * {@link AddressInUseError}).
   */
  reuseAddress?: boolean;
  /** The IP version: picks the any-address (`0.0.0.0` or `::`) when `local` has no host. */
  family?: AddressFamily;
  /**
   * The most connections held for {@link StreamServer.accept} (default 128). A connection that
   * arrives while the queue is full is closed at once and counted in
   * {@link StreamServer.droppedConnections}: its peer reads end of stream (or is reset if it had
   * already sent data).
   */
  acceptQueueLimit?: number;
  /** For an IPv6 any-address listener: accept IPv6 connections only, not IPv4 ones too. */
  ipv6Only?: boolean;
}

/**
 * A listening TCP socket. Connections are accepted by the server as they arrive and wait in a
 * bounded queue for {@link accept} (or `for await` over the server), without reading from them,
 * so a connection that the application has not accepted yet costs no buffer memory.
 *
 * @example
 * ```ts
 * import { StreamServer, StreamSocket } from 'dsock';
 *
 * // An echo server that serves one client, and that client.
 * await using server = await StreamServer.listen('127.0.0.1:0');
 * const serving = (async () => {
 *   await using conn = await server.accept({ timeout: 5000 });
 *   for await (const chunk of conn) await conn.sendAll(chunk); // until the client's end of stream
 * })();
 * await using client = await StreamSocket.connect(server.localEndpoint, { timeout: 5000 });
 * await client.sendAll('echo me');
 * await client.shutdown('write');
 * console.log(`${await client.recvExactly(7, { timeout: 1000 })}`); // echo me
 * await serving;
 * ```
 */
export class StreamServer implements AsyncIterable<StreamSocket> {
  readonly #server: Server;
  readonly #local: Endpoint;
  readonly #queue: ItemQueue<StreamSocket>;
  readonly #receiveBufferLimit: number;
  readonly #acceptWhat: string;
  #dropped = 0;
  #closed = false;

  private constructor(server: Server, local: Endpoint, queueLimit: number, bufferLimit: number) {
    this.#server = server;
    this.#local = local;
    this.#queue = new ItemQueue<StreamSocket>(queueLimit);
    this.#receiveBufferLimit = bufferLimit;
    this.#acceptWhat = `accept on ${formatEndpoint(local)}`;
    server.on('connection', (socket: Socket) => this.#onConnection(socket));
    // Errors after listening come from accepting one connection (e.g. out of file descriptors):
    // that connection is lost, and the server goes on listening.
    server.on('error', () => undefined);
  }

  /**
   * Listens on `local` (default: the any-address of `family`, port 0 = chosen by the system;
   * `":port"` or a number also mean the any-address). Rejects with {@link AddressInUseError}
   * when the port is taken, {@link PermissionDeniedError} for a privileged port, and
   * {@link InvalidEndpointError} or {@link InvalidArgumentError} for bad arguments.
   */
  static async listen(local?: EndpointLike, options: ListenOptions = {}): Promise<StreamServer> {
    const family = checkFamily(options.family);
    const backlog =
      options.backlog === undefined
        ? undefined
        : checkInteger('backlog', options.backlog, 0, 2 ** 31 - 1);
    const queueLimit =
      options.acceptQueueLimit === undefined
        ? DEFAULT_ACCEPT_QUEUE_LIMIT
        : checkInteger('acceptQueueLimit', options.acceptQueueLimit, 0, 2 ** 31 - 1);
    const bufferLimit = checkReceiveBufferLimit(options.receiveBufferLimit);
    const ipv6Only = checkOptionalFlag('ipv6Only', options.ipv6Only);
    if (checkOptionalFlag('reuseAddress', options.reuseAddress) === false) {
      throw new InvalidArgumentError(
        'reuseAddress',
        'true or left out: Node.js always sets SO_REUSEADDR on TCP listeners',
        false,
      );
    }
    const endpoint = toEndpoint(local, { host: ANY_ADDRESS[family ?? 'IPv4'] });
    checkHostFamily(endpoint.host, family, local);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const netOptions: NetListenOptions = { host: endpoint.host, port: endpoint.port };
    if (backlog !== undefined) netOptions.backlog = backlog;
    if (ipv6Only !== undefined) netOptions.ipv6Only = ipv6Only;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        server.off('listening', onListening);
        reject(toSocketError(error, 'listen', endpoint));
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(netOptions);
    });
    const address = server.address();
    const bound =
      address !== null && typeof address === 'object'
        ? { host: address.address, port: address.port }
        : endpoint;
    return new StreamServer(server, bound, queueLimit, bufferLimit);
  }

  /** The address and port the server listens on (the chosen port when 0 was asked for). */
  get localEndpoint(): Endpoint {
    return { ...this.#local };
  }

  /** Connections closed on arrival because the accept queue was full. */
  get droppedConnections(): number {
    return this.#dropped;
  }

  /** Connections waiting to be accepted. */
  get pendingConnections(): number {
    return this.#queue.length;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves with the next connection, in arrival order. Rejects with {@link TimeoutError} or
   * {@link AbortError} per `options`, and with {@link SocketClosedError} once the server is
   * closed.
   */
  async accept(options: WaitOptions = NO_WAIT): Promise<StreamSocket> {
    const invalid = waitOptionsError(options);
    if (invalid !== undefined) throw invalid;
    const stream = await this.#queue.take(options, this.#acceptWhat, this.#local);
    stream[startReading]();
    return stream;
  }

  /**
   * Stops listening; idempotent. Connections already accepted stay open; connections still
   * waiting in the accept queue are closed, and pending and later accepts reject with
   * {@link SocketClosedError}. The port is free again when the returned promise resolves.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const waiting = this.#queue.fail(
      () =>
        new SocketClosedError(`${this.#acceptWhat} failed: server is closed`, {
          endpoint: this.#local,
        }),
      true,
    );
    // net.Server.close() releases the listening socket at once; its callback would wait for
    // every accepted connection to end, which is not what closing a listener means here.
    this.#server.close();
    return Promise.all(waiting.map((stream) => stream.close())).then(() => undefined);
  }

  /** Closes the server (see {@link close}) at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Yields accepted connections until the server is closed. Leaving the loop does not close
   * the server.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<StreamSocket, void, undefined> {
    for (;;) {
      let stream: StreamSocket;
      try {
        stream = await this.accept();
      } catch (error) {
        if (this.#closed && error instanceof SocketClosedError) return;
        throw error;
      }
      yield stream;
    }
  }

  #onConnection(socket: Socket): void {
    const stream = StreamSocket[adoptSocket](socket, this.#receiveBufferLimit);
    if (this.#closed || !this.#queue.push(stream)) {
      this.#dropped++;
      void stream.close();
    }
  }
}
