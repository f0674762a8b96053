import type { AddressFamily } from '../endpoint/endpoint.js';

/** Called once per send: `error` null when the datagram went out, with the bytes sent. */
export type SendDone = (error: Error | null, bytes?: number) => void;

/** Called once per datagram of a batch send, with its place in the batch. */
export type BatchDone = (index: number, error: Error | null, bytes?: number) => void;

/** An address and port as a UDP handle reports them. */
export interface HandleAddress {
  address: string;
  port: number;
}

/**
 * Where a transport hands the datagrams it receives: a datagram socket's inbox, or the
 * protocol engine of a reliable socket.
 */
export interface DatagramSink {
  /**
   * The most datagrams one batch may bring (the native path receives up to this many per
   * system call), so that a receiver that takes each datagram as it comes drops none.
   */
  readonly limit: number;
  /** Takes a datagram from `host`:`port`: the hot path, called once per datagram. */
  pushFrom(data: Buffer, host: string, port: number): void;
}

/** Which implementation carries a socket's datagrams. */
export type DatagramBackend = 'native' | 'node:dgram';

/** How a UDP handle is opened and bound. */
export interface OpenOptions {
  family: AddressFamily;
  reuseAddress: boolean;
  ipv6Only: boolean;
}

/**
 * The part of a UDP socket that {@link DatagramSocket} uses: implemented over Node's dgram
 * socket and over the native addon, so that everything above it is shared. Calls throw or
 * report Node-style system errors (with `code` and `syscall`); the socket maps them.
 */
export interface UdpTransport {
  readonly backend: DatagramBackend;
  /**
   * True when `done` is called for every send, also for those a close overtakes; false when
   * some are dropped without a call back (node:dgram), which the caller must then settle.
   */
  readonly callsBackEverySend: boolean;
  /** Starts handing received datagrams to `sink` and later system errors to `onError`. */
  attach(sink: DatagramSink, onError: (error: Error) => void): void;
  /** Sends to `host`:`port`, an address literal, or to the connected peer without `host`. */
  send(payload: Uint8Array, port: number, host: string | undefined, done: SendDone): void;
  /**
   * Where the transport has a batch call (the native path): sends `payloads` to `host`:`port`
   * (an address literal; the connected peer without `host`), after every send made before,
   * and reports each datagram to `done`. Without it, each datagram goes through {@link send}.
   */
  sendBatch?(
    payloads: readonly Uint8Array[],
    port: number,
    host: string | undefined,
    done: BatchDone,
  ): void;
  /** Connects to `host` (a name is looked up); `done` is not called if close() comes first. */
  connect(port: number, host: string, done: (error?: Error) => void): void;
  disconnect(): void;
  address(): HandleAddress;
  remoteAddress(): HandleAddress;
  setBroadcast(flag: boolean): void;
  setTTL(ttl: number): void;
  setMulticastTTL(ttl: number): void;
  setMulticastLoopback(flag: boolean): void;
  setMulticastInterface(iface: string): void;
  addMembership(group: string, iface?: string): void;
  dropMembership(group: string, iface?: string): void;
  getRecvBufferSize(): number;
  getSendBufferSize(): number;
  setRecvBufferSize(size: number): void;
  setSendBufferSize(size: number): void;
  /** Closes the handle; `done` is called once it is closed (see {@link callsBackEverySend}). */
  close(done: () => void): void;
}
