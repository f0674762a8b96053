import { bindTransport } from '../datagram/bind.js';
import { checkRecvSize, toPayload } from '../datagram/options.js';
import type { DatagramBackend, UdpTransport } from '../datagram/transport.js';
import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { toEndpoint } from '../endpoint/parse.js';
import { AbortError, MessageTooLargeError, SocketClosedError } from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { invalidTimeout } from '../internal/validate.js';
import { checkWait, DeliveryQueue, type ReliableMessage, truncate } from './delivery-queue.js';
import type {
  PeerStats,
  ReliableCloseOptions,
  ReliableSettings,
  ReliableSocketOptions,
  ReliableStats,
} from './options.js';
import { checkReliableOptions, DEFAULT_SOCKET_BUFFER, ReliableCounters } from './options.js';
import type { Peer } from './peer.js';
import { peerKey } from './peer.js';
import { resolvePeer } from './peer-address.js';
import { ReliableCore } from './reliable-core.js';
import { type PskSealer, type PskStats, sealerFor } from '../psk/sealer.js';
import { KEY_HINT, sealedTransport } from './psk-wire.js';

const NO_WAIT: WaitOptions = {};

/**
 * Reliable datagrams over UDP: messages of up to {@link maxMessageSize} bytes, each delivered
 * to the peer exactly once and in the order sent (per sender), with the datagram socket's
 * calls and addressing. One socket talks to any number of peers; there is no connection
 * setup. The wire protocol is docs/reliable-protocol.md.
 *
 * `sendTo` resolves when the peer has acknowledged the whole message, and rejects with
 * {@link PeerUnreachableError} when the peer stops acknowledging for the peer timeout.
 * Many sends may be outstanding at once; they go out as the congestion and flow-control
 * windows allow. A receiver that does not read makes its senders wait (flow control), so
 * memory stays bounded on both sides.
 *
 * @example
 * ```ts
 * import { ReliableDatagramSocket } from 'dsock';
 *
 * await using receiver = await ReliableDatagramSocket.bind('127.0.0.1:0');
 * await using sender = await ReliableDatagramSocket.bind('127.0.0.1:0');
 * const acknowledged = sender.sendTo('exactly once', receiver.localEndpoint);
 * const message = await receiver.recvFrom(undefined, { timeout: 5000 });
 * console.log(`${message.data}`); // exactly once
 * await acknowledged; // resolves once the receiver acknowledged the whole message
 * ```
 */
