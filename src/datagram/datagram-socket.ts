import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { familyOf } from '../endpoint/parse.js';
import { SocketClosedError, SocketError, toSocketError } from '../errors.js';
import { datagramReceive, datagramSend } from '../internal/channels.js';
import { bindTransport } from './bind.js';
import { checkSize, isSendPort, maxPayload, toDestination } from './destination.js';
import { Inbox } from './inbox.js';
import type {
  DatagramReceiveOptions,
  DatagramSendOptions,
  DatagramSocketOptions,
  DatagramStats,
  ReceivedDatagram,
} from './options.js';
import {
  checkRecvSize,
  checkWait,
  DEFAULT_RECV_SIZE,
  MAX_DATAGRAM_SIZE,
  toPayload,
} from './options.js';
import { nativeBinding, nativeStatus } from './native-binding.js';
import { DatagramSocketBase } from './socket-base.js';
import { CLOSED, Outbox, sendError } from './outbox.js';
import type { UdpTransport } from './transport.js';

const NO_WAIT: DatagramReceiveOptions = {};

/**
 * A UDP socket with Python-style calls: `sendTo`, `recvFrom`, `connect`/`send`, `close`,
 * each an awaitable that rejects with a dsock {@link SocketError}.
 *
 * Datagrams that arrive while nobody receives are held, in arrival order, up to
 * {@link DatagramSocketOptions.receiveQueueLimit} datagrams and
 * {@link DatagramSocketOptions.receiveQueueBytes} bytes; beyond either they are dropped and
 * counted, so memory stays bounded. Concurrent receives are served in the order they were made, each
 * datagram to exactly one of them.
 *
 * Errors the system reports later (an ICMP "port unreachable" answering a datagram sent on a
 * connected socket) reject the pending receive, or else the next receive or send, as a
 * Berkeley socket reports them on its next call; the socket stays usable.
 *
 * `for await (const datagram of socket)` yields datagrams until the socket is closed; leaving
 * the loop early does not close the socket, which stays the caller's to close.
 *
 * @example
 * ```ts
 * import { DatagramSocket } from 'dsock';
 *
 * await using alice = await DatagramSocket.bind('127.0.0.1:0'); // the system chooses the port
 * await using bob = await DatagramSocket.bind('127.0.0.1:0');
 * await alice.sendTo('hello', bob.localEndpoint);
 * const { data, sender } = await bob.recvFrom(4096, { timeout: 1000 });
 * console.log(`${data} from ${sender.host}:${sender.port}`); // hello from 127.0.0.1:...
 * ```
 */
