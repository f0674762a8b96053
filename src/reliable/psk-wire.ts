/**
 * The reliable protocol under a pre-shared key: every datagram the protocol sends is sealed
 * as it leaves the UDP socket and opened as it arrives (docs/psk.md), so that the protocol
 * engine above sees only authentic, fresh datagrams.
 */
import type {
  DatagramBackend,
  DatagramSink,
  HandleAddress,
  SendDone,
  UdpTransport,
} from '../datagram/transport.js';
import { openInPlace, type PskSealer } from '../psk/sealer.js';

/**
 * The transport the protocol engine runs on, sealing each datagram as it leaves and opening
 * each as it arrives: a datagram that does not open (forged, tampered, replayed, another key)
 * never reaches the engine. Every other call is the transport's own, delegated directly (no
 * lookup or binding per call: `send` is the hot path).
 */
export function sealedTransport(transport: UdpTransport, sealer: PskSealer): UdpTransport {
  return new SealedTransport(transport, sealer);
}

class SealedTransport implements UdpTransport {
  readonly backend: DatagramBackend;
  readonly callsBackEverySend: boolean;

  constructor(
    private readonly inner: UdpTransport,
    private readonly sealer: PskSealer,
  ) {
    this.backend = inner.backend;
    this.callsBackEverySend = inner.callsBackEverySend;
  }

  send(payload: Uint8Array, port: number, host: string | undefined, done: SendDone): void {
    this.inner.send(this.sealer.seal(payload), port, host, done);
  }

  attach(sink: DatagramSink, onError: (error: Error) => void): void {
    const sealer = this.sealer;
    this.inner.attach(
      {
        limit: sink.limit,
        pushFrom(data, host, port) {
          const opened = openInPlace(sealer, data);
          if (opened !== undefined) sink.pushFrom(opened, host, port);
        },
      },
      onError,
    );
  }

  connect(port: number, host: string, done: (error?: Error) => void): void {
    this.inner.connect(port, host, done);
  }
  disconnect(): void {
    this.inner.disconnect();
  }
  address(): HandleAddress {
    return this.inner.address();
  }
  remoteAddress(): HandleAddress {
    return this.inner.remoteAddress();
  }
  setBroadcast(flag: boolean): void {
    this.inner.setBroadcast(flag);
  }
  setTTL(ttl: number): void {
    this.inner.setTTL(ttl);
  }
  setMulticastTTL(ttl: number): void {
    this.inner.setMulticastTTL(ttl);
  }
  setMulticastLoopback(flag: boolean): void {
    this.inner.setMulticastLoopback(flag);
  }
  setMulticastInterface(iface: string): void {
    this.inner.setMulticastInterface(iface);
  }
  addMembership(group: string, iface?: string): void {
    this.inner.addMembership(group, iface);
  }
  dropMembership(group: string, iface?: string): void {
    this.inner.dropMembership(group, iface);
  }
  getRecvBufferSize(): number {
    return this.inner.getRecvBufferSize();
  }
  getSendBufferSize(): number {
    return this.inner.getSendBufferSize();
  }
  setRecvBufferSize(size: number): void {
    this.inner.setRecvBufferSize(size);
  }
  setSendBufferSize(size: number): void {
    this.inner.setSendBufferSize(size);
  }
  close(done: () => void): void {
    this.inner.close(done);
  }
}

/**
 * What the PeerUnreachableError of a send under a pre-shared key adds to its message: a peer
 * that does not answer may be using another key, whose datagrams and ours are forged to each
 * other.
 */
export const KEY_HINT = '; do both sides use the same pre-shared key (--psk)?';
