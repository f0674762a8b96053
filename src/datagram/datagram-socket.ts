import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { familyOf } from '../endpoint/parse.js';
import { SocketClosedError, SocketError, toSocketError } from '../errors.js';
import { datagramReceive, datagramSend } from '../internal/channels.js';
import type { Settle } from '../internal/deadline.js';
import { ReceiveIterator } from '../internal/receive-iterator.js';
import { checkInteger } from '../internal/validate.js';
import { Association } from './association.js';
import { DEFAULT_RECV_MANY, toPayloads } from './batch.js';
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
import { OptionCalls } from './option-calls.js';
import { CLOSED, Outbox } from './outbox.js';
import { sendError } from './send-error.js';
import type { DatagramBackend, UdpTransport } from './transport.js';

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
export class DatagramSocket implements AsyncIterable<ReceivedDatagram>, AsyncDisposable {
  /** The UDP handle (over node:dgram or the native addon). */
  readonly #transport: UdpTransport;
  /** Addresses, connect and whether the socket is closed. */
  readonly #association: Association;
  readonly #options: OptionCalls;
  readonly #inbox: Inbox;
  readonly #outbox: Outbox;
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
    this.#transport = transport;
    this.#association = new Association(transport, family);
    this.#options = new OptionCalls(transport, family, this.#association, broadcast);
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
  static async bind(
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

  /** Which path carries this socket's datagrams: `'native'` (the addon) or `'node:dgram'`. */
  get backend(): DatagramBackend {
    return this.#transport.backend;
  }

  /** True once {@link DatagramSocket.close} has been called. */
  get closed(): boolean {
    return this.#association.closed;
  }

  /** The local address and port the socket is bound to. */
  get localEndpoint(): Endpoint {
    return { ...this.#association.local };
  }

  /** The peer of a connected socket, or undefined. */
  get remoteEndpoint(): Endpoint | undefined {
    const remote = this.#association.remote;
    return remote === undefined ? undefined : { ...remote };
  }

  /** The IP version of the socket. */
  get family(): AddressFamily {
    return this.#association.family;
  }

  /** The largest payload one datagram can carry in this socket's family. */
  get maxMessageSize(): number {
    return MAX_DATAGRAM_SIZE[this.#association.family];
  }

  /** The kernel receive buffer size in bytes (SO_RCVBUF, as the system reports it). */
  get kernelReceiveBufferSize(): number {
    return this.#options.kernelReceiveBufferSize;
  }

  /** The kernel send buffer size in bytes (SO_SNDBUF, as the system reports it). */
  get kernelSendBufferSize(): number {
    return this.#options.kernelSendBufferSize;
  }

  /** The most datagrams held while nobody receives. */
  get receiveQueueLimit(): number {
    return this.#inbox.limit;
  }

  /** The most payload bytes held while nobody receives (see {@link DatagramSocketOptions}). */
  get receiveQueueBytes(): number {
    return this.#inbox.byteLimit;
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
    if (this.#association.closed) return Promise.reject(this.#association.closedError('sendTo'));
    const pending = this.#inbox.takeError();
    if (pending !== undefined) return Promise.reject(pending);
    let port: number;
    let payload: Uint8Array;
    try {
      port = this.#sendPort(to, 'sendTo');
      payload = toPayload(data, options);
      // Below the smaller (IPv4) limit every datagram fits; only larger ones need the check.
      if (payload.length > MAX_DATAGRAM_SIZE.IPv4) {
        checkSize(payload.length, this.family, { host: this.#lastHost, port });
      }
    } catch (error) {
      return rejected(error);
    }
    const host = this.#lastHost;
    if (datagramSend.hasSubscribers)
      datagramSend.publish({ source: this, remote: { host, port }, data: payload });
    return this.#outbox.send(payload, host, port, this.#lastNamed);
  }

  /**
   * Sends each of `datagrams` to `to`, in order, and resolves with the number of datagrams
   * sent: a batch send that costs one promise rather than one per datagram. On the native path
   * the batch goes to the system during the call, in one sendmmsg per 256 datagrams, after
   * the sends of earlier calls, and consecutive datagrams of one size leave as one segmented
   * message (UDP_SEGMENT) that the kernel cuts back into them; over node:dgram each datagram
   * is sent as by {@link sendTo}.
   * Each element is one
   * datagram, checked as {@link sendTo} checks its payload; at most {@link MAX_SEND_MANY}
   * (1024) per call, and an empty list sends nothing and resolves with 0.
   *
   * Every datagram is checked before any is sent: a bad element rejects with
   * {@link InvalidArgumentError} naming it (`datagrams[3]`), one larger than
   * {@link maxMessageSize} with {@link MessageTooLargeError}, and nothing leaves. When the
   * system refuses a datagram, the others still go out: the call rejects, once all have
   * settled, with the first refusal, mapped as {@link sendTo} maps it ({@link stats} counts the
   * datagrams that left). Other errors are those of {@link sendTo}.
   *
   * Do not modify the payloads, or the list, until the returned promise settles.
   *
   * @example
   * ```ts
   * import { DatagramSocket } from 'dsock';
   *
   * await using sender = await DatagramSocket.bind('127.0.0.1:0');
   * await using receiver = await DatagramSocket.bind('127.0.0.1:0');
   * console.log(await sender.sendToMany(['one', 'two', 'three'], receiver.localEndpoint)); // 3
   * const first = await receiver.recvFrom(4096, { timeout: 1000 });
   * console.log(first.data.toString()); // one
   * ```
   */
  sendToMany(
    datagrams: readonly (string | Uint8Array)[],
    to: EndpointLike,
    options?: DatagramSendOptions,
  ): Promise<number> {
    if (this.#association.closed) {
      return Promise.reject(this.#association.closedError('sendToMany'));
    }
    const pending = this.#inbox.takeError();
    if (pending !== undefined) return Promise.reject(pending);
    let port: number;
    let payloads: Uint8Array[];
    try {
      port = this.#sendPort(to, 'sendToMany');
      payloads = toPayloads(datagrams, options, this.family, { host: this.#lastHost, port });
    } catch (error) {
      return rejected(error);
    }
    const host = this.#lastHost;
    if (datagramSend.hasSubscribers) {
      for (const data of payloads)
        datagramSend.publish({ source: this, remote: { host, port }, data });
    }
    return this.#outbox.sendMany(payloads, host, port, this.#lastNamed);
  }

  /**
   * Sends one datagram to the connected peer (see {@link connect}) and resolves with the
   * number of bytes sent. Rejects with SocketError code `EDESTADDRREQ` when not connected.
   *
   * As with {@link sendTo}, do not modify a Uint8Array payload until the returned promise
   * settles: the datagram may leave after this call returns.
   */
  send(data: string | Uint8Array, options?: DatagramSendOptions): Promise<number> {
    if (this.#association.closed) return Promise.reject(this.#association.closedError('send'));
    const pending = this.#inbox.takeError();
    if (pending !== undefined) return Promise.reject(pending);
    const remote = this.#association.remote;
    let payload: Uint8Array;
    try {
      if (remote === undefined) throw notConnected('send', this.#association.local);
      payload = toPayload(data, options);
      checkSize(payload.length, this.family, remote);
    } catch (error) {
      return rejected(error);
    }
    if (datagramSend.hasSubscribers) datagramSend.publish({ source: this, remote, data: payload });
    return this.#outbox.send(payload, undefined, 0);
  }

  /**
   * Sends each of `datagrams` to the connected peer (see {@link connect}), in order, and
   * resolves with the number sent: {@link sendToMany} for a connected socket, with its checks,
   * its cap of {@link MAX_SEND_MANY} datagrams and its errors. Rejects with SocketError code
   * `EDESTADDRREQ` when not connected.
   *
   * @example
   * ```ts
   * import { DatagramSocket } from 'dsock';
   *
   * await using receiver = await DatagramSocket.bind('127.0.0.1:0');
   * await using sender = await DatagramSocket.bind('127.0.0.1:0');
   * await sender.connect(receiver.localEndpoint);
   * console.log(await sender.sendMany([Buffer.from('a'), Buffer.from('b')])); // 2
   * ```
   */
  sendMany(
    datagrams: readonly (string | Uint8Array)[],
    options?: DatagramSendOptions,
  ): Promise<number> {
    if (this.#association.closed) {
      return Promise.reject(this.#association.closedError('sendMany'));
    }
    const pending = this.#inbox.takeError();
    if (pending !== undefined) return Promise.reject(pending);
    const remote = this.#association.remote;
    let payloads: Uint8Array[];
    try {
      if (remote === undefined) throw notConnected('sendMany', this.#association.local);
      // Checks each size against `remote` too (an IPv6 socket connected to an IPv4-mapped
      // address carries IPv4 datagrams).
      payloads = toPayloads(datagrams, options, this.family, remote);
    } catch (error) {
      return rejected(error);
    }
    if (datagramSend.hasSubscribers) {
      for (const data of payloads) datagramSend.publish({ source: this, remote, data });
    }
    return this.#outbox.sendMany(payloads, undefined, 0);
  }

  /**
   * Connects the socket to `remote`: datagrams then go there with {@link DatagramSocket.send}, and only that
   * peer's datagrams are received from now on (ones already held stay, as with Berkeley
   * sockets). Connecting a connected socket moves it to the new peer.
   *
   * The local port stays the same through connects, reconnects and {@link disconnect}, also
   * when the system chose it: {@link DatagramSocket.bind} binds even that port by number, because Linux
   * releases a port it chose itself when a connected socket is dissolved (Node's reconnect
   * dissolves the old association first), and the socket would then send from, and receive
   * on, a new port. The local address of a socket bound to the any-address becomes the
   * address the route to the peer leaves by ({@link localEndpoint} shows it), and the
   * any-address again after {@link disconnect}.
   */
  connect(remote: EndpointLike): Promise<void> {
    return this.#association.connect(remote);
  }

  /**
   * Dissolves the association made by {@link connect}, so that datagrams from anyone are
   * received again; does nothing when not connected. The socket keeps its local port (see
   * {@link connect}).
   */
  disconnect(): void {
    this.#association.disconnect();
  }

  /** Allows (or forbids again) sending to broadcast addresses (SO_BROADCAST). */
  setBroadcast(flag: boolean): void {
    this.#options.setBroadcast(flag);
  }

  /** Sets the IP time-to-live (hop limit) of unicast datagrams, 1..255. */
  setTTL(ttl: number): void {
    this.#options.setTTL(ttl);
  }

  /** Sets the time-to-live of multicast datagrams, 0..255; 0 keeps them on this host. */
  setMulticastTTL(ttl: number): void {
    this.#options.setMulticastTTL(ttl);
  }

  /** Whether multicast datagrams this socket sends are also delivered to this host. */
  setMulticastLoopback(flag: boolean): void {
    this.#options.setMulticastLoopback(flag);
  }

  /**
   * Chooses the interface multicast datagrams leave by, by name (`"eth0"`) or by address (an
   * IPv4 address of it; for IPv6 an address of it or the scoped any-address `"::%eth0"`).
   * Throws {@link AddressNotAvailableError} for an interface this machine does not have.
   */
  setMulticastInterface(iface: string): void {
    this.#options.setMulticastInterface(iface);
  }

  /**
   * Joins multicast `group` on interface `iface`, given by name (`"eth0"`) or address; left
   * out, on the interface the system chooses (the route to the group), or for an IPv6 group
   * with a scope (`"ff02::1%eth1"`) on that interface. Rejects a non-multicast address with
   * {@link InvalidEndpointError}; joining twice fails with {@link AddressInUseError}. To hear
   * a group on every LAN of a machine with several, see {@link joinGroupOnAllInterfaces}.
   */
  joinGroup(group: string, iface?: string): void {
    this.#options.joinGroup(group, iface);
  }

  /** Leaves a multicast group joined with {@link joinGroup} (same `iface`). */
  leaveGroup(group: string, iface?: string): void {
    this.#options.leaveGroup(group, iface);
  }

  /**
   * Joins multicast `group` on every multicast-capable interface that is up (loopback left
   * out; see {@link multicastInterfaces}), so that a machine on several LANs hears the group on
   * each of them. Interfaces where the socket is a member already are passed over, so calling
   * it again after interfaces came up joins just the new ones. Returns the names of the
   * interfaces joined by this call.
   *
   * @example
   * ```ts
   * const socket = await DatagramSocket.bind('0.0.0.0:5353', { reuseAddress: true });
   * console.log(`joined on ${socket.joinGroupOnAllInterfaces('239.255.77.77').join(', ')}`);
   * ```
   */
  joinGroupOnAllInterfaces(group: string): string[] {
    return this.#options.joinGroupOnAllInterfaces(group);
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
    const received = this.#inbox.receive(
      bufsize,
      options,
      this.#association.recvWhat,
      this.#association.local,
    );
    return datagramReceive.hasSubscribers
      ? received.then((d) => publishReceived(this, d))
      : received;
  }

  /**
   * Resolves with up to `maxDatagrams` (default 64) whole datagrams: those held, at once, or
   * else the next to arrive together with the ones that arrived with it. A batch receive that
   * costs one promise rather than one per datagram; never more datagrams than the socket holds
   * ({@link receiveQueueLimit}). Waits, and fails, as {@link recvFrom} does: a timeout
   * ({@link TimeoutError}) or an abort ({@link AbortError}) takes no datagram.
   * `maxDatagrams` must be a positive integer (InvalidArgumentError otherwise).
   *
   * @example
   * ```ts
   * import { DatagramSocket } from 'dsock';
   *
   * await using sender = await DatagramSocket.bind('127.0.0.1:0');
   * await using receiver = await DatagramSocket.bind('127.0.0.1:0');
   * await sender.sendToMany(['one', 'two', 'three'], receiver.localEndpoint);
   * const received: string[] = [];
   * while (received.length < 3) {
   *   const batch = await receiver.recvMany(64, { timeout: 1000 });
   *   for (const datagram of batch) received.push(datagram.data.toString());
   * }
   * console.log(received.join(' ')); // one two three
   * ```
   */
  recvMany(
    maxDatagrams: number = DEFAULT_RECV_MANY,
    options: DatagramReceiveOptions = NO_WAIT,
  ): Promise<ReceivedDatagram[]> {
    try {
      checkInteger('maxDatagrams', maxDatagrams, 1, Number.MAX_SAFE_INTEGER);
      if (options !== NO_WAIT) checkWait(options);
    } catch (error) {
      return rejected(error);
    }
    const received = this.#inbox.receiveMany(
      maxDatagrams,
      options,
      this.#association.recvManyWhat,
      this.#association.local,
    );
    if (!datagramReceive.hasSubscribers) return received;
    return received.then((batch) => {
      for (const datagram of batch) publishReceived(this, datagram);
      return batch;
    });
  }

  /**
   * Closes the socket and frees its port at once. Pending receives, and any later call,
   * reject with {@link SocketClosedError}; held datagrams are discarded (counted as dropped).
   * Datagrams sent to an address before the call still leave, and their sends resolve; sends
   * still waiting for a host name's lookup, and those behind one (sends leave in call order),
   * reject with {@link SocketClosedError}.
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#association.close();
      this.#inbox.close(() => this.#association.closedError('recvFrom'));
      this.#transport.close(() => {
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
  [Symbol.asyncIterator](): AsyncGenerator<ReceivedDatagram, void, undefined> {
    return new ReceiveIterator<ReceivedDatagram>({
      // A held datagram is handed out at once: no receive promise to settle first.
      poll: () => {
        const held = this.#inbox.poll();
        return held !== undefined && datagramReceive.hasSubscribers
          ? publishReceived(this, held)
          : held;
      },
      wait: () => this.recvFrom(),
      // As recvFrom() without arguments, with no promise of its own.
      waitFor: (waiter) =>
        this.#inbox.receiveInto(datagramReceive.hasSubscribers ? publishing(this, waiter) : waiter),
      endsQuietly: (error) => this.#association.closed && error instanceof SocketClosedError,
    });
  }

  /**
   * Checks where a sendTo goes and returns its port; its host is then {@link #lastHost} (a
   * name when {@link #lastNamed}). Throws for a bad `to` and on a connected socket.
   */
  #sendPort(to: EndpointLike, what: 'sendTo' | 'sendToMany'): number {
    // Most programs send to a few peers given as Endpoint objects: a host already checked and
    // a valid port need no parsing and no new object.
    let port: number;
    if (
      typeof to === 'object' &&
      to !== null &&
      to.host === this.#lastHost &&
      isSendPort(to.port)
    ) {
      port = to.port;
    } else {
      const endpoint = toDestination(to, this.family);
      port = endpoint.port;
      this.#lastHost = endpoint.host;
      this.#lastNamed = familyOf(endpoint.host) === undefined;
    }
    if (this.#association.remote !== undefined || this.#association.connecting) {
      const host = this.#lastHost;
      throw new SocketError(
        `${what} ${formatEndpoint({ host, port })} on a socket connected to ` +
          `${this.#association.remote ? formatEndpoint(this.#association.remote) : 'a peer'}: ` +
          `use ${what === 'sendTo' ? 'send' : 'sendMany'}(), or disconnect() first`,
        'EISCONN',
        { endpoint: { host, port } },
      );
    }
    return port;
  }

  #onError(error: Error): void {
    if (this.#association.closed) return;
    this.#inbox.report(
      toSocketError(error, 'receive', this.#association.remote ?? this.#association.local),
    );
  }

  #sendError(error: Error, size: number, to: Endpoint | undefined): SocketError {
    const what = to === undefined ? 'send' : 'sendTo';
    if (this.#association.closed || error === CLOSED) return this.#association.closedError(what);
    return sendError(error, {
      what,
      size,
      target: to ?? this.#association.remote,
      limit: maxPayload(this.family, (to ?? this.#association.remote)?.host),
      broadcast: this.#options.broadcastAllowed,
    });
  }
}

/** The error for `send` or `sendMany` on a socket that is not connected, bound at `local`. */
function notConnected(what: 'send' | 'sendMany', local: Endpoint): SocketError {
  const instead = what === 'send' ? 'sendTo' : 'sendToMany';
  return new SocketError(
    `${what} on a datagram socket that is not connected: use ${instead}(), or connect() first`,
    'EDESTADDRREQ',
    { endpoint: local },
  );
}

/** A rejected promise for an error thrown by argument checks (always an Error). */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

/** A waiter that tells the datagram-receive channel of the datagram it gets, then `waiter`. */
function publishing(
  socket: DatagramSocket,
  waiter: Settle<ReceivedDatagram>,
): Settle<ReceivedDatagram> {
  return {
    resolve: (datagram) => waiter.resolve(publishReceived(socket, datagram)),
    reject: (error) => waiter.reject(error),
  };
}

/** Tells the datagram-receive channel of `datagram`, taken by `socket`; passes it on. */
function publishReceived(socket: DatagramSocket, datagram: ReceivedDatagram): ReceivedDatagram {
  datagramReceive.publish({ source: socket, remote: datagram.sender, data: datagram.data });
  return datagram;
}
