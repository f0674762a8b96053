import type { Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { MessageTooLargeError, SocketError } from '../errors.js';
import { StreamServer } from '../stream/stream-server.js';
import { StreamSocket } from '../stream/stream-socket.js';
import type { TlsConnectOptions } from '../stream/tls-options.js';
import { CopiesFilter } from './copies-filter.js';
import { plainAddress } from './dual-stack.js';
import { checkChatLimit } from './peer-queue.js';
import { TcpChatConnection, type StreamChatEvent, type TcpChatOptions } from './tcp-chat.js';

import { formatEndpoint } from '../endpoint/format.js';
import {
  Backoff,
  pause,
  resolveBackoffOptions,
  type BackoffOptions,
  type ResolvedBackoffOptions,
} from './backoff.js';

/**
 * Events of a group chat over stream sockets. A `closed` event without an error is not reported
 * while another connection from the same host carries the same member's name (two members that
 * name each other hold two connections): that member has not left.
 */
export type GroupChatEvent =
  | StreamChatEvent
  /**
   * A connection to or from a peer was made; `reconnected`: an outgoing one to a peer this
   * member had been connected to before.
   */
  | { type: 'connected'; peer: Endpoint; outgoing: boolean; reconnected: boolean }
  /** Connecting to a peer failed; the chat goes on without it (and tries again, see `reconnect`). */
  | { type: 'unreachable'; peer: Endpoint; error: SocketError }
  /** The next attempt to reach a peer this member keeps connected starts in `delay` ms. */
  | { type: 'reconnecting'; peer: Endpoint; delay: number };

/**
 * Where a group chat member listens and whom it connects to; the limits of each connection
 * ({@link TcpChatOptions}: queue per member, stall and close timeouts) apply too.
 */
export interface TcpGroupChatOptions extends TcpChatOptions {
  /**
   * The endpoint to listen on (port 0: any free port), or a server already listening, which the
   * member then owns (it closes it when it leaves).
   */
  listen: EndpointLike | StreamServer;
  /** Members to connect to at start, and to keep connected to (see `reconnect`). */
  peers?: Endpoint[];
  /** How long one connection attempt may take, in milliseconds (default 5,000). */
  connectTimeout?: number;
  /**
   * How the member reaches again a peer it connects to (given in `peers` or by
   * {@link TcpGroupChat.addPeer}) once the connection ended or an attempt failed: after a wait
   * that starts at 0.5 s and doubles up to 30 s, with jitter ({@link BackoffOptions}). It never
   * gives up while the chat runs. `false`: each peer is tried once (default: on).
   */
  reconnect?: BackoffOptions | false;
  /**
   * Connect to peers over TLS with these options (the listening side's TLS is the server's,
   * given in `listen`).
   */
  tls?: TlsConnectOptions;
}

/** A peer this member connects to, and keeps connected to while it is wanted. */
interface PeerLink {
  peer: Endpoint;
  /** False once removed: the connection (if any) stays until it ends, then nothing more. */
  wanted: boolean;
  /** Stops the attempt or the wait under way (removal). */
  interrupt: AbortController;
  /** Settles once the first attempt succeeded or failed. */
  firstAttempt: Promise<void>;
}

/**
 * A member of a group chat over stream sockets: it listens for members that join, connects to
 * the members it is given, and sends each message on every connection it has, accepted or
 * made. A connection that fails or ends is dropped and reported; it never ends the chat, and a
 * peer this member connected to is reached again, with exponential backoff, until the chat
 * closes; at most one connection per peer is made at a time. Each member has a send queue of
 * its own: a member that does not read is disconnected once its queue stayed full for
 * `stallTimeout`, and holds back nobody else. Two members that name each other hold two
 * connections; a message that comes on both is reported once (see {@link CopiesFilter}).
 */
export class TcpGroupChat {
  readonly #server: StreamServer;
  readonly #connections = new Set<TcpChatConnection>();
  readonly #copies = new CopiesFilter<TcpChatConnection>();
  readonly #links = new Map<string, PeerLink>();
  readonly #loops = new Set<Promise<void>>();
  readonly #onEvent: (event: GroupChatEvent) => void;
  readonly #accepting: Promise<void>;
  readonly #initial: Promise<void>;
  /** Cancels connection attempts and waits still under way when the member leaves. */
  readonly #leaving = new AbortController();
  readonly #connectionOptions: TcpChatOptions;
  readonly #connectTimeout: number;
  readonly #tls: TlsConnectOptions | undefined;
  readonly #reconnect: ResolvedBackoffOptions | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    server: StreamServer,
    readonly name: string,
    peers: Endpoint[],
    connectTimeout: number,
    reconnect: ResolvedBackoffOptions | undefined,
    onEvent: (event: GroupChatEvent) => void,
    connectionOptions: TcpChatOptions,
    tls: TlsConnectOptions | undefined,
  ) {
    this.#server = server;
    this.#tls = tls;
    this.#onEvent = onEvent;
    this.#connectionOptions = connectionOptions;
    this.#connectTimeout = connectTimeout;
    this.#reconnect = reconnect;
    this.#accepting = this.#accept();
    for (const peer of peers) this.addPeer(peer);
    const firstAttempts = [...this.#links.values()].map((link) => link.firstAttempt);
    this.#initial = Promise.all(firstAttempts).then(() => undefined);
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
    const connectTimeout = checkChatLimit(options.connectTimeout, 5000, 'connectTimeout');
    const reconnect =
      options.reconnect === false ? undefined : resolveBackoffOptions(options.reconnect);
    const server =
      options.listen instanceof StreamServer
        ? options.listen
        : await StreamServer.listen(options.listen);
    return new TcpGroupChat(
      server,
      name,
      options.peers ?? [],
      connectTimeout,
      reconnect,
      onEvent,
      {
        maxQueuedBytes: options.maxQueuedBytes,
        stallTimeout: options.stallTimeout,
        closeTimeout: options.closeTimeout,
      },
      options.tls,
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

  /** Resolves once the first connection attempt to each of the initial peers succeeded or failed. */
  ready(): Promise<void> {
    return this.#initial;
  }

  /**
   * Connects to `peer` in the background, and keeps connected to it (see
   * {@link TcpGroupChatOptions.reconnect}) until {@link removePeer} or {@link close}. Returns
   * false (and changes nothing) when this member already connects to it.
   */
  addPeer(peer: Endpoint): boolean {
    if (this.#closing) return false;
    const key = formatEndpoint(peer);
    const known = this.#links.get(key);
    if (known !== undefined) {
      if (known.wanted) return false;
      // Removed while its connection was still up: the same link takes it up again.
      known.wanted = true;
      return true;
    }
    let attempted!: () => void;
    const link: PeerLink = {
      peer: { ...peer },
      wanted: true,
      interrupt: new AbortController(),
      firstAttempt: new Promise((resolve) => (attempted = resolve)),
    };
    this.#links.set(key, link);
    const loop = this.#keepConnected(key, link, attempted);
    this.#loops.add(loop);
    void loop.finally(() => this.#loops.delete(loop));
    return true;
  }

  /**
   * Stops connecting to `peer`: an attempt or a wait under way is cancelled; a connection that
   * is up stays until it ends, and is not made again. Returns false if it was not connected to.
   */
  removePeer(peer: Endpoint): boolean {
    const link = this.#links.get(formatEndpoint(peer));
    if (link === undefined || !link.wanted) return false;
    link.wanted = false;
    link.interrupt.abort();
    return true;
  }

  /**
   * Sends `text` to every connected peer. A message over the frame limit is refused (nothing
   * sent); a failing connection is dropped and reported. Resolves at once unless a member's
   * queue is full, and then within `stallTimeout`, when that member is disconnected.
   */
  async say(text: string): Promise<void> {
    const connections = [...this.#connections];
    if (connections.length === 0) return;
    // One timestamp for all: copies that reach a member on two connections are equal.
    const now = new Date();
    await Promise.all(
      connections.map((connection) =>
        connection.say(text, now).catch((error: unknown) => {
          if (error instanceof MessageTooLargeError) throw error;
          void connection.close();
        }),
      ),
    );
  }

  /** Leaves the chat: stops listening and reconnecting, and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#leaving.abort();
      await this.#server.close();
      await Promise.all([...this.#connections].map((c) => c.close()));
      await Promise.all([this.#accepting, ...this.#loops]);
    })();
    return this.#closing;
  }

  #adopt(socket: StreamSocket, outgoing: boolean, reconnected = false) {
    if (this.#closing) {
      void socket.close();
      return undefined;
    }
    const connection = new TcpChatConnection(
      socket,
      this.name,
      (event) => {
        if (event.type === 'message' && !this.#copies.take(event.raw, connection)) return;
        if (event.type === 'closed' || event.type === 'dropped') {
          this.#connections.delete(connection);
          this.#copies.forget(connection);
          // One of two connections to the same member ended: that member has not left.
          if (event.type === 'closed' && event.error === undefined && this.#stillHere(connection)) {
            return;
          }
        }
        this.#onEvent(event);
      },
      this.#connectionOptions,
    );
    this.#connections.add(connection);
    this.#onEvent({ type: 'connected', peer: connection.peer, outgoing, reconnected });
    return connection;
  }

  /** True when another connection from the host of `ended` carries the same member's name. */
  #stillHere(ended: TcpChatConnection): boolean {
    const name = ended.peerName;
    if (name === undefined) return false;
    // An accepted connection of a member listening on `::` names an IPv4 host IPv4-mapped.
    const host = plainAddress(ended.peer).host;
    for (const other of this.#connections) {
      if (other.peerName === name && plainAddress(other.peer).host === host) return true;
    }
    return false;
  }

  async #accept(): Promise<void> {
    try {
      for await (const socket of this.#server) this.#adopt(socket, false);
    } catch {
      // The server was closed: nothing more to accept.
    }
  }

  /** One connection attempt; undefined if it failed (reported) or was cancelled. */
  async #connectOnce(link: PeerLink, reconnected: boolean) {
    const signal = AbortSignal.any([this.#leaving.signal, link.interrupt.signal]);
    try {
      const socket = await StreamSocket.connect(link.peer, {
        timeout: this.#connectTimeout,
        signal,
        noDelay: true,
        ...(this.#tls !== undefined ? { tls: this.#tls } : {}),
      });
      return this.#adopt(socket, true, reconnected);
    } catch (error) {
      if (signal.aborted) return undefined;
      const failure =
        error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
      this.#onEvent({ type: 'unreachable', peer: link.peer, error: failure });
      return undefined;
    }
  }

  /**
   * Connects to the peer of `link`, waits for the connection to end, and (with `reconnect`)
   * starts again after a backoff wait, until the link is removed or the chat closes. Only this
   * loop connects to the peer, so there is never more than one connection to it at a time.
   */
  async #keepConnected(key: string, link: PeerLink, attempted: () => void): Promise<void> {
    const backoff = this.#reconnect && new Backoff(this.#reconnect);
    let connectedBefore = false;
    try {
      for (;;) {
        const connection = await this.#connectOnce(link, connectedBefore);
        attempted();
        if (connection !== undefined) {
          connectedBefore = true;
          const since = performance.now();
          await connection.ended;
          const lasted = performance.now() - since;
          if (backoff && !connection.dropped && lasted >= backoff.options.resetAfter) {
            backoff.reset();
          }
        }
        if (this.#leaving.signal.aborted || !backoff) return;
        if (!link.wanted) return;
        if (link.interrupt.signal.aborted) link.interrupt = new AbortController();
        const delay = backoff.next();
        this.#onEvent({ type: 'reconnecting', peer: link.peer, delay });
        const signal = AbortSignal.any([this.#leaving.signal, link.interrupt.signal]);
        if (!(await pause(delay, signal)) && !link.wanted) return;
        if (this.#leaving.signal.aborted) return;
      }
    } finally {
      attempted();
      if (this.#links.get(key) === link) this.#links.delete(key);
    }
  }
}
