import { DatagramSocket } from '../datagram/datagram-socket.js';
import type { DatagramSocketOptions } from '../datagram/options.js';
import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { MessageTooLargeError, TimeoutError } from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { NO_WAIT, waitOptionsError } from '../internal/deadline.js';
import { checkRecvSize } from '../datagram/options.js';
import {
  openInPlace,
  type PskOptions,
  PskSealer,
  type PskStats,
  SEALED_OVERHEAD,
} from '../psk/sealer.js';
import type { ReceivedMessage } from './transport.js';

/** Options of {@link SealedDatagramSocket.bind}: the datagram socket's, and the key's. */
export interface SealedDatagramSocketOptions extends DatagramSocketOptions, PskOptions {
  /** The pre-shared key every peer uses (64 hexadecimal digits or 32 bytes). */
  psk: string | Uint8Array;
}

/**
 * A plain datagram socket whose every datagram is sealed with a pre-shared key
 * (docs/psk.md): encrypted, authenticated and numbered, so that datagrams changed on the way,
 * forged, replayed, or sent by anyone without the key are dropped and counted in
 * {@link stats}, never received. Delivery is as UDP's: datagrams may be lost or reordered.
 *
 * @example
 * ```ts
 * import { generatePsk, SealedDatagramSocket } from 'dsock';
 *
 * const psk = generatePsk();
 * await using alice = await SealedDatagramSocket.bind('127.0.0.1:0', { psk });
 * await using bob = await SealedDatagramSocket.bind('127.0.0.1:0', { psk });
 * await alice.sendTo('for the group only', bob.localEndpoint);
 * const { data } = await bob.recvFrom(undefined, { timeout: 5000 });
 * console.log(`${data}`); // for the group only
 * ```
 */
export class SealedDatagramSocket implements AsyncDisposable {
  readonly #socket: DatagramSocket;
  readonly #sealer: PskSealer;

  private constructor(socket: DatagramSocket, sealer: PskSealer) {
    this.#socket = socket;
    this.#sealer = sealer;
  }

  /**
   * Binds a datagram socket (as {@link DatagramSocket.bind}) that seals with `options.psk`.
   * Rejects as {@link DatagramSocket.bind} does, and with {@link InvalidArgumentError} for a
   * key that is not 64 hexadecimal digits or 32 bytes.
   */
  static async bind(
    local: EndpointLike | undefined,
    options: SealedDatagramSocketOptions,
  ): Promise<SealedDatagramSocket> {
    const sealer = new PskSealer(options?.psk, options.pskMaxSenders);
    const socket = await DatagramSocket.bind(local, options);
    return new SealedDatagramSocket(socket, sealer);
  }

  /** The local address and port the socket is bound to. */
  get localEndpoint(): Endpoint {
    return this.#socket.localEndpoint;
  }

  /** The IP version of the socket. */
  get family(): AddressFamily {
    return this.#socket.family;
  }

  /** The largest payload one datagram carries: the datagram's limit less the sealing's 41 bytes. */
  get maxMessageSize(): number {
    return this.#socket.maxMessageSize - SEALED_OVERHEAD;
  }

  /** The counters of sealed datagrams: sent, received, and dropped (and why). */
  get stats(): PskStats {
    return this.#sealer.stats;
  }

  /**
   * Seals `data` and sends it to `to`; resolves with the payload's length. Rejects with
   * {@link MessageTooLargeError} above {@link maxMessageSize}, and as
   * {@link DatagramSocket.sendTo}.
   */
  async sendTo(data: string | Uint8Array, to: EndpointLike): Promise<number> {
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    if (payload.length > this.maxMessageSize) {
      throw new MessageTooLargeError(
        `message of ${payload.length} bytes is larger than the ${this.maxMessageSize} bytes a ` +
          'sealed datagram carries',
        payload.length,
        this.maxMessageSize,
      );
    }
    await this.#socket.sendTo(this.#sealer.seal(payload), to);
    return payload.length;
  }

  /**
   * Resolves with the next authentic datagram's payload (cut to `bufsize` bytes, default the
   * largest). Datagrams that do not authenticate or are replays are dropped without ending
   * the wait. Rejects as {@link DatagramSocket.recvFrom}.
   */
  async recvFrom(bufsize?: number, options: WaitOptions = NO_WAIT): Promise<ReceivedMessage> {
    if (bufsize !== undefined) checkRecvSize(bufsize);
    const invalid = waitOptionsError(options);
    if (invalid !== undefined) throw invalid;
    const deadline = options.timeout === undefined ? Infinity : performance.now() + options.timeout;
    for (;;) {
      const left = deadline === Infinity ? undefined : Math.max(0, deadline - performance.now());
      let received;
      try {
        received = await this.#socket.recvFrom(this.#socket.maxMessageSize, {
          timeout: left,
          signal: options.signal,
        });
      } catch (error) {
        // The timeout names the wait the caller asked for, not what was left of it.
        if (error instanceof TimeoutError && options.timeout !== undefined) {
          throw new TimeoutError(
            `recvFrom on a sealed socket timed out after ${options.timeout} ms`,
            options.timeout,
            { endpoint: this.localEndpoint },
          );
        }
        throw error;
      }
      const payload = openInPlace(this.#sealer, received.data);
      if (payload === undefined) continue;
      const data =
        bufsize !== undefined && payload.length > bufsize ? payload.subarray(0, bufsize) : payload;
      return { data, sender: received.sender };
    }
  }

  /** Closes the socket; idempotent. */
  close(): Promise<void> {
    return this.#socket.close();
  }

  /** Closes the socket, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