export class ReliableDatagramSocket implements AsyncIterable<ReliableMessage>, AsyncDisposable {
  readonly #transport: UdpTransport;
  readonly #family: AddressFamily;
  readonly #settings: ReliableSettings;
  readonly #counters = new ReliableCounters();
  readonly #deliveries: DeliveryQueue;
  readonly #core: ReliableCore;
  readonly #local: Endpoint;
  readonly #recvWhat: string;
  readonly #sealer: PskSealer | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    transport: UdpTransport,
    family: AddressFamily,
    settings: ReliableSettings,
    sealer: PskSealer | undefined,
  ) {
    this.#transport = transport;
    this.#family = family;
    this.#settings = settings;
    const address = transport.address();
    this.#local = { host: address.address, port: address.port };
    this.#recvWhat = `recvFrom on ${formatEndpoint(this.#local)}`;
    this.#deliveries = new DeliveryQueue(
      settings.receiveQueueLimit,
      settings.receiveQueueBytes,
      (flow) => this.#core.onRead(flow),
      () => this.#core.onRoom(),
    );
    this.#sealer = sealer;
    const wire = sealer === undefined ? transport : sealedTransport(transport, sealer);
    this.#core = new ReliableCore(wire, settings, this.#counters, this.#deliveries);
    if (sealer !== undefined) this.#core.unreachableHint = KEY_HINT;
  }

  /**
   * Creates a reliable socket bound to `local` (default `0.0.0.0:0`). Takes the options of
   * {@link DatagramSocket.bind} too; unless given, the UDP buffers are enlarged to 1 MiB so
   * that a window's burst fits. Rejects like {@link DatagramSocket.bind}, and with
   * {@link InvalidArgumentError} naming a bad option.
   */
  static async bind(
    local?: EndpointLike,
    options: ReliableSocketOptions = {},
  ): Promise<ReliableDatagramSocket> {
    const settings = checkReliableOptions(options);
    const sealer = sealerFor(options);
    const bound = await bindTransport(local, {
      ...options,
      kernelReceiveBufferSize: options.kernelReceiveBufferSize ?? DEFAULT_SOCKET_BUFFER,
      kernelSendBufferSize: options.kernelSendBufferSize ?? DEFAULT_SOCKET_BUFFER,
    });
    return new ReliableDatagramSocket(bound.transport, bound.family, settings, sealer);
  }

  /**
   * Which path carries this socket's datagrams: `'native'` (the addon, as for a
   * {@link DatagramSocket}: see {@link DatagramSocket.nativeAvailable}) or `'node:dgram'`.
   */
  get backend(): DatagramBackend {
    return this.#transport.backend;
  }

  /** The local address and port the socket is bound to. */
  get localEndpoint(): Endpoint {
    return { ...this.#local };
  }

  /** The IP version of the socket. */
  get family(): AddressFamily {
    return this.#family;
  }

  /** The largest message sent or received, in bytes. */
  get maxMessageSize(): number {
    return this.#settings.maxMessageSize;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Peers the socket holds state for (flows in either direction). */
  get peerCount(): number {
    return this.#core.peers.size;
  }

  /** A snapshot of the socket's counters. */
  get stats(): ReliableStats {
    return this.#counters.snapshot();
  }

  /** The counters of sealed datagrams (with the `psk` option), else undefined. */
  get pskStats(): PskStats | undefined {
    return this.#sealer?.stats;
  }

  /** The sending state towards `peer` (round trip, windows), or undefined when there is none. */
  peerStats(peer: EndpointLike): PeerStats | undefined {
    const endpoint = toEndpoint(peer, { host: LOOPBACK_ADDRESS[this.#family] });
    const flow = this.#core.peers.get(peerKey(endpoint.host, endpoint.port))?.send;
    if (flow === undefined) return undefined;
    return {
      peer: endpoint,
      srtt: flow.rtt.srtt,
      rto: flow.rtt.rto,
      cwnd: flow.cc.cwnd,
      ssthresh: flow.cc.ssthresh,
      inFlight: flow.board.inFlight,
      peerWindow: flow.peerWindow,
      bufferedBytes: flow.buffer.bufferedBytes,
    };
  }

  /**
   * Sends `message` (a string is sent as UTF-8) to `peer` and resolves with its length in
   * bytes, as `DatagramSocket.sendTo` does, once the peer has acknowledged all of it. Messages to the same peer arrive in the order of the calls.
   *
   * Rejects with {@link MessageTooLargeError} for a message above {@link maxMessageSize}
   * (nothing is sent), {@link InvalidEndpointError} for a bad `peer`,
   * {@link NameResolutionError} for a name that does not resolve,
   * {@link PeerUnreachableError} when the peer stops acknowledging or refuses the flow, and
   * {@link SocketClosedError} when the socket closes before the peer acknowledged.
   */
  sendTo(message: string | Uint8Array, peer: EndpointLike): Promise<number> {
    if (this.#closed) return Promise.reject(this.#closedError('sendTo'));
    let payload: Uint8Array;
    let target: Peer | Promise<Peer>;
    try {
      payload = toPayload(message, undefined);
      if (payload.length > this.#settings.maxMessageSize) {
        const limit = this.#settings.maxMessageSize;
        throw new MessageTooLargeError(
          `message of ${payload.length} bytes is larger than the maximum of ${limit} bytes ` +
            '(maxMessageSize); nothing was sent',
          payload.length,
          limit,
        );
      }
      target = resolvePeer(this.#core, peer, this.#family);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return target instanceof Promise
      ? target.then((resolved) => {
          if (this.#closed) throw this.#closedError('sendTo');
          return this.#core.send(resolved, payload);
        })
      : this.#core.send(target, payload);
  }

  /**
   * Resolves with the next message: the whole of it by default, or its first `bufsize` bytes
   * with `truncated: true` when it is longer (as a datagram socket cuts a datagram). Rejects
   * with {@link TimeoutError} or {@link AbortError} as `options` ask (taking no message), and
   * with {@link SocketClosedError} once the socket is closed.
   */
  recvFrom(bufsize?: number, options: WaitOptions = NO_WAIT): Promise<ReliableMessage> {
    if (bufsize !== undefined || options !== NO_WAIT) {
      try {
        if (bufsize !== undefined) checkRecvSize(bufsize);
        checkWait(options);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      if (options.signal?.aborted === true && !this.#closed) {
        return Promise.reject(
          new AbortError(`${this.#recvWhat} was aborted`, {
            endpoint: this.#local,
            cause: options.signal.reason,
          }),
        );
      }
    }
    const held = this.#deliveries.tryShift();
    if (held !== undefined) return Promise.resolve(truncate(held, bufsize));
    const next = this.#deliveries.take(options, this.#recvWhat, this.#local);
    return bufsize === undefined ? next : next.then((received) => truncate(received, bufsize));
  }

  /**
   * Closes the socket: receiving stops at once (waiting receives reject with
   * {@link SocketClosedError}); every peer is sent what is still unacknowledged and a FIN,
   * until they acknowledge or `timeout` (default the `closeTimeout` option) expires; sends
   * still unacknowledged then reject with {@link SocketClosedError}. Calling it again returns
   * the same promise.
   */
  close(options: ReliableCloseOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const timeout = options?.timeout ?? this.#settings.closeTimeout;
    const invalid = invalidTimeout(timeout);
    if (invalid) return Promise.reject(invalid);
    this.#closing = (async () => {
      this.#closed = true;
      this.#deliveries.fail(() => this.#closedError('recvFrom'));
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        if (timeout !== Infinity) timer = setTimeout(resolve, timeout);
      });
      // The last FINs and ACKs go out before the transport closes, which would drop them.
      const finished = this.#core.finish().then(() => this.#core.sends.drained());
      await Promise.race([finished, expired]);
      clearTimeout(timer);
      const local = this.#local;
      this.#core.abandon(
        () =>
          new SocketClosedError(
            `socket ${formatEndpoint(local)} closed before the peer acknowledged the message`,
            { endpoint: local },
          ),
      );
      await new Promise<void>((resolve) => this.#transport.close(() => resolve()));
    })();
    return this.#closing;
  }

  /** Closes the socket, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Yields received messages until the socket is closed, then ends. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ReliableMessage, void, undefined> {
    for (;;) {
      let message: ReliableMessage;
      try {
        message = await this.recvFrom();
      } catch (error) {
        if (this.#closed && error instanceof SocketClosedError) return;
        throw error;
      }
      yield message;
    }
  }

  #closedError(what: string): SocketClosedError {
    return new SocketClosedError(`${what} on ${formatEndpoint(this.#local)}: socket is closed`, {
      endpoint: this.#local,
    });
  }
}
