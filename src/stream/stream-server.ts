import {
  createServer,
  type ListenOptions as NetListenOptions,
  type Server,
  type Socket,
} from 'node:net';
import type { Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { ANY_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { toEndpoint } from '../endpoint/parse.js';
import { SocketClosedError, SocketError, toSocketError } from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { NO_WAIT, waitOptionsError } from '../internal/deadline.js';
import { ItemQueue } from '../internal/item-queue.js';
import { streamAccept } from '../internal/channels.js';
import { readAcceptedThroughSharedBuffer } from './accepted-read.js';
import { adoptSocket, connectionClosed, countedBy, startReading } from './adopt.js';
import { DESCRIPTOR_PROBE_INTERVAL, descriptorShortage } from './descriptor-probe.js';
import { checkHostFamily } from '../internal/validate.js';
import {
  checkListenOptions,
  type ConnectionRefusal,
  type ListenOptions,
  type RefusalReason,
  type ServerSettings,
  type StreamServerStats,
} from './server-options.js';
import { StreamSocket } from './stream-socket.js';
import type * as TlsHandshake from './tls-handshake.js';

/** The TLS half of a server, loaded only when it listens with TLS. */
type TlsHandshakes = typeof TlsHandshake;

export {
  DEFAULT_ACCEPT_QUEUE_LIMIT,
  DEFAULT_MAX_CONNECTIONS,
  type ConnectionRefusal,
  type ListenOptions,
  type RefusalReason,
  type StreamServerStats,
} from './server-options.js';

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
  readonly #maxConnections: number;
  readonly #idleTimeout: number;
  readonly #onRefused: ((refusal: ConnectionRefusal) => void) | undefined;
  #accepted = 0;
  #open = 0;
  #dropped = 0;
  #refused = 0;
  #acceptErrors = 0;
  #shortages = 0;
  #handshakeFailures = 0;
  readonly #probe: NodeJS.Timeout;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    server: Server,
    local: Endpoint,
    settings: ServerSettings,
    tlsHandshakes: TlsHandshakes | undefined,
  ) {
    this.#server = server;
    this.#local = local;
    this.#queue = new ItemQueue<StreamSocket>(settings.queueLimit);
    this.#receiveBufferLimit = settings.bufferLimit;
    this.#maxConnections = settings.maxConnections;
    this.#idleTimeout = settings.idleTimeout;
    this.#onRefused = settings.onRefused;
    this.#acceptWhat = `accept on ${formatEndpoint(local)}`;
    if (tlsHandshakes !== undefined) {
      tlsHandshakes.watchTlsServer(server, {
        secure: (socket) => this.#onConnection(socket),
        failed: (error, remote) => {
          this.#handshakeFailures++;
          this.#refuse('tls handshake failed', remote, error);
        },
        dropped: (remote) => {
          this.#refused++;
          this.#refuse('connection limit', remote, undefined);
        },
      });
    } else {
      server.on('connection', (socket: Socket) => this.#onConnection(socket, true));
    }
    // Errors after listening come from accepting one connection (e.g. out of file descriptors):
    // that connection is lost, and the server goes on listening; the error is counted and
    // reported.
    server.on('error', (error: Error) => {
      this.#acceptErrors++;
      this.#refuse('accept failed', undefined, toSocketError(error, 'accept', this.#local));
    });
    this.#probe = setInterval(this.#checkDescriptors, DESCRIPTOR_PROBE_INTERVAL);
    this.#probe.unref();
  }

  /**
   * Listens on `local` (default: the any-address of `family`, port 0 = chosen by the system;
   * `":port"` or a number also mean the any-address). Rejects with {@link AddressInUseError}
   * when the port is taken, {@link PermissionDeniedError} for a privileged port, and
   * {@link InvalidEndpointError} or {@link InvalidArgumentError} for bad arguments.
   */
  static async listen(local?: EndpointLike, options: ListenOptions = {}): Promise<StreamServer> {
    const { family, backlog, ipv6Only, tlsSettings, ...settings } = checkListenOptions(options);
    const endpoint = toEndpoint(local, { host: ANY_ADDRESS[family ?? 'IPv4'] });
    checkHostFamily(endpoint.host, family, local);
    // node:tls is loaded only by a server that speaks it: a plain one starts without it.
    const tlsHandshakes =
      tlsSettings === undefined ? undefined : await import('./tls-handshake.js');
    const server =
      tlsSettings === undefined || tlsHandshakes === undefined
        ? createServer({ allowHalfOpen: true, pauseOnConnect: true })
        : tlsHandshakes.createTlsServer(tlsSettings, settings.maxConnections);
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
    return new StreamServer(server, bound, settings, tlsHandshakes);
  }

  /** The address and port the server listens on (the chosen port when 0 was asked for). */
  get localEndpoint(): Endpoint {
    return { ...this.#local };
  }

  /** Connections closed on arrival because the accept queue was full. */
  get droppedConnections(): number {
    return this.#dropped;
  }

  /** A snapshot of the server's counters: connections accepted, open, and turned away. */
  get stats(): StreamServerStats {
    return {
      accepted: this.#accepted,
      open: this.#open,
      refusedAtLimit: this.#refused,
      droppedQueueFull: this.#dropped,
      acceptErrors: this.#acceptErrors,
      descriptorShortages: this.#shortages,
      tlsHandshakeFailures: this.#handshakeFailures,
    };
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
  accept(options: WaitOptions = NO_WAIT): Promise<StreamSocket> {
    const invalid = waitOptionsError(options);
    if (invalid !== undefined) return Promise.reject(invalid);
    // Not an async function: an accept made while connections arrive would hold an async frame
    // and an await of its own until it resumed, for every connection.
    const held = this.#queue.tryShift();
    if (held !== undefined) {
      handOver(held);
      return Promise.resolve(held);
    }
    // A connection handed to this accept while it waits is handed over by #onConnection.
    return this.#queue.take(options, this.#acceptWhat, this.#local);
  }

  /**
   * Stops listening. Connections already accepted stay open; connections still waiting in the
   * accept queue are closed, and pending and later accepts reject with
   * {@link SocketClosedError}. The port is free again when the returned promise resolves.
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    clearInterval(this.#probe);
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
    this.#closing = Promise.all(waiting.map((stream) => stream.close())).then(() => undefined);
    return this.#closing;
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

  /** `plain`: accepted by the plain server (TLS sockets read the connection themselves). */
  #onConnection(socket: Socket, plain = false): void {
    if (this.#open >= this.#maxConnections && !this.#closed) {
      this.#refused++;
      const remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      socket.destroy();
      this.#refuse('connection limit', remote, undefined);
      return;
    }
    // Reads go through the shared buffer where this Node allows it, as a connected socket's do.
    if (plain) readAcceptedThroughSharedBuffer(socket);
    const stream = StreamSocket[adoptSocket](socket, this.#receiveBufferLimit, this.#idleTimeout);
    // An accept waits: the connection goes to it at once.
    const taken = this.#queue.waiting > 0;
    if (this.#closed || !this.#queue.push(stream)) {
      this.#dropped++;
      void stream.close();
      if (!this.#closed) this.#refuse('accept queue full', stream.remoteEndpoint, undefined);
      return;
    }
    this.#accepted++;
    this.#open++;
    stream[countedBy](this);
    if (taken) handOver(stream);
  }

  /** @internal One of the connections counted as open has closed. */
  [connectionClosed](): void {
    this.#open--;
  }

  readonly #checkDescriptors = (): void => {
    const code = descriptorShortage();
    if (code === undefined) return;
    this.#shortages++;
    const error = new SocketError(
      `${this.#acceptWhat}: the process is out of file descriptors (${code}); ` +
        'the system closes arriving connections',
      code,
      { endpoint: this.#local },
    );
    this.#refuse('out of file descriptors', undefined, error);
  };

  #refuse(reason: RefusalReason, remote: Endpoint | undefined, error: SocketError | undefined) {
    this.#onRefused?.({ reason, remote, error });
  }
}

/** Hands `stream` to the application's accept: it is published and starts reading. */
function handOver(stream: StreamSocket): void {
  if (streamAccept.hasSubscribers)
    streamAccept.publish({ source: stream, remote: stream.remoteEndpoint });
  stream[startReading]();
}
