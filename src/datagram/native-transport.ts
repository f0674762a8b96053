import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { Fifo } from '../internal/fifo.js';
import { CLOSED } from './outbox.js';
import type { NativeBinding, NativeHandle, SharedArrays } from './native-binding.js';
import type {
  BatchDone,
  DatagramSink,
  HandleAddress,
  OpenOptions,
  SendDone,
  UdpTransport,
} from './transport.js';

// libuv's bind flags and the addon's option numbers (native/udp-control.c).
const UV_UDP_IPV6ONLY = 1;
const UV_UDP_REUSEADDR = 4;
const OPTION = { broadcast: 0, ttl: 1, multicastTTL: 2, multicastLoop: 3 } as const;

/** A Node-style system error for a libuv error number from a batch send. */
function uvError(errno: number, syscall: string): Error {
  let code: string;
  try {
    code = getSystemErrorName(errno);
  } catch {
    code = 'EIO';
  }
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno, syscall });
}

/**
 * A UDP handle of the native addon. Received datagrams come in batches (one call per
 * recvmmsg); sends made in the same tick leave in one call (sendmmsg) once the tick's
 * synchronous code and microtasks have run, as node:dgram sends once its address lookup,
 * deferred to the next tick, has called back.
 */
export class NativeUdpSocket implements UdpTransport {
  readonly backend = 'native';
  readonly callsBackEverySend = true;
  readonly #binding: NativeBinding;
  readonly #shared: SharedArrays;
  readonly #handle: NativeHandle;
  readonly #lookupFamily: 4 | 6;
  #sink: DatagramSink | undefined;
  #onError: ((error: Error) => void) | undefined;
  /** The sender name of the last datagram received: the addon sends only changes. */
  #lastName = '';
  // Sends of this tick, not yet handed to the system; all to hosts, or all to the peer. The
  // first `#count` places of each list: the lists are kept from tick to tick (a socket that
  // sends every tick would otherwise make four arrays per tick), emptied of their payloads and
  // callbacks once sent, and let go after a tick of more than SEND_BATCH sends.
  #payloads: (Uint8Array | undefined)[] = [];
  #hosts: (string | undefined)[] = [];
  #ports: number[] = [];
  #dones: (SendDone | undefined)[] = [];
  #count = 0;
  /** Whether every send of this tick goes to the same host string, which C then parses once. */
  #oneHost = true;
  /** Sends libuv queued (the socket was not writable), in the order libuv completes them. */
  readonly #queued = new Fifo<SendDone>();
  #closing = false;
  readonly #flush = (): void => this.#flushSends();

