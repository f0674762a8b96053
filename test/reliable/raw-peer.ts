import { createSocket, type Socket } from 'node:dgram';
import type { Endpoint } from '../../src/index.js';
import {
  decodePacket,
  encodeData,
  encodeFin,
  type Packet,
  PacketType,
} from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';

/**
 * A plain node:dgram socket that crafts datagrams of the reliable protocol by hand, as an
 * attacker (or a minimal peer) would, and records every answer it receives with its size.
 */
export class RawPeer {
  readonly answers: { packet: Packet | null; bytes: number }[] = [];
  /** Called with every answer as it arrives (after it was recorded). */
  onAnswer: ((packet: Packet | null, bytes: number) => void) | undefined;
  readonly #socket: Socket;
  readonly #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer) => {
      const packet = decodePacket(data);
      this.answers.push({ packet, bytes: data.length });
      // Like a sender, it takes the receiver's epoch from every ACK and RETRY.
      if (packet?.type === PacketType.Ack || packet?.type === PacketType.Retry) {
        this.epoch = packet.epoch;
      }
      this.onAnswer?.(packet, data.length);
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

  /**
   * Learns the receiver's epoch: a DATA with none draws a RETRY that carries it (and starts
   * no flow).
   */
  async learnEpoch(target: Endpoint): Promise<void> {
    const before = this.answers.length;
    await this.send(encodeData(0xeeee_eeee, 0, 0, 0, 3, Buffer.alloc(0)), target);
    await this.answered(before + 1, 2000, 'the RETRY that tells the epoch');
  }

  /** A DATA datagram of a one-segment message (FIRST and LAST) or of a fragment (`flags`). */
  data(incarnation: number, seq: number, payload: Uint8Array, flags = 3, timestamp = 0): Buffer {
    return encodeData(incarnation, seq, timestamp, this.epoch, flags, payload);
  }

  fin(incarnation: number, seq: number, timestamp = 0): Buffer {
    return encodeFin(incarnation, seq, timestamp, this.epoch);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
