import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { InvalidArgumentError, type SocketClosedError, toSocketError } from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { hasDeadline, NO_WAIT, waitOptionsError } from '../internal/deadline.js';
import { streamClose, streamConnect, streamReceive, streamSend } from '../internal/channels.js';
import {
  adoptSocket,
  connectionClosed,
  countedBy,
  startReading,
  type ConnectionCounter,
} from './adopt.js';
import { ChunkConsumer, type ChunkHandler } from './chunk-consumer.js';
import { ChunkIterator } from './chunk-iterator.js';
import {
  connectWithoutDeadline,
  keepAliveDelay,
  MAX_KEEP_ALIVE_DELAY,
  openConnection,
  planConnection,
  type ConnectOptions,
  type ConnectPlan,
} from './connect.js';
import { sharedLocalHost, sharedRemoteHost } from './net-socket.js';
import { addressRead, forgetAddresses, readAddress } from './socket-addresses.js';
import {
  listenToSocket,
  onSocketClose,
  onSocketData,
  onSocketEnd,
  onSocketRead,
  onSocketError,
  onSocketIdle,
} from './socket-events.js';
import {
  checkFlag,
  checkInteger,
  checkOneOf,
  invalidEncoding,
  invalidInteger,
  invalidReadTarget,
} from '../internal/validate.js';
import { MAX_READ_SIZE, type SendOptions, type ShutdownHow } from './options.js';
import { readFromKernel } from './kernel-read.js';
import { onPressure, peerOf, readNow } from './pressure-sink.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { pendingPromise, takeResolve } from '../internal/pending-promise.js';
import { tlsSessionOf, type TlsSession } from './tls-options.js';
import { closedFor, closedForReading, idleTimeoutError } from './socket-errors.js';
import {
  checkSendData,
  closedForSending,
  endWriting,
  failedOnTheWay,
  sendFailure,
  shutDownForSending,
  writeAll,
} from './send-side.js';

export type { ConnectOptions } from './connect.js';
export type { SendOptions, ShutdownHow, StreamSocketOptions } from './options.js';

const EMPTY = Buffer.alloc(0);
const DONE = Promise.resolve();
// The options of a send that gives none: one shared object rather than a new `{}` per call.
const NO_SEND_OPTIONS: SendOptions = Object.freeze({});

// The socket is also the PressureSink of its receive buffer, the SocketEventSink of the
// net.Socket it wraps and the SendFailureSink of its
// sends (internal interfaces, through symbol-named members), passed where they are expected.

/**
 * A connected TCP socket with Python-style calls: `sendAll`, `recv`, `recvExactly`,
 * `shutdown` and `close`, each an awaitable that rejects with a dsock {@link SocketError}.
 *
 * Received data waits in a bounded buffer (see {@link StreamSocketOptions.receiveBufferLimit}):
 * a peer that sends faster than the application reads is slowed down by TCP itself, and memory
 * stays bounded. Reads are served in the order they are made. Iterating the socket with
 * `for await` yields the received chunks until end of stream.
 *
 * @example
 * ```ts
 * import { StreamServer, StreamSocket } from 'dsock';
 *
 * await using server = await StreamServer.listen('127.0.0.1:0');
 * await using client = await StreamSocket.connect(server.localEndpoint, { timeout: 5000 });
 * await using peer = await server.accept({ timeout: 5000 });
 * await client.sendAll('ping');
 * await client.shutdown('write'); // the peer reads end of stream after the data
 * console.log(`${await peer.recvExactly(4, { timeout: 1000 })}`); // ping
 * ```
 */
