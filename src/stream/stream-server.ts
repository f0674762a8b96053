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
import { InvalidArgumentError, SocketClosedError, SocketError, toSocketError } from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { NO_WAIT, waitOptionsError } from '../internal/deadline.js';
import { ItemQueue } from '../internal/item-queue.js';
import { streamAccept } from '../internal/channels.js';
import { adoptSocket, startReading } from './adopt.js';
import { DESCRIPTOR_PROBE_INTERVAL, descriptorShortage } from './descriptor-probe.js';
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

/** How many connections a server holds open at once unless told otherwise. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** Why a {@link StreamServer} turned a connection away. */
export type RefusalReason =
  /** {@link ListenOptions.maxConnections} connections were open. */
  | 'connection limit'
  /** {@link ListenOptions.acceptQueueLimit} connections already waited for `accept`. */
  | 'accept queue full'
  /**
   * The system could not accept it, most often for want of file descriptors (EMFILE, ENFILE:
   * see `error.code`); the peer is then left to the kernel, which sheds or resets it.
   */
  | 'accept failed'
  /**
   * The process has no file descriptor left (`error.code` EMFILE, or ENFILE for the whole
   * system): while it lasts, the system accepts arriving connections and closes them at once,
   * unseen by the server. Found by a check once a second while listening, and reported once
   * per check that finds it (so `remote` is undefined).
   */
  | 'out of file descriptors';

/** A connection a {@link StreamServer} turned away, as {@link ListenOptions.onRefused} gets it. */
export interface ConnectionRefusal {
  reason: RefusalReason;
  /** The peer, when the connection was accepted before it was closed. */
  remote: Endpoint | undefined;
  /** The system's error, for `'accept failed'`. */
  error: SocketError | undefined;
}

/** Counters of a {@link StreamServer}. */
export interface StreamServerStats {
  /** Connections accepted and kept (queued for, or handed to, the application). */
  accepted: number;
  /** Connections open now: queued, or accepted and not yet closed. */
  open: number;
  /** Connections closed on arrival because {@link ListenOptions.maxConnections} were open. */
  refusedAtLimit: number;
  /** Connections closed on arrival because the accept queue was full. */
  droppedQueueFull: number;
  /** Connections the system failed to accept and reported (see `'accept failed'`). */
  acceptErrors: number;
  /**
   * Checks, one a second while listening, that found the process out of file descriptors:
   * the seconds during which arriving connections were shed unseen.
   */
  descriptorShortages: number;
}

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
  /**
   * The most connections open at once: waiting in the accept queue, or accepted and not yet
   * closed (default {@link DEFAULT_MAX_CONNECTIONS}, 1024). A connection that arrives at the
   * limit is closed at once (its peer reads end of stream), counted in
   * {@link StreamServerStats.refusedAtLimit} and reported to {@link onRefused}: a peer that
   * opens connections without end costs the server this many file descriptors, not all.
   */
  maxConnections?: number;
  /**
   * Milliseconds a connection may stay idle, nothing received and nothing sent, before the
   * server closes it (default 0: never). Reads then reject with {@link TimeoutError}, and the
   * peer reads end of stream. Counted from the connection's arrival, also while it waits to be
   * accepted. Off by default because many protocols are legitimately quiet for long (a chat);
   * a server whose clients should keep talking sets it (`dsock echo server` uses 300 s).
   */
  idleTimeout?: number;
  /**
   * Called for each connection the server turns away (at the connection limit, with a full
   * accept queue, or when the system fails to accept one, e.g. out of file descriptors), so
   * that refusals are never silent. Called synchronously from the event that refused it.
   */
  onRefused?: (refusal: ConnectionRefusal) => void;
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
  readonly #maxConnections: number;
  readonly #idleTimeout: number;
  readonly #onRefused: ((refusal: ConnectionRefusal) => void) | undefined;
  #accepted = 0;
  #open = 0;
  #dropped = 0;
  #refused = 0;
  #acceptErrors = 0;
  #shortages = 0;
  readonly #probe: NodeJS.Timeout;
  #closed = false;

  private constructor(server: Server, local: Endpoint, settings: ServerSettings) {
    this.#server = server;
    this.#local = local;
    this.#queue = new ItemQueue<StreamSocket>(settings.queueLimit);
    this.#receiveBufferLimit = settings.bufferLimit;
    this.#maxConnections = settings.maxConnections;
    this.#idleTimeout = settings.idleTimeout;
    this.#onRefused = settings.onRefused;
    this.#acceptWhat = `accept on ${formatEndpoint(local)}`;
    server.on('connection', (socket: Socket) => this.#onConnection(socket));
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
    const maxConnections =
      options.maxConnections === undefined
        ? DEFAULT_MAX_CONNECTIONS
        : checkInteger('maxConnections', options.maxConnections, 1, 2 ** 31 - 1);
    const idleTimeout =
      options.idleTimeout === undefined
        ? 0
        : checkInteger('idleTimeout', options.idleTimeout, 0, 2 ** 31 - 1);
    const onRefused = options.onRefused;
    if (onRefused !== undefined && typeof onRefused !== 'function') {
      throw new InvalidArgumentError('onRefused', 'a function', onRefused);
    }
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
    return new StreamServer(server, bound, {
      queueLimit,
      bufferLimit,
      maxConnections,
      idleTimeout,
      onRefused,
    });
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
  async accept(options: WaitOptions = NO_WAIT): Promise<StreamSocket> {
    const invalid = waitOptionsError(options);
    if (invalid !== undefined) throw invalid;
    const stream = await this.#queue.take(options, this.#acceptWhat, this.#local);
    if (streamAccept.hasSubscribers)
      streamAccept.publish({ source: stream, remote: stream.remoteEndpoint });
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
    if (this.#open >= this.#maxConnections && !this.#closed) {
      this.#refused++;
      const remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      socket.destroy();
      this.#refuse('connection limit', remote, undefined);
      return;
    }
    const stream = StreamSocket[adoptSocket](socket, this.#receiveBufferLimit, this.#idleTimeout);
    if (this.#closed || !this.#queue.push(stream)) {
      this.#dropped++;
      void stream.close();
      if (!this.#closed) this.#refuse('accept queue full', stream.remoteEndpoint, undefined);
      return;
    }
    this.#accepted++;
    this.#open++;
    socket.once('close', this.#onClose);
  }

  readonly #onClose = (): void => {
    this.#open--;
  };

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

interface ServerSettings {
  queueLimit: number;
  bufferLimit: number;
  maxConnections: number;
  idleTimeout: number;
  onRefused: ((refusal: ConnectionRefusal) => void) | undefined;
}
