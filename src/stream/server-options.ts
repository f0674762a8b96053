/** The options of {@link StreamServer.listen}: its limits, their defaults, and their checks. */
import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import type { SocketError } from '../errors.js';
import { InvalidArgumentError } from '../errors.js';
import { checkFamily, checkInteger, checkOptionalFlag } from '../internal/validate.js';
import { checkReceiveBufferLimit, type StreamSocketOptions } from './options.js';
import {
  checkTlsListenOptions,
  type TlsListenOptions,
  type TlsServerSettings,
} from './tls-options.js';

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
  | 'out of file descriptors'
  /** A TLS connection's handshake failed or timed out (see `error`: its certificate, say). */
  | 'tls handshake failed';

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
  /** TLS connections whose handshake failed or timed out (none without TLS). */
  tlsHandshakeFailures: number;
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
  /**
   * Speak TLS: each connection completes its handshake before it is queued for
   * {@link StreamServer.accept}; one whose handshake fails is closed, counted in
   * {@link StreamServerStats.tlsHandshakeFailures} and reported to {@link onRefused}.
   * Connections still in their handshake count towards {@link maxConnections}.
   */
  tls?: TlsListenOptions;
}

/** What a server keeps of its checked options. */
export interface ServerSettings {
  queueLimit: number;
  bufferLimit: number;
  maxConnections: number;
  idleTimeout: number;
  onRefused: ((refusal: ConnectionRefusal) => void) | undefined;
  /** Whether connections speak TLS (their handshake done before they are queued). */
  tls: boolean;
}

/** The checked options of a listen: what the listening socket takes, and the server's settings. */
export interface CheckedListenOptions extends ServerSettings {
  family: AddressFamily | undefined;
  backlog: number | undefined;
  ipv6Only: boolean | undefined;
  /** The checked TLS options, undefined without TLS. */
  tlsSettings: TlsServerSettings | undefined;
}

/** Checks the options of {@link StreamServer.listen}, throwing InvalidArgumentError for a bad one. */
export function checkListenOptions(options: ListenOptions): CheckedListenOptions {
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
  const tlsSettings = checkTlsListenOptions(options.tls);
  return {
    family,
    backlog,
    ipv6Only,
    queueLimit,
    bufferLimit,
    maxConnections,
    idleTimeout,
    onRefused,
    tls: tlsSettings !== undefined,
    tlsSettings,
  };
}