export class StreamSocket implements AsyncIterable<Buffer> {
  readonly #socket: Socket;
  // The receive buffer, made on the first data, event or read that needs it: until then only its
  // limit, as a connection that is never read (or not yet) needs no buffer.
  #buffer: ReceiveBuffer | number;
  // A read without a deadline made before the buffer (recv or recvExactly, the serving loop of
  // an idle connection), or a forEachChunk made then: it waits in these two fields, handed to
  // the buffer once one is made (see #receive). Its promise's resolve, and what it wants: the
  // read's size, negative for an exact read, or forEachChunk's handler. Two fields and no
  // object, as thousands of idle connections may each hold one.
  #earlyResolve: ((value: unknown) => void) | undefined;
  #earlyWants: number | ChunkHandler = 0;
  // The endpoints as fields rather than objects: {@link localEndpoint} and
  // {@link remoteEndpoint} make a new object each time anyway. Both ports share one field, the
  // local one in the upper 16 bits of a 32-bit integer (which V8 keeps in the field itself):
  // a field fewer on every connection.
  readonly #localHost: string;
  readonly #remoteHost: string;
  readonly #ports: number;
  #started: boolean;
  // What a connection needs once it is closed, fails, shuts down its sending side or names a
  // read: made the first time, so that an idle connection holds one field for all of it.
  #rare: RareState | undefined;
  // The server that accepted the connection, told when it closes; undefined for connect().
  #counter: ConnectionCounter | undefined;

  private constructor(socket: Socket, receiveBufferLimit: number, start: boolean, idleTimeout = 0) {
    this.#socket = socket;
    // Read while the connection is open: once Node has destroyed the socket (after an error,
    // say) it no longer knows its addresses.
    readAddress(socket, false);
    this.#localHost = sharedLocalHost(addressRead.host);
    const localPort = addressRead.port;
    readAddress(socket, true);
    this.#remoteHost = sharedRemoteHost(addressRead.host);
    this.#ports = (localPort << 16) | addressRead.port;
    forgetAddresses(socket);
    this.#started = start;
    this.#buffer = receiveBufferLimit;
    // Half-open connections are part of the model: after the peer's end of stream we may still
    // send, and shutdown('write') must not close our reading side.
    socket.allowHalfOpen = true;
    listenToSocket(socket, this, idleTimeout);
    if (start) socket.resume();
  }

  /**
   * Connects to `remote`: `"host:port"`, `"[v6]:port"`, `{ host, port }`, or a port number or
   * `":port"` for the loopback address (`127.0.0.1`, or `::1` with `family: 'IPv6'`).
   *
   * Rejects with {@link ConnectionRefusedError}, {@link TimeoutError},
   * {@link HostUnreachableError}, {@link NameResolutionError} or {@link AbortError}, each naming
   * the endpoint, and with {@link InvalidEndpointError} or {@link InvalidArgumentError} for bad arguments. On any
   * failure the half-open connection is destroyed.
   */
  static connect(remote: EndpointLike, options: ConnectOptions = {}): Promise<StreamSocket> {
    let plan: ConnectPlan;
    try {
      plan = planConnection(remote, options);
    } catch (error) {
      // planConnection throws dsock errors only, which an async connect would reject with.
      const refusal = error as Error;
      return Promise.reject(refusal);
    }
    // The common connect (plain TCP, no deadline) waits with no async frame of its own.
    if (plan.tls === undefined && !hasDeadline(options))
      return connectWithoutDeadline(plan, StreamSocket.#connected);
    return StreamSocket.#connectBounded(plan, options);
  }

  static async #connectBounded(plan: ConnectPlan, options: ConnectOptions): Promise<StreamSocket> {
    return StreamSocket.#connected(await openConnection(plan, options), plan.receiveBufferLimit);
  }

