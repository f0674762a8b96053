import {
  isIP,
  type OnReadOpts,
  Socket,
  type SocketConstructorOpts,
  type TcpNetConnectOpts,
} from 'node:net';
import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { ANY_ADDRESS, LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { toEndpoint } from '../endpoint/parse.js';
import {
  InvalidEndpointError,
  NameResolutionError,
  type SocketError,
  toSocketError,
} from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { waitWithDeadline } from '../internal/deadline.js';
import {
  checkFamily,
  checkHostFamily,
  checkInteger,
  checkOptionalFlag,
} from '../internal/validate.js';
import { checkReceiveBufferLimit, type StreamSocketOptions } from './options.js';
import { checkReadBufferSize, slabReading } from './read-slab.js';
import { owner, type OwnedSocket } from './net-socket.js';
import { sharedReading } from './shared-read.js';
import {
  checkTlsConnectOptions,
  type TlsClientSettings,
  type TlsConnectOptions,
} from './tls-options.js';
import { pendingPromise, takeResolve } from '../internal/pending-promise.js';

const ignore = (): void => undefined;

/** Options of {@link StreamSocket.connect}. */
export interface ConnectOptions extends WaitOptions, StreamSocketOptions {
  /** The local address and/or port to connect from; by default the system chooses. */
  local?: EndpointLike;
  /** Disables Nagle's algorithm (TCP_NODELAY), sending small writes at once. */
  noDelay?: boolean;
  /**
   * Enables TCP keep-alive; a number is the idle time in milliseconds before the first probe,
   * as for {@link StreamSocket.setKeepAlive} (rounded up to whole seconds, at most 32,767,000;
   * 0 keeps the system's setting).
   */
  keepAlive?: boolean | number;
  /**
   * The IP version to connect with: picks the loopback address when the remote has no host
   * and the addresses a host name resolves to.
   */
  family?: AddressFamily;
  /**
   * Speak TLS over the connection (`true` for the defaults): the handshake is part of the
   * connect, bounded by `timeout` and the handshake timeout, and a server whose certificate
   * does not verify is refused with {@link CertificateError}.
   */
  tls?: boolean | TlsConnectOptions;
  /**
   * Bytes one read from the kernel may take, into memory the socket owns: a bulk download then
   * needs fewer, larger reads, each handed on without a copy. Left out (the default), each read
   * takes at most 64 KiB, into a buffer that the plain TCP sockets of the thread share, and is
   * copied out at its size at once (an idle connection holds no read buffer). Either way a read
   * arrives without passing through net.Socket's stream machinery. An integer from 4096 to
   * 67,108,864 (64 MiB); 262,144 to 1,048,576 suits bulk transfers read by `for await` or
   * `recv`. A bulk receiver that can reuse its memory does better without it, with
   * {@link StreamSocket.recvInto} and one buffer: each new slab costs the system page faults.
   *
   * The socket holds a buffer of this size from connect to close, idle or not, and takes a new
   * one when less than a quarter of the current one is left; data is handed out as pieces of
   * these buffers, never copied or overwritten, so a small piece kept for long keeps its
   * buffer alive (copy it to keep it). Not with `tls` ({@link InvalidArgumentError}).
   */
  readBufferSize?: number;
}

/**
 * The longest keep-alive idle time, in milliseconds: Linux takes at most 32,767 s
 * (TCP_KEEPIDLE), and Node.js drops a larger value without a word, leaving the system's.
 */
export const MAX_KEEP_ALIVE_DELAY = 32_767_000;

/**
 * A keep-alive idle time in milliseconds as Node.js passes it on: Node hands the system whole
 * seconds, rounded down, and 0 means "keep the system's setting", so 1 to 999 ms would
 * silently change nothing. Rounding up keeps every positive delay a delay.
 */
export function keepAliveDelay(milliseconds: number): number {
  return Math.ceil(milliseconds / 1000) * 1000;
}

/** The checked arguments of a connect. */
export interface ConnectPlan {
  readonly endpoint: Endpoint;
  readonly netOptions: TcpNetConnectOpts;
  readonly receiveBufferLimit: number;
  readonly noDelay: boolean | undefined;
  readonly keepAlive: boolean | number | undefined;
  readonly tls: TlsClientSettings | undefined;
  readonly readBufferSize: number | undefined;
}

/**
 * Checks the arguments of {@link StreamSocket.connect} (all but the timeout and signal, which
 * the wait checks): throws dsock errors.
 */
export function planConnection(remote: EndpointLike, options: ConnectOptions): ConnectPlan {
  const family = checkFamily(options.family);
  const receiveBufferLimit = checkReceiveBufferLimit(options.receiveBufferLimit);
  const noDelay = checkOptionalFlag('noDelay', options.noDelay);
  const keepAlive = options.keepAlive;
  const tls = checkTlsConnectOptions(options.tls);
  const readBufferSize = checkReadBufferSize(options.readBufferSize, tls !== undefined);
  if (typeof keepAlive === 'number') checkInteger('keepAlive', keepAlive, 0, MAX_KEEP_ALIVE_DELAY);
  else checkOptionalFlag('keepAlive', keepAlive);
  const endpoint = toEndpoint(remote, { host: LOOPBACK_ADDRESS[family ?? 'IPv4'] });
  if (endpoint.port === 0) {
    throw new InvalidEndpointError(
      `cannot connect to port 0 of ${endpoint.host}: give the port the peer listens on`,
      remote,
      'port',
    );
  }
  checkHostFamily(endpoint.host, family, remote);
  const netOptions: TcpNetConnectOpts = { host: endpoint.host, port: endpoint.port };
  if (family !== undefined) netOptions.family = family === 'IPv6' ? 6 : 4;
  if (options.local !== undefined) {
    const local = toEndpoint(options.local, { host: ANY_ADDRESS.IPv4 });
    if (isIP(local.host) === 0) {
      throw new InvalidEndpointError(
        `local host "${local.host}" must be an IP address of this machine, not a name`,
        options.local,
        'host',
      );
    }
    // The any-address means "whichever", so it is left to the system (and fits both families).
    if (local.host !== ANY_ADDRESS.IPv4 && local.host !== ANY_ADDRESS.IPv6) {
      netOptions.localAddress = local.host;
    }
    if (local.port !== 0) netOptions.localPort = local.port;
  }
  return { endpoint, netOptions, receiveBufferLimit, noDelay, keepAlive, tls, readBufferSize };
}

/**
 * Opens the connection `plan` describes, bounded by the timeout and signal of `options`, and
 * speaks TLS over it if asked. Throws dsock errors only; on failure the Node socket is
 * destroyed.
 */
export async function openConnection(plan: ConnectPlan, options: WaitOptions): Promise<Socket> {
  const { endpoint, tls } = plan;
  const started = performance.now();
  const what = connectWhat(endpoint);
  // node:tls is loaded only by a connection that speaks it, and before connecting: once
  // connected, the socket reads, and no turn of the event loop may pass before the handshake
  // listens for its errors (a reset then would be an uncaught error).
  const handshakes = tls === undefined ? undefined : await import('./tls-handshake.js');
  const socket = readingSocket(tls === undefined ? plainReading(plan) : undefined);
  await waitWithDeadline<void>(
    (settle) => {
      const onConnect = (): void => {
        socket.off('error', onError);
        settle.resolve();
      };
      const onError = (error: Error): void => {
        socket.off('connect', onConnect);
        socket.destroy();
        settle.reject(connectError(error, endpoint));
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      try {
        socket.connect(plan.netOptions);
      } catch (error) {
        // Node checks some options synchronously; their errors are mapped like the others.
        onError(error as Error);
      }
      return () => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
        socket.on('error', ignore);
        socket.destroy();
      };
    },
    options,
    what,
    endpoint,
  );
  setConnectedOptions(socket, plan);
  if (tls === undefined || handshakes === undefined) return socket;
  const left =
    options.timeout === undefined || options.timeout === Infinity
      ? undefined
      : Math.max(1, options.timeout - (performance.now() - started));
  return handshakes.startClientTls(socket, tls, endpoint, {
    timeout: left,
    signal: options.signal,
  });
}

/** What a connect without a deadline keeps on its socket, under {@link owner}, while it waits. */
interface PendingConnect<T> {
  readonly plan: ConnectPlan;
  /** Settles the connect: with the wrapper, or with a rejected promise for a failure. */
  readonly resolve: (value: unknown) => void;
  /** Wraps the connected socket. */
  readonly wrap: (socket: Socket, receiveBufferLimit: number) => T;
}

type Connecting = OwnedSocket<PendingConnect<unknown>>;

/**
 * Opens the plain TCP connection `plan` describes with no deadline (the common connect) and
 * resolves with `wrap`'s wrapper of the connected socket, made as the socket connects. It
 * takes one promise and one small object per connect: shared listeners reach the connect's
 * state through the socket's {@link owner} field, which the wrapper takes over, so nothing
 * made for the wait outlives it (a burst of connects in flight otherwise carries their
 * closures, listener wrappers and async frames through collections).
 */
export function connectWithoutDeadline<T>(
  plan: ConnectPlan,
  wrap: (socket: Socket, receiveBufferLimit: number) => T,
): Promise<T> {
  const socket = readingSocket(plainReading(plan)) as Connecting;
  const promise = pendingPromise<T>();
  socket[owner] = { plan, resolve: takeResolve(), wrap };
  socket.on('connect', onConnected);
  socket.on('error', onConnectFailed);
  try {
    socket.connect(plan.netOptions);
  } catch (error) {
    // Node checks some options synchronously; their errors are mapped like the others.
    onConnectFailed.call(socket, error as Error);
  }
  return promise;
}

function onConnected(this: Connecting): void {
  const pending = this[owner];
  this.off('connect', onConnected);
  this.off('error', onConnectFailed);
  try {
    setConnectedOptions(this, pending.plan);
    pending.resolve(pending.wrap(this, pending.plan.receiveBufferLimit));
  } catch (error) {
    // Called by the socket's emit: what fails here rejects the connect rather than the emit.
    this.destroy();
    pending.resolve(Promise.reject(connectError(error, pending.plan.endpoint)));
  }
}

function onConnectFailed(this: Connecting, error: Error): void {
  const pending = this[owner];
  this.off('connect', onConnected);
  this.off('error', onConnectFailed);
  this.destroy();
  pending.resolve(Promise.reject(connectError(error, pending.plan.endpoint)));
}

/** The `onread` option of a plain TCP connect (see {@link ConnectOptions.readBufferSize}). */
function plainReading(plan: ConnectPlan): OnReadOpts {
  return plan.readBufferSize === undefined ? sharedReading() : slabReading(plan.readBufferSize);
}

/** Applies the options that take a connected socket: noDelay and keepAlive. */
function setConnectedOptions(socket: Socket, plan: ConnectPlan): void {
  if (plan.noDelay === true) socket.setNoDelay(true);
  const keepAlive = plan.keepAlive;
  if (keepAlive !== undefined && keepAlive !== false) {
    socket.setKeepAlive(true, keepAlive === true ? 0 : keepAliveDelay(keepAlive));
  }
}

/** The operation a connect names in its errors. */
function connectWhat(endpoint: Endpoint): string {
  return `connect to ${formatEndpoint(endpoint)}`;
}

/**
 * A socket that reads through `onread` (paused, so that no read is made before the
 * StreamSocket wrapping it listens: it resumes reading then), or, without it (TLS reads the
 * connection itself), a plain one.
 */
function readingSocket(onread: OnReadOpts | undefined): Socket {
  if (onread === undefined) return new Socket({ allowHalfOpen: true });
  const socket = new Socket({ allowHalfOpen: true, onread } as SocketConstructorOpts);
  socket.pause();
  return socket;
}

/**
 * Maps a connect failure. Whatever code the resolver failed with (a system error such as
 * ENETUNREACH while reaching the DNS server, too), a failed host name lookup is a
 * {@link NameResolutionError}: the connection never got as far as the network.
 */
function connectError(error: unknown, endpoint: Endpoint): SocketError {
  const mapped = toSocketError(error, 'connect', endpoint);
  const syscall = (error as { syscall?: unknown } | null)?.syscall;
  if (syscall !== 'getaddrinfo' || mapped instanceof NameResolutionError) return mapped;
  return new NameResolutionError(
    `${connectWhat(endpoint)} failed: cannot resolve host name "${endpoint.host}" (${mapped.code})`,
    endpoint.host,
    { endpoint, cause: error },
  );
}
