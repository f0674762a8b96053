import { createSocket, type Socket } from 'node:dgram';
import type { Endpoint } from '../../src/index.js';
import { decodePacket, encodeData, encodeFin, type Packet } from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';

/**
 * A plain node:dgram socket that crafts datagrams of the reliable protocol by hand, as an
 * attacker (or a minimal peer) would, and records every answer it receives with its size.
 */
export class RawPeer {
  readonly answers: { packet: Packet | null; bytes: number }[] = [];
  readonly #socket: Socket;
  readonly #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer) => {
      this.answers.push({ packet: decodePacket(data), bytes: data.length });
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(host = '127.0.0.1'): Promise<RawPeer> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new RawPeer(socket);
  }

  get localEndpoint(): Endpoint {
    const address = this.#socket.address();
    return { host: address.address, port: address.port };
  }

  /** Sends one datagram; resolves when the system took it. */
  send(datagram: Buffer, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.send(datagram, to.port, to.host, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Sends `datagrams` in batches of `batch`, yielding to the event loop between batches so
   * that a receiver in the same process keeps up (its socket buffer does not overflow).
   */
  async flood(datagrams: Iterable<Buffer>, to: Endpoint, batch = 32): Promise<void> {
    let sends: Promise<void>[] = [];
    for (const datagram of datagrams) {
      sends.push(this.send(datagram, to));
      if (sends.length >= batch) {
        await Promise.all(sends);
        sends = [];
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    await Promise.all(sends);
  }

  /** Resolves once at least `count` answers arrived in all (bounded by `ms`). */
  async answered(count: number, ms: number, label: string): Promise<void> {
    const wait = async (): Promise<void> => {
      while (this.answers.length < count) {
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    };
    await within(wait(), ms, label);
  }

  /** The receiver's epoch as last learned from its answers (0 before any). */
  epoch = 0;

  /** Learns the receiver's epoch, when the protocol has one (nothing to do here). */
  async learnEpoch(_target: Endpoint): Promise<void> {}

  /** A DATA datagram of a one-segment message (FIRST and LAST) or of a fragment (`flags`). */
  data(incarnation: number, seq: number, payload: Buffer, flags = 3, timestamp = 0): Buffer {
    return encodeData(incarnation, seq, timestamp, flags, payload);
  }

  fin(incarnation: number, seq: number, timestamp = 0): Buffer {
    return encodeFin(incarnation, seq, timestamp);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