export class DatagramSocket
  extends DatagramSocketBase
  implements AsyncIterable<ReceivedDatagram>, AsyncDisposable
{
  readonly #inbox: Inbox;
  readonly #outbox: Outbox;
  readonly #limit: number;
  readonly #byteLimit: number;
  /** The host of the last sendTo, known valid for this socket. */
  #lastHost: string;
  /** Whether {@link #lastHost} is a host name rather than an address literal. */
  #lastNamed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    transport: UdpTransport,
    family: AddressFamily,
    receiveQueueLimit: number,
    receiveQueueBytes: number,
    broadcast: boolean,
  ) {
    super(transport, family, broadcast);
    this.#limit = receiveQueueLimit;
    this.#byteLimit = receiveQueueBytes;
    this.#inbox = new Inbox(receiveQueueLimit, receiveQueueBytes);
    this.#outbox = new Outbox(transport, family, (error, size, to) =>
      this.#sendError(error, size, to),
    );
    this.#lastHost = LOOPBACK_ADDRESS[family];
    transport.attach(this.#inbox, (error: Error) => this.#onError(error));
  }

  /**
   * Creates a UDP socket bound to `local` (default `0.0.0.0:0`: every interface, a port the
   * system chooses, which the socket then holds until it is closed, see {@link connect}). The socket is IPv6 when the host is an IPv6 literal or `family` is
   * `'IPv6'` (then the default host is `::`); a host name is resolved in the socket's family.
   *
   * Rejects with {@link AddressInUseError} when the port is taken (unless every socket
   * involved asks for `reuseAddress`), {@link PermissionDeniedError} for a reserved port
   * without privileges, {@link AddressNotAvailableError} for an address that is not this
   * machine's, {@link NameResolutionError} for a name that does not resolve, and with
   * {@link InvalidEndpointError} or {@link InvalidArgumentError} for bad arguments.
   */
  // `override`: a class's static side inherits Function.prototype.bind, which this shadows.
  static override async bind(
    local?: EndpointLike,
    options: DatagramSocketOptions = {},
  ): Promise<DatagramSocket> {
    const bound = await bindTransport(local, options);
    return new DatagramSocket(
      bound.transport,
      bound.family,
      bound.receiveQueueLimit,
      bound.receiveQueueBytes,
      bound.broadcast,
    );
  }

  /**
   * True when the native datagram path (the addon built at install from native/) is loaded:
   * sockets then receive with recvmmsg and send with sendmmsg, in batches, with the same
   * behaviour as over node:dgram. False where it could not be built or loaded, or when the
   * environment variable `DSOCK_NATIVE=0` asks for the TypeScript path over node:dgram
   * (`DSOCK_NATIVE=1` makes a missing addon an error when dsock is loaded).
   */
  static get nativeAvailable(): boolean {
    return nativeBinding !== undefined;
  }

  /**
   * Why the native datagram path is or is not used, for diagnostics: where the addon was
   * loaded from, or what kept it out (not built, failed to load, built for another version
   * of dsock, or `DSOCK_NATIVE=0`). A failed build's output is in build/native-build.log.
   */
  static get nativeStatus(): string {
    return nativeStatus;
  }

  /** The most datagrams held while nobody receives. */
  get receiveQueueLimit(): number {
    return this.#limit;
  }

  /** The most payload bytes held while nobody receives (see {@link DatagramSocketOptions}). */
  get receiveQueueBytes(): number {
    return this.#byteLimit;
  }

  /** A snapshot of the socket's counters. */
  get stats(): DatagramStats {
    const inbox = this.#inbox;
    return {
      datagramsReceived: inbox.received,
      bytesReceived: inbox.bytesReceived,
      datagramsDropped: inbox.dropped,
      datagramsTruncated: inbox.truncated,
      datagramsSent: this.#outbox.sent,
      bytesSent: this.#outbox.bytesSent,
    };
  }

  /**
   * Sends one datagram to `to` and resolves with the number of bytes sent. A string is sent as
   * UTF-8 unless `options.encoding` says otherwise; a host without a port means loopback.
   *
   * Datagrams leave in the order of the calls, also to a host name: the socket looks a name
   * up once, remembers its address for a few seconds (for up to 16 names), and holds later
   * sends back while a lookup is under way. A name that does not resolve rejects with
   * {@link NameResolutionError}.
   *
   * A payload larger than {@link maxMessageSize} is refused with {@link MessageTooLargeError}
   * before anything is sent. Rejects with {@link InvalidEndpointError} for a bad `to`,
   * {@link PermissionDeniedError} for a broadcast address without {@link setBroadcast}, and
   * with SocketError code `EISCONN` on a connected socket (use {@link send}).
   *
   * The bytes of a Uint8Array payload are read when the datagram leaves, which may be after
   * this call returns: do not modify the payload until the returned promise settles.
   */
  sendTo(
    data: string | Uint8Array,
    to: EndpointLike,
    options?: DatagramSendOptions,
  ): Promise<number> {
    if (this.isClosed) return Promise.reject(this.closedError('sendTo'));
    const pending = this.#inbox.takeError();
    if (pending !== undefined) return Promise.reject(pending);
    let host: string;
    let port: number;
    let named: boolean;
    let payload: Uint8Array;
    try {
      // Most programs send to a few peers given as Endpoint objects: a host already checked
      // and a valid port need no parsing and no new object.
      if (
        typeof to === 'object' &&
        to !== null &&
        to.host === this.#lastHost &&
        isSendPort(to.port)
      ) {
        host = this.#lastHost;
        port = to.port;
        named = this.#lastNamed;
      } else {
        const endpoint = toDestination(to, this.family);
        host = endpoint.host;
        port = endpoint.port;
        named = familyOf(host) === undefined;
        this.#lastHost = host;
        this.#lastNamed = named;
      }
      if (this.remote !== undefined || this.connecting) {
        throw new SocketError(
          `sendTo ${formatEndpoint({ host, port })} on a socket connected to ` +
            `${this.remote ? formatEndpoint(this.remote) : 'a peer'}: ` +
            'use send(), or disconnect() first',
          'EISCONN',
          { endpoint: { host, port } },
        );
      }
      payload = toPayload(data, options);
      // Below the smaller (IPv4) limit every datagram fits; only larger ones need the check.
      if (payload.length > MAX_DATAGRAM_SIZE.IPv4) {
        checkSize(payload.length, this.family, { host, port });
      }
    } catch (error) {
      return rejected(error);
    }
    if (datagramSend.hasSubscribers)
      datagramSend.publish({ source: this, remote: { host, port }, data: payload });
    return this.#outbox.send(payload, host, port, named);
  }

  /**
   * Sends one datagram to the connected peer (see {@link connect}) and resolves with the
   * number of bytes sent. Rejects with SocketError code `EDESTADDRREQ` when not connected.
   *
   * As with {@link sendTo}, do not modify a Uint8Array payload until the returned promise
   * settles: the datagram may leave after this call returns.
   */
  send(data: string | Uint8Array, options?: DatagramSendOptions): Promise<number> {
    if (this.isClosed) return Promise.reject(this.closedError('send'));
    const pending = this.#inbox.takeError();
    if (pending !== undefined) return Promise.reject(pending);
    const remote = this.remote;
    let payload: Uint8Array;
    try {
      if (remote === undefined) {
        throw new SocketError(
          'send on a datagram socket that is not connected: use sendTo(), or connect() first',
          'EDESTADDRREQ',
          { endpoint: this.local },
        );
      }
      payload = toPayload(data, options);
      checkSize(payload.length, this.family, remote);
    } catch (error) {
      return rejected(error);
    }
    if (datagramSend.hasSubscribers) datagramSend.publish({ source: this, remote, data: payload });
    return this.#outbox.send(payload, undefined, 0);
  }

  /**
   * Resolves with the next datagram: its first `bufsize` bytes (default 65536, any datagram),
   * the sender, and whether the rest was cut off. Receives are served in the order they were
   * made. A receive that times out ({@link TimeoutError}) or is aborted ({@link AbortError})
   * takes no datagram. `bufsize` must be a positive integer (InvalidArgumentError otherwise).
   */
  recvFrom(
    bufsize: number = DEFAULT_RECV_SIZE,
    options: DatagramReceiveOptions = NO_WAIT,
  ): Promise<ReceivedDatagram> {
    if (bufsize !== DEFAULT_RECV_SIZE || options !== NO_WAIT) {
      try {
        checkRecvSize(bufsize);
        checkWait(options);
      } catch (error) {
        return rejected(error);
      }
    }
    const received = this.#inbox.receive(bufsize, options, this.recvWhat, this.local);
    return datagramReceive.hasSubscribers
      ? received.then((d) => publishReceived(this, d))
      : received;
  }

  /**
   * Closes the socket and frees its port at once. Pending receives, and any later call,
   * reject with {@link SocketClosedError}; held datagrams are discarded (counted as dropped).
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.isClosed = true;
      this.abortConnect?.();
      this.#inbox.close(() => this.closedError('recvFrom'));
      this.transport.close(() => {
        this.#outbox.abandon();
        resolve();
      });
    });
    return this.#closing;
  }

  /** Closes the socket, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Yields received datagrams until the socket is closed, then ends. Other errors (such as
   * {@link ConnectionRefusedError} on a connected socket) end the loop by throwing. Breaking
   * out of the loop leaves the socket open.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<ReceivedDatagram, void, undefined> {
    for (;;) {
      let datagram: ReceivedDatagram;
      try {
        datagram = await this.recvFrom();
      } catch (error) {
        if (this.isClosed && error instanceof SocketClosedError) return;
        throw error;
      }
      yield datagram;
    }
  }

  #onError(error: Error): void {
    if (this.isClosed) return;
    this.#inbox.report(toSocketError(error, 'receive', this.remote ?? this.local));
  }

  #sendError(error: Error, size: number, to: Endpoint | undefined): SocketError {
    const what = to === undefined ? 'send' : 'sendTo';
    if (this.isClosed || error === CLOSED) return this.closedError(what);
    return sendError(error, {
      what,
      size,
      target: to ?? this.remote,
      limit: maxPayload(this.family, (to ?? this.remote)?.host),
      broadcast: this.broadcastAllowed,
    });
  }
}

/** A rejected promise for an error thrown by argument checks (always an Error). */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

/** Tells the datagram-receive channel of `datagram`, taken by `socket`; passes it on. */
function publishReceived(socket: DatagramSocket, datagram: ReceivedDatagram): ReceivedDatagram {
  datagramReceive.publish({ source: socket, remote: datagram.sender, data: datagram.data });
  return datagram;
}