  constructor(binding: NativeBinding, shared: SharedArrays, options: OpenOptions) {
    this.#binding = binding;
    this.#shared = shared;
    this.#lookupFamily = options.family === 'IPv6' ? 6 : 4;
    this.#handle = binding.open(
      this,
      this.#lookupFamily,
      (count, buffers, names) => this.#onBatch(count, buffers, names),
      (error) => this.#onError?.(error),
      (error) => this.#onSent(error),
    );
  }

  bind(host: string, port: number, options: OpenOptions): void {
    const flags =
      (options.ipv6Only ? UV_UDP_IPV6ONLY : 0) | (options.reuseAddress ? UV_UDP_REUSEADDR : 0);
    this.#binding.bind(this.#handle, host, port, flags);
  }

  attach(sink: DatagramSink, onError: (error: Error) => void): void {
    this.#sink = sink;
    this.#onError = onError;
    // A batch never brings more datagrams than the queue may hold, so that a receiver that
    // takes each datagram as it comes drops none, as with one event per datagram.
    this.#binding.recvStart(this.#handle, Math.min(this.#binding.RECV_BATCH, sink.limit));
  }

  send(payload: Uint8Array, port: number, host: string | undefined, done: SendDone): void {
    const count = this.#count;
    if (count === 0) {
      process.nextTick(this.#flush);
      this.#oneHost = true;
    } else if (host !== this.#hosts[count - 1]) {
      if ((host === undefined) !== (this.#hosts[0] === undefined)) {
        this.#flushSends();
        this.#oneHost = true;
      } else this.#oneHost = false;
    }
    // After a flush above, the send goes first.
    const at = this.#count++;
    this.#payloads[at] = payload;
    this.#hosts[at] = host;
    this.#ports[at] = port;
    this.#dones[at] = done;
  }

  /**
   * Sends a batch at once, in system calls of up to SEND_BATCH datagrams: no per-datagram
   * queueing in JavaScript, and no wait for the end of the tick, which a batch does not need.
   * Sends of this tick made before go first, so that datagrams leave in call order.
   */
  sendBatch(
    payloads: readonly Uint8Array[],
    port: number,
    host: string | undefined,
    done: BatchDone,
  ): void {
    if (this.#count > 0) this.#flushSends();
    const binding = this.#binding;
    const { sendPorts, sendResults } = this.#shared;
    const limit = binding.SEND_BATCH;
    const queued = binding.SEND_QUEUED;
    for (let start = 0; start < payloads.length; start += limit) {
      const count = Math.min(limit, payloads.length - start);
      const chunk = count === payloads.length ? payloads : payloads.slice(start, start + count);
      sendPorts.fill(port, 0, count);
      try {
        binding.send(this.#handle, count, chunk, host);
      } catch (error) {
        // Only a broken invariant (or no memory) gets here: the chunk fails, nothing is lost.
        const failure = error instanceof Error ? error : new Error(String(error));
        for (let i = 0; i < count; i++) done(start + i, failure);
        continue;
      }
      for (let i = 0; i < count; i++) {
        const result = sendResults[i] as number;
        const index = start + i;
        if (result === queued) this.#queued.push((error) => done(index, error));
        else if (result >= 0) done(index, null, result);
        else done(index, uvError(result, 'send'));
      }
    }
  }

  connect(port: number, host: string, done: (error?: Error) => void): void {
    const connect = (address: string): void => {
      // Node never calls back a connect that the socket's closing overtook.
      if (this.#closing) return;
      this.#flushSends();
      try {
        this.#binding.connect(this.#handle, address, port);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    };
    if (isIP(host) !== 0) {
      process.nextTick(connect, host);
      return;
    }
    lookup(host, { family: this.#lookupFamily }, (error, address) => {
      if (this.#closing) return;
      if (error) done(error);
      else connect(address);
    });
  }

  disconnect(): void {
    this.#flushSends();
    this.#binding.disconnect(this.#handle);
  }

  address(): HandleAddress {
    const [address, port] = this.#binding.name(this.#handle, false);
    return { address, port };
  }

  remoteAddress(): HandleAddress {
    const [address, port] = this.#binding.name(this.#handle, true);
    return { address, port };
  }

  setBroadcast(flag: boolean): void {
    this.#binding.option(this.#handle, OPTION.broadcast, flag ? 1 : 0);
  }

  setTTL(ttl: number): void {
    this.#binding.option(this.#handle, OPTION.ttl, ttl);
  }

  setMulticastTTL(ttl: number): void {
    this.#binding.option(this.#handle, OPTION.multicastTTL, ttl);
  }

  setMulticastLoopback(flag: boolean): void {
    this.#binding.option(this.#handle, OPTION.multicastLoop, flag ? 1 : 0);
  }

  setMulticastInterface(iface: string): void {
    this.#binding.multicastInterface(this.#handle, iface);
  }

  addMembership(group: string, iface?: string): void {
    this.#binding.membership(this.#handle, group, iface, true);
  }

  dropMembership(group: string, iface?: string): void {
    this.#binding.membership(this.#handle, group, iface, false);
  }

  getRecvBufferSize(): number {
    return this.#binding.bufferSize(this.#handle, false, 0);
  }

  getSendBufferSize(): number {
    return this.#binding.bufferSize(this.#handle, true, 0);
  }

  setRecvBufferSize(size: number): void {
    this.#binding.bufferSize(this.#handle, false, size);
  }

  setSendBufferSize(size: number): void {
    this.#binding.bufferSize(this.#handle, true, size);
  }

  /**
   * Closes the handle, calling `done` on the next tick as node:dgram does. The sends of this
   * tick go out first, as the path over node:dgram sends each during its call; ones libuv
   * holds are called back with ECANCELED later.
   */
  close(done: () => void): void {
    if (this.#closing) return;
    if (this.#count > 0) this.#flushSends();
    this.#closing = true;
    process.nextTick(done);
    const dropped = this.#dones.slice(0, this.#count) as SendDone[];
    this.#payloads = [];
    this.#hosts = [];
    this.#ports = [];
    this.#dones = [];
    this.#count = 0;
    this.#binding.close(this.#handle);
    for (const send of dropped) send(CLOSED);
  }

  #flushSends(): void {
    const binding = this.#binding;
    const { sendPorts, sendResults } = this.#shared;
    const limit = binding.SEND_BATCH;
    const queued = binding.SEND_QUEUED;
    while (this.#count > 0 && !this.#closing) {
      const count = Math.min(this.#count, limit);
      const hosts = this.#hosts;
      const ports = this.#ports;
      for (let i = 0; i < count; i++) sendPorts[i] = ports[i] as number;
      let failure: Error | undefined;
      try {
        // The addon reads the first `count` places of the lists.
        binding.send(this.#handle, count, this.#payloads, this.#oneHost ? hosts[0] : hosts);
      } catch (error) {
        // Only a broken invariant (or no memory) gets here: the batch fails, nothing is lost.
        failure = error instanceof Error ? error : new Error(String(error));
      }
      // The batch leaves the lists before any of it is settled; one send needs no list.
      const first = this.#dones[0] as SendDone;
      const dones = count === 1 ? undefined : (this.#dones.slice(0, count) as SendDone[]);
      this.#dropSent(count);
      for (let i = 0; i < count; i++) {
        const done = dones === undefined ? first : (dones[i] as SendDone);
        if (failure !== undefined) {
          done(failure);
          continue;
        }
        const result = sendResults[i] as number;
        if (result === queued) this.#queued.push(done);
        else if (result >= 0) done(null, result);
        else done(uvError(result, 'send'));
      }
    }
  }

  /** Takes the first `count` sends off the lists, which keep no payload or callback sent. */
  #dropSent(count: number): void {
    const left = this.#count - count;
    this.#count = left;
    if (left > 0) {
      this.#payloads.splice(0, count);
      this.#hosts.splice(0, count);
      this.#ports.splice(0, count);
      this.#dones.splice(0, count);
    } else if (this.#dones.length > this.#binding.SEND_BATCH) {
      this.#payloads = [];
      this.#hosts = [];
      this.#ports = [];
      this.#dones = [];
    } else {
      this.#payloads.fill(undefined, 0, count);
      this.#hosts.fill(undefined, 0, count);
      this.#dones.fill(undefined, 0, count);
    }
  }

  #onSent(error: Error | null): void {
    // Under steady backpressure the queue may never drain: the queue compacts its consumed
    // front, so that memory follows what libuv holds, at O(1) amortised.
    const done = this.#queued.shift();
    done?.(error);
  }

  #onBatch(count: number, buffers: Buffer | Buffer[], names: string[] | undefined): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    const meta = this.#shared.recvMeta;
    const fields = this.#binding.RECV_FIELDS;
    let name = this.#lastName;
    // Per datagram: length, port, sender, buffer index, offset (native/dsock.h).
    for (let i = 0, m = 0; i < count; i++, m += fields) {
      const length = meta[m] as number;
      const sender = meta[m + 2] as number;
      if (sender !== 0) name = (names as string[])[sender - 1] as string;
      // A batch that fits one buffer comes with that buffer alone, not in an array.
      const buffer = Array.isArray(buffers) ? (buffers[meta[m + 3] as number] as Buffer) : buffers;
      const offset = meta[m + 4] as number;
      // A small datagram alone in its shared buffer (one that came by itself) is that buffer:
      // no view is made of it.
      const whole = offset < 0 || (offset === 0 && length === buffer.length);
      sink.pushFrom(
        whole ? buffer : buffer.subarray(offset, offset + length),
        name,
        meta[m + 1] as number,
      );
    }
    this.#lastName = name;
  }
}

/**
 * Opens a native UDP handle bound to `host`:`port` (a name is looked up in the family, as
 * node:dgram does); rejects with a Node-style system error after closing the handle.
 */
export async function openNative(
  binding: NativeBinding,
  shared: SharedArrays,
  options: OpenOptions,
  host: string,
  port: number,
): Promise<NativeUdpSocket> {
  const address =
    isIP(host) !== 0
      ? host
      : await new Promise<string>((resolve, reject) => {
          lookup(host, { family: options.family === 'IPv6' ? 6 : 4 }, (error, found) =>
            error ? reject(error) : resolve(found),
          );
        });
  const socket = new NativeUdpSocket(binding, shared, options);
  try {
    socket.bind(address, port, options);
  } catch (error) {
    socket.close(() => {});
    throw error;
  }
  return socket;
}
