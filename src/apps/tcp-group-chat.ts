import type { Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { MessageTooLargeError, SocketError } from '../errors.js';
import { StreamServer } from '../stream/stream-server.js';
import { StreamSocket } from '../stream/stream-socket.js';
import { checkChatLimit } from './peer-queue.js';
import { TcpChatConnection, type StreamChatEvent, type TcpChatOptions } from './tcp-chat.js';

/** Events of a group chat over stream sockets. */
export type GroupChatEvent =
  | StreamChatEvent
  /** A connection to or from a peer was made. */
  | { type: 'connected'; peer: Endpoint; outgoing: boolean }
  /** Connecting to a peer given at start failed; the chat goes on without it. */
  | { type: 'unreachable'; peer: Endpoint; error: SocketError };

/**
 * Where a group chat member listens and whom it first connects to; the limits of each
 * connection ({@link TcpChatOptions}: queue per member, stall and close timeouts) apply too.
 */
export interface TcpGroupChatOptions extends TcpChatOptions {
  /**
   * The endpoint to listen on (port 0: any free port), or a server already listening, which the
   * member then owns (it closes it when it leaves).
   */
  listen: EndpointLike | StreamServer;
  /** Members to connect to at start. */
  peers?: Endpoint[];
  /** How long one connection attempt may take, in milliseconds (default 5,000). */
  connectTimeout?: number;
}

/**
 * A member of a group chat over stream sockets: it listens for members that join, connects to
 * the members it is given, and sends each message on every connection it has, accepted or
 * made. A connection that fails or ends is dropped and reported; it never ends the chat. Each
 * member has a send queue of its own: a member that does not read is disconnected once its
 * queue stayed full for `stallTimeout`, and holds back nobody else.
 */
export class TcpGroupChat {
  readonly #server: StreamServer;
  readonly #connections = new Set<TcpChatConnection>();
  readonly #onEvent: (event: GroupChatEvent) => void;
  readonly #accepting: Promise<void>;
  readonly #connecting: Promise<void>;
  /** Cancels connection attempts still under way when the member leaves. */
  readonly #leaving = new AbortController();
  readonly #connectionOptions: TcpChatOptions;
  #closing: Promise<void> | undefined;

  private constructor(
    server: StreamServer,
    readonly name: string,
    peers: Endpoint[],
    connectTimeout: number,
    onEvent: (event: GroupChatEvent) => void,
    connectionOptions: TcpChatOptions,
  ) {
    this.#server = server;
    this.#onEvent = onEvent;
    this.#connectionOptions = connectionOptions;
    this.#accepting = this.#accept();
    this.#connecting = Promise.all(peers.map((peer) => this.#connect(peer, connectTimeout))).then(
      () => undefined,
    );
  }

  /**
   * Starts a member: listens (rejecting if the endpoint cannot be bound), then connects to the
   * given peers in the background (see {@link TcpGroupChat.ready}).
   */
  static async start(
    name: string,
    options: TcpGroupChatOptions,
    onEvent: (event: GroupChatEvent) => void,
  ): Promise<TcpGroupChat> {
    // Bad limits are refused before anything listens.
    checkChatLimit(options.maxQueuedBytes, 1, 'maxQueuedBytes');
    checkChatLimit(options.stallTimeout, 1, 'stallTimeout');
    checkChatLimit(options.closeTimeout, 0, 'closeTimeout', 0);
    const server =
      options.listen instanceof StreamServer
        ? options.listen
        : await StreamServer.listen(options.listen);
    return new TcpGroupChat(
      server,
      name,
      options.peers ?? [],
      options.connectTimeout ?? 5000,
      onEvent,
      {
        maxQueuedBytes: options.maxQueuedBytes,
        stallTimeout: options.stallTimeout,
        closeTimeout: options.closeTimeout,
      },
    );
  }

  /** The endpoint other members connect to. */
  get localEndpoint(): Endpoint {
    return this.#server.localEndpoint;
  }

  /** The peers connected now. */
  get peers(): Endpoint[] {
    return [...this.#connections].map((c) => c.peer);
  }

  /** Resolves once every connection attempt to the initial peers has succeeded or failed. */
  ready(): Promise<void> {
    return this.#connecting;
  }

  /**
   * Sends `text` to every connected peer. A message over the frame limit is refused (nothing
   * sent); a failing connection is dropped and reported. Resolves at once unless a member's
   * queue is full, and then within `stallTimeout`, when that member is disconnected.
   */
  async say(text: string): Promise<void> {
    const connections = [...this.#connections];
    if (connections.length === 0) return;
    await Promise.all(
      connections.map((connection) =>
        connection.say(text).catch((error: unknown) => {
          if (error instanceof MessageTooLargeError) throw error;
          void connection.close();
        }),
      ),
    );
  }

  /** Leaves the chat: stops listening and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#leaving.abort();
      await this.#server.close();
      await Promise.all([...this.#connections].map((c) => c.close()));
      await Promise.all([this.#accepting, this.#connecting]);
    })();
    return this.#closing;
  }

  #adopt(socket: StreamSocket, outgoing: boolean): void {
    if (this.#closing) {
      void socket.close();
      return;
    }
    const connection = new TcpChatConnection(
      socket,
      this.name,
      (event) => {
        if (event.type === 'closed' || event.type === 'dropped') {
          this.#connections.delete(connection);
        }
        this.#onEvent(event);
      },
      this.#connectionOptions,
    );
    this.#connections.add(connection);
    this.#onEvent({ type: 'connected', peer: connection.peer, outgoing });
  }

  async #accept(): Promise<void> {
    try {
      for await (const socket of this.#server) this.#adopt(socket, false);
    } catch {
      // The server was closed: nothing more to accept.
    }
  }

  async #connect(peer: Endpoint, timeout: number): Promise<void> {
    try {
      const signal = this.#leaving.signal;
      this.#adopt(await StreamSocket.connect(peer, { timeout, signal, noDelay: true }), true);
    } catch (error) {
      if (this.#leaving.signal.aborted) return;
      const failure =
        error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
      this.#onEvent({ type: 'unreachable', peer, error: failure });
    }
  }
}