  /** Wraps a socket that has just connected. */
  static #connected(this: void, socket: Socket, receiveBufferLimit: number): StreamSocket {
    const stream = new StreamSocket(socket, receiveBufferLimit, true);
    if (streamConnect.hasSubscribers)
      streamConnect.publish({ source: stream, remote: stream.remoteEndpoint });
    return stream;
  }

  /**
   * @internal Wraps a socket accepted by a server; it reads once {@link startReading} runs.
   * With `idleTimeout` (ms), the connection is closed once nothing was received or sent for
   * that long.
   */
  static [adoptSocket](socket: Socket, receiveBufferLimit: number, idleTimeout = 0): StreamSocket {
    return new StreamSocket(socket, receiveBufferLimit, false, idleTimeout);
  }

  /** @internal */
  [countedBy](counter: ConnectionCounter): void {
    this.#counter = counter;
  }

  /** @internal */
  [startReading](): void {
    if (this.#started) return;
    this.#started = true;
    if (typeof this.#buffer === 'number' || !this.#buffer.paused) this.#socket.resume();
  }

  /** The local address and port of the connection. */
  get localEndpoint(): Endpoint {
    return { host: this.#localHost, port: this.#ports >>> 16 };
  }

  /** The peer's address and port. */
  get remoteEndpoint(): Endpoint {
    return { host: this.#remoteHost, port: this.#ports & 0xffff };
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#rare?.closing !== undefined;
  }

  /** What the TLS handshake negotiated (the peer's certificate too); undefined without TLS. */
  get tls(): TlsSession | undefined {
    return tlsSessionOf(this.#socket);
  }

  /**
   * Turns Nagle's algorithm off (`true`, the default: TCP_NODELAY, small writes leave at once)
   * or on again (`false`: small writes wait to be gathered while earlier data is
   * unacknowledged). For connections from {@link StreamServer.accept} as well as connected
   * ones (where {@link ConnectOptions.noDelay} does the same). Throws {@link InvalidArgumentError} for a flag
   * that is not a boolean and {@link SocketClosedError} after {@link close}.
   */
  setNoDelay(flag = true): void {
    const value = checkFlag('flag', flag);
    StreamSocket.#checkOpen(this, 'setNoDelay');
    this.#socket.setNoDelay(value);
  }

  /**
   * Turns TCP keep-alive on or off (SO_KEEPALIVE): while on, the system probes a connection
   * that has been idle, and a peer that stopped answering makes later operations fail.
   * `initialDelay` is the idle time before the first probe (TCP_KEEPIDLE), in milliseconds like
   * every time in dsock; the system counts it in whole seconds, so it is rounded up (1500 ms
   * becomes 2 s), and is at most 32,767,000 (the system's limit, about 9 hours). Left out or 0,
   * the system's current setting stays. Throws
   * {@link InvalidArgumentError} for bad arguments and {@link SocketClosedError} after
   * {@link close}.
   */
  setKeepAlive(flag: boolean, initialDelay?: number): void {
    const value = checkFlag('flag', flag);
    if (initialDelay !== undefined) {
      checkInteger('initialDelay', initialDelay, 0, MAX_KEEP_ALIVE_DELAY);
    }
    StreamSocket.#checkOpen(this, 'setKeepAlive');
    this.#socket.setKeepAlive(value, keepAliveDelay(initialDelay ?? 0));
  }

  /**
   * Sends all of `data` (a string is encoded with `encoding`, utf8 by default). Resolves once
   * every byte has been handed to the kernel; while the kernel's send buffer is full it waits,
   * so awaiting each call keeps memory bounded however slow the peer reads.
   *
   * Rejects with {@link SocketClosedError} after {@link close} or `shutdown('write')`, and with
   * {@link ConnectionResetError} when the peer reset the connection.
   */
  sendAll(data: string | Uint8Array, options: SendOptions = NO_SEND_OPTIONS): Promise<void> {
    const refusal = StreamSocket.#sendRefusal(this);
    if (refusal !== undefined) return Promise.reject(refusal);
    const badEncoding = invalidEncoding(options.encoding);
    if (badEncoding !== undefined) return Promise.reject(badEncoding);
    const encoding = options.encoding ?? 'utf8';
    const problem = checkSendData(data);
    if (problem === 'empty') return DONE;
    if (problem !== undefined) return Promise.reject(problem);
    if (streamSend.hasSubscribers)
      streamSend.publish({ source: this, remote: this.remoteEndpoint, data });
    return writeAll(this.#socket, data, encoding, this);
  }

  /**
   * Receives up to `bufsize` bytes: resolves with at least one byte as soon as any is there, and
   * with an empty Buffer at end of stream (and on every call after it). A chunk larger than
   * `bufsize` is split without copying; the rest waits for the next read (so the Buffer returned
   * may share memory with data still to be read: copy it to keep a small piece for long).
   *
   * Rejects with {@link TimeoutError} / {@link AbortError} per `options` (no data is lost),
   * {@link ConnectionResetError} when the peer reset the connection, and
   * {@link SocketClosedError} when the socket is or gets closed. A reset that comes while data
   * the socket has not yet read waits in the kernel can read as an end of stream instead:
   * Node's event loop (libuv) takes the hang-up that follows a short read for an end, and raw
   * node:net sockets see the same. A protocol that must tell a complete stream from a cut one
   * marks where its messages end, as the frames of a `MessageStream` do.
   */
  recv(bufsize: number, options: WaitOptions = NO_WAIT): Promise<Buffer> {
    const invalid =
      invalidInteger('bufsize', bufsize, 1, MAX_READ_SIZE) ?? waitOptionsError(options);
    if (invalid) return Promise.reject(invalid);
    const read = StreamSocket.#read(this, bufsize, false, options);
    return streamReceive.hasSubscribers ? read.then((data) => publishReceived(this, data)) : read;
  }

  /**
   * Receives up to `buffer.length` bytes into `buffer`, memory the caller owns and may reuse
   * for every read (as Python's `recv_into`): resolves with the number of bytes written at the
   * start of `buffer`, at least one, as soon as any is there, and with 0 at end of stream (and
   * on every call after it). `buffer` is written only when the read resolves; pass a
   * `subarray` to read fewer bytes.
   *
   * A loop that reads into one buffer allocates nothing per read: on a connection that reads
   * the default way, bytes that arrive while the read waits are copied from the socket's read
   * straight into `buffer`. Bytes that arrived while no read waited (the application was busy
   * elsewhere) fill `buffer` from as many arrivals as it holds, in one call. With dsock's native
   * addon, on a plain TCP connection, bytes the kernel already holds are read straight into
   * `buffer` by the system, with no copy out of a buffer of Node's (at most 32 such reads per
   * turn of the event loop, so that a fast peer cannot hold the loop). That makes this the cheapest way to take in a bulk stream.
   *
   * Rejects with {@link InvalidArgumentError} for an empty or non-Uint8Array `buffer`, and
   * otherwise as {@link recv} (on a timeout or abort `buffer` is left untouched and no data is
   * lost). `buffer` stays the read's until it settles: one transferred away meanwhile (its
   * ArrayBuffer detached, as `postMessage` or `structuredClone` with `transfer` do) has no room
   * left, and the read resolves with 0 as at end of stream (with `readBufferSize` or TLS, the
   * bytes it would have taken are lost).
   *
   * @example
   * ```ts
   * import { StreamServer, StreamSocket } from 'dsock';
   *
   * const server = await StreamServer.listen('127.0.0.1:0');
   * const client = await StreamSocket.connect(server.localEndpoint);
   * const peer = await server.accept();
   * await peer.sendAll('hello');
   * await peer.shutdown('write');
   * const buffer = Buffer.alloc(65536);
   * let total = 0;
   * for (let n; (n = await client.recvInto(buffer)) > 0; ) total += n;
   * console.log(total); // 5
   * await Promise.all([client.close(), peer.close(), server.close()]);
   * ```
   */
  recvInto(buffer: Uint8Array, options: WaitOptions = NO_WAIT): Promise<number> {
    const invalid = invalidReadTarget(buffer) ?? waitOptionsError(options);
    if (invalid) return Promise.reject(invalid);
    const read = StreamSocket.#receive(this).readInto(
      buffer,
      options,
      StreamSocket.#waitWhat(this, options),
    );
    return streamReceive.hasSubscribers
      ? read.then((n) => {
          publishReceived(this, Buffer.from(buffer.buffer, buffer.byteOffset, n));
          return n;
        })
      : read;
  }

  /**
   * Hands each received chunk to `handler` as it arrives (as it came, without a copy), in order,
   * until the end of the stream: the callback form of `for await (const chunk of socket)`, for a
   * server that holds many connections. A connection served this way waits in one promise for
   * its whole stream: no suspended async function and no promise per chunk, so an idle
   * connection costs about what a 'data' listener would.
   *
   * When `handler` returns a promise, the next chunk waits until it settles; meanwhile data is
   * held up to the receive buffer limit, and TCP flow control then stops the peer.
   *
   * Resolves at the end of the stream, once every chunk has been handed over, and quietly when
   * the socket is closed locally. Rejects on a reset or any other failure of the connection (as
   * {@link recv}), and with what `handler` throws or its promise rejects with: no chunk is
   * handed over after that, and the socket stays open. Reads made while it runs wait until it
   * has ended (or, once the socket is closed or the stream has ended with nothing held, settle
   * as they would then, without waiting for a busy handler): a handler must not wait for a read
   * of its own socket. Rejects with
   * {@link InvalidArgumentError} when `handler` is not a function.
   *
   * @example
   * ```ts
   * import { StreamServer, StreamSocket } from 'dsock';
   *
   * const server = await StreamServer.listen('127.0.0.1:0');
   * const client = await StreamSocket.connect(server.localEndpoint);
   * const peer = await server.accept();
   * let received = '';
   * const served = peer.forEachChunk((chunk) => {
   *   received += chunk.toString();
   * });
   * await client.sendAll('hello');
   * await client.shutdown('write');
   * await served;
   * console.log(received); // hello
   * await Promise.all([client.close(), peer.close(), server.close()]);
   * ```
   */
  forEachChunk(handler: (chunk: Buffer) => void | PromiseLike<void>): Promise<void> {
    if (typeof handler !== 'function') {
      return Promise.reject(new InvalidArgumentError('handler', 'a function', handler));
    }
    const each: ChunkHandler = streamReceive.hasSubscribers
      ? (chunk) => handler(publishReceived(this, chunk))
      : handler;
    const promise = pendingPromise<void>();
    // Until the buffer is made nothing has come, so the handler can only wait: it waits in the
    // socket's own fields, and an idle connection served this way holds no buffer.
    if (StreamSocket.#canWaitEarly(this)) {
      this.#earlyResolve = takeResolve();
      this.#earlyWants = each;
    } else {
      StreamSocket.#receive(this).consume(new ChunkConsumer(each, this, takeResolve()));
    }
    return promise;
  }

  /**
   * Receives exactly `n` bytes, gathering as data arrives (`n` may exceed the receive buffer
   * limit). Rejects with {@link IncompleteReadError} when the stream ends first (its `partial`
   * holds the bytes that came, `expected` is `n`), and otherwise as {@link recv}. On a timeout
   * or abort the bytes gathered so far stay for the next read.
   */
  recvExactly(n: number, options: WaitOptions = NO_WAIT): Promise<Buffer> {
    const invalid = invalidInteger('n', n, 0, MAX_READ_SIZE) ?? waitOptionsError(options);
    if (invalid) return Promise.reject(invalid);
    if (n === 0)
      return this.closed ? Promise.reject(StreamSocket.#closedError(this)) : Promise.resolve(EMPTY);
    return StreamSocket.#read(this, n, true, options);
  }

  /**
   * Closes one or both directions of the connection (a half-close).
   *
   * - `'write'`: the peer reads end of stream once it has read everything sent before; we can
   *   still receive, and the peer can still send. Resolves once the end of stream has been
   *   handed to the kernel after all pending data; rejects (as a pending {@link sendAll}
   *   does) if the connection is closed or fails before that, as the peer then never sees
   *   the end of stream after the data.
   * - `'read'`: held and later received data is discarded and reads return end of stream.
   * - `'both'` (the default): both.
   *
   * Rejects with {@link SocketClosedError} after {@link close}.
   */
  async shutdown(how: ShutdownHow = 'both'): Promise<void> {
    checkOneOf('how', how, ['read', 'write', 'both']);
    if (this.closed) {
      throw closedFor('shutdown of', this.remoteEndpoint);
    }
    if (how !== 'write') StreamSocket.#receive(this).shutdown();
    if (how !== 'read') await StreamSocket.#shutdownWrite(this);
  }

  /**
   * Closes the connection at once; idempotent, resolves when the socket is released. The peer
   * reads end of stream after the data already handed to the kernel (if unread data is still
   * waiting in our kernel buffer, the system resets the connection instead, as with any
   * Berkeley socket). Pending and later operations reject with {@link SocketClosedError}.
   */
  close(): Promise<void> {
    const rare = StreamSocket.#rareOf(this);
    if (rare.closing === undefined) {
      if (streamClose.hasSubscribers)
        streamClose.publish({ source: this, remote: this.remoteEndpoint });
      const socket = this.#socket;
      // Set first: the socket reads as closed from here on.
      rare.closing = socket.closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => socket.once('close', () => resolve()));
      StreamSocket.#receive(this).fail(() => StreamSocket.#closedError(this), true);
      socket.destroy();
    }
    return rare.closing;
  }

  /** Closes the socket (see {@link close}) at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Yields received chunks (as they arrived, without copying) until end of stream. Ends quietly
   * if the socket is closed locally; throws on a reset.
   */
  [Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    return new ChunkIterator(StreamSocket.#receive(this), this);
  }

  /** @internal */
  [onSocketData](chunk: Buffer): void {
    StreamSocket.#receive(this).push(chunk);
  }

  /** @internal */
  [onSocketRead](source: Buffer, bytes: number): void {
    StreamSocket.#receive(this).pushFrom(source, bytes);
  }

  /** @internal */
  [onSocketEnd](): void {
    StreamSocket.#receive(this).end();
  }

  /** @internal */
  [onSocketError](error: Error): void {
    StreamSocket.#rareOf(this).failure ??= error;
    StreamSocket.#receive(this).fail(() => toSocketError(error, 'receive', this.remoteEndpoint));
  }

  /** @internal */
  [onSocketClose](): void {
    // The server's count first: nothing after it may keep a closed connection counted.
    this.#counter?.[connectionClosed]();
    const buffer = StreamSocket.#receive(this);
    if (!buffer.ended) buffer.fail(() => StreamSocket.#closedError(this));
  }

  /** @internal */
  [onSocketIdle](idleTimeout: number): void {
    const error = idleTimeoutError(this.remoteEndpoint, idleTimeout);
    StreamSocket.#rareOf(this).failure ??= error;
    StreamSocket.#receive(this).fail(() => error);
    this.#socket.destroy();
  }

  /** @internal Stops (`true`) or restarts (`false`) reading from the kernel. */
  [onPressure](paused: boolean): void {
    if (!this.#started) return;
    if (paused) this.#socket.pause();
    else this.#socket.resume();
  }

  /** @internal The peer, named in the receive buffer's errors. */
  [peerOf](): Endpoint {
    return this.remoteEndpoint;
  }

  /** @internal Reads what the kernel holds straight into `target` (see kernel-read.ts). */
  [readNow](target: Uint8Array): number {
    return this.#started ? readFromKernel(this.#socket, target) : 0;
  }

  // The helpers below are static, given the socket: private instance methods would cost every
  // socket a field of their own (the class's brand), and idle connections are many.

  static #receive(self: StreamSocket): ReceiveBuffer {
    const limit = self.#buffer;
    if (typeof limit !== 'number') return limit;
    const buffer = new ReceiveBuffer(limit, self);
    self.#buffer = buffer;
    const resolve = self.#earlyResolve;
    if (resolve !== undefined) {
      self.#earlyResolve = undefined;
      const wants = self.#earlyWants;
      self.#earlyWants = 0;
      if (typeof wants === 'number') buffer.takeOverRead(resolve, Math.abs(wants), wants < 0);
      else buffer.consume(new ChunkConsumer(wants, self, resolve));
    }
    return buffer;
  }

  /**
   * Reads up to `size` bytes, or exactly `size` with `exact`. Until the buffer is made nothing
   * has come (data, end of stream, an error and close all make it), so a first read without a
   * deadline can only wait: it waits in the socket's own fields, and an idle connection whose
   * serving loop waits in it holds its promise and no buffer.
   */
  static #read(
    self: StreamSocket,
    size: number,
    exact: boolean,
    options: WaitOptions,
  ): Promise<Buffer> {
    if (StreamSocket.#canWaitEarly(self) && !hasDeadline(options)) {
      const promise = pendingPromise<Buffer>();
      self.#earlyResolve = takeResolve();
      self.#earlyWants = exact ? -size : size;
      return promise;
    }
    return StreamSocket.#receive(self).read(
      size,
      exact,
      options,
      StreamSocket.#waitWhat(self, options),
    );
  }

  /** Whether a read can wait in the socket's early fields: no buffer yet, and no read there. */
  static #canWaitEarly(self: StreamSocket): boolean {
    return typeof self.#buffer === 'number' && self.#earlyResolve === undefined;
  }

  /** What a read names in its timeout and abort errors: only one with a deadline needs it. */
  static #waitWhat(self: StreamSocket, options: WaitOptions): string {
    return hasDeadline(options) ? StreamSocket.#what(self) : '';
  }

  static #what(self: StreamSocket): string {
    return (StreamSocket.#rareOf(self).recvWhat ??=
      `recv from ${formatEndpoint(self.remoteEndpoint)}`);
  }

  static #rareOf(self: StreamSocket): RareState {
    return (self.#rare ??= {
      closing: undefined,
      failure: undefined,
      writeShut: undefined,
      recvWhat: undefined,
    });
  }

  static #shutdownWrite(self: StreamSocket): Promise<void> {
    const rare = StreamSocket.#rareOf(self);
    if (rare.writeShut === undefined) {
      const refusal = StreamSocket.#sendRefusal(self);
      if (refusal !== undefined) return Promise.reject(refusal);
      rare.writeShut = endWriting(self.#socket, self);
    }
    return rare.writeShut;
  }

  static #sendRefusal(self: StreamSocket): Error | undefined {
    const rare = self.#rare;
    if (rare === undefined) return undefined;
    if (rare.closing !== undefined) return closedForSending(self.remoteEndpoint);
    if (rare.failure !== undefined) return toSocketError(rare.failure, 'send', self.remoteEndpoint);
    if (rare.writeShut !== undefined) return shutDownForSending(self.remoteEndpoint);
    return undefined;
  }

  /** @internal The error for a send (or the end of stream after it) that failed on its way out. */
  [sendFailure](error: unknown): Error {
    if (this.closed) return closedForSending(this.remoteEndpoint);
    const failure = this.#rare?.failure;
    if (failure !== undefined) return toSocketError(failure, 'send', this.remoteEndpoint);
    return failedOnTheWay(error, this.remoteEndpoint);
  }

  static #checkOpen(self: StreamSocket, what: string): void {
    if (self.closed) throw closedFor(`${what} on`, self.remoteEndpoint);
  }

  static #closedError(self: StreamSocket): SocketClosedError {
    return closedForReading(StreamSocket.#what(self), self.remoteEndpoint);
  }
}

/** The state of a StreamSocket that few connections need, made the first time one does. */
interface RareState {
  /** Set by close(): resolves when the socket is released. */
  closing: Promise<void> | undefined;
  /** The first error the connection failed with. */
  failure: Error | undefined;
  /** Set by shutdown('write'): resolves once the end of stream is out. */
  writeShut: Promise<void> | undefined;
  /** What reads name in their errors: only reads with a deadline and errors need it. */
  recvWhat: string | undefined;
}

/** Tells the stream-receive channel of `data`, returned by `stream`'s recv; passes it on. */
function publishReceived(stream: StreamSocket, data: Buffer): Buffer {
  streamReceive.publish({ source: stream, remote: stream.remoteEndpoint, data });
  return data;
}
