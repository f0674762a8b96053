import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import type { TlsConnectOptions } from '../stream/tls-options.js';
import { formatEndpoint } from '../endpoint/format.js';
import { toEndpoint } from '../endpoint/parse.js';
import {
  ConnectionResetError,
  InvalidArgumentError,
  MessageTooLargeError,
  SocketClosedError,
} from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import {
  checkFamily,
  checkOptionalFlag,
  checkOptionsObject,
  invalidOptionsObject,
  invalidTimeout,
} from '../internal/validate.js';
import { rpcCall } from '../internal/channels.js';
import { MessageStream } from '../framing/message-stream.js';
import { Request, rpcRegistry } from './messages.js';
import { lostUnsent, MultiplexedConnection, readResponse } from './multiplexed-connection.js';
import { integerOption, registryOption, wireFraming, type RpcWireOptions } from './options.js';
import type { TypeRegistry } from './presentation.js';
import { makeStub, type RpcStub } from './stub.js';
import { Deadline, type ClientWire } from './call-deadline.js';

/** How long a call may take, connecting included, unless told otherwise: 30 s. */
export const DEFAULT_CALL_TIMEOUT = 30_000;

/** Options of one call. */
export interface CallOptions extends WaitOptions {
  /**
   * Milliseconds the whole call may take, connecting included, before it rejects with
   * {@link TimeoutError} (default: the client's {@link RpcClientOptions.timeout}).
   */
  timeout?: number | undefined;
  /** The request's metadata (the secure users service reads a Token here); null by default. */
  metadata?: unknown;
}

/** Options of an {@link RpcClient}. */
export interface RpcClientOptions extends RpcWireOptions {
  /**
   * Reuse one connection for every call, many in flight at once, each request carrying an
   * `id` its response echoes (default false). Needs a server that answers with the `id`, such
   * as dsock's {@link RpcServer}; the course's servers answer one call per connection, which is
   * what the client does by default: connect, send one request, read one response, close.
   */
  multiplex?: boolean;
  /** The default timeout of each call, in ms (default {@link DEFAULT_CALL_TIMEOUT}, 30 s). */
  timeout?: number;
  /** The IP version to connect with, for a host name or a bare port. */
  family?: AddressFamily;
  /**
   * Milliseconds a started response frame may take to arrive whole (default 10 s; 0: no
   * limit), on a multiplexed connection (one call per connection is bounded by its timeout).
   */
  partialFrameTimeout?: number;
  /** Connect over TLS with these options (`true`: the defaults); see {@link ConnectOptions.tls}. */
  tls?: boolean | TlsConnectOptions;
}

/**
 * A client of remote procedure calls in the course's wire format (see {@link RpcServer}).
 * Connects lazily. By default each call has a connection of its own, as the course's client
 * does and the course's servers expect; with `multiplex: true` calls share one connection, many
 * in flight, and a lost connection is replaced by a new one at the next call. Calls that were
 * in flight on a lost connection reject, not sent again (a call may not be safe to repeat),
 * with one exception: a call that went out alone on a connection the server was just closing
 * as idle (lost with nothing answered after it was sent) cannot have run, and is sent once
 * more on a new connection.
 *
 * A call resolves with the decoded result, and rejects with {@link RemoteError} (the server's
 * error text), {@link TimeoutError}, {@link AbortError}, `ProtocolError` for an answer that is
 * not a Response, or the connection's error (`ConnectionRefusedError`, `ConnectionResetError`).
 *
 * @example
 * ```ts
 * import { RpcClient, RpcServer } from 'dsock';
 *
 * const server = await RpcServer.listen('127.0.0.1:0', {
 *   methods: { add: (_context, a: number, b: number) => a + b },
 * });
 * const client = new RpcClient(server.localEndpoint);
 * console.log(await client.call('add', [2, 3], { timeout: 5000 })); // 5
 * interface Calculator { add(a: number, b: number): number }
 * const calc = client.stub<Calculator>();
 * console.log(await calc.add(1, 2)); // 3
 * await client.close();
 * await server.close();
 * ```
 */
export class RpcClient {
  /** The server. */
  readonly remoteEndpoint: Endpoint;
  readonly #wire: ClientWire;
  readonly #multiplex: boolean;
  readonly #timeout: number;
  readonly #family: AddressFamily | undefined;
  readonly #partialFrameTimeout: number;
  readonly #tls: boolean | TlsConnectOptions | undefined;
  readonly #open = new Set<MessageStream>();
  #shared: MultiplexedConnection | undefined;
  #connecting: Promise<MultiplexedConnection> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #nextId = 1;

  /**
   * Throws {@link InvalidEndpointError} for an unusable server address, and
   * {@link InvalidArgumentError} for an unusable option.
   */
  constructor(remote: EndpointLike, options: RpcClientOptions = {}) {
    checkOptionsObject(options, '{ multiplex: true, timeout: 5000 }');
    const family = checkFamily(options.family);
    this.remoteEndpoint = toEndpoint(remote, { host: family === 'IPv6' ? '::1' : '127.0.0.1' });
    const framing = wireFraming(options);
    this.#wire = { registry: registryOption(options.registry, rpcRegistry), ...framing };
    this.#multiplex = checkOptionalFlag('multiplex', options.multiplex) === true;
    const invalid = invalidTimeout(options.timeout);
    if (invalid) throw invalid;
    this.#timeout = options.timeout ?? DEFAULT_CALL_TIMEOUT;
    this.#family = family;
    this.#tls = options.tls;
    this.#partialFrameTimeout = integerOption(
      'partialFrameTimeout',
      options.partialFrameTimeout,
      10_000,
      0,
      2 ** 31 - 1,
    );
  }

  /** The type registry results are decoded with (and arguments encoded). */
  get registry(): TypeRegistry {
    return this.#wire.registry;
  }

  /**
   * Calls `name` with `args` and resolves with its result. `options.metadata` goes in the
   * request's metadata. A bad name, arguments or option, or an argument that cannot be
   * encoded, rejects with {@link InvalidArgumentError}, and a request larger than
   * `maxMessageSize` with {@link MessageTooLargeError}, before anything is sent.
   */
  async call(
    name: string,
    args: readonly unknown[] = [],
    options: CallOptions = {},
  ): Promise<unknown> {
    if (typeof name !== 'string' || name === '') {
      throw new InvalidArgumentError('name', 'a method name (a non-empty string)', name);
    }
    if (!Array.isArray(args)) {
      throw new InvalidArgumentError('args', 'an array of arguments, such as [1, 2]', args);
    }
    const notOptions = invalidOptionsObject(options, '{ timeout: 5000 }');
    if (notOptions) throw notOptions;
    const invalid = invalidTimeout(options.timeout);
    if (invalid) throw invalid;
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('signal', 'an AbortSignal', options.signal);
    }
    if (this.#closed) throw new SocketClosedError(`call ${name}: the client is closed`);
    const timeout = options.timeout ?? this.#timeout;
    const what = `call ${name} on ${formatEndpoint(this.remoteEndpoint)}`;
    const deadline = new Deadline(timeout, options.signal, what, this.remoteEndpoint);
    try {
      // The id is the client's, not the connection's: the request is encoded, and its size
      // checked, before anything is sent or connected.
      const id = this.#multiplex ? this.#nextId++ : undefined;
      const text = this.#wire.registry.stringify(
        new Request(name, args, options.metadata ?? null, id),
      );
      const size = Buffer.byteLength(text);
      if (size > this.#wire.maxMessageSize) {
        throw new MessageTooLargeError(
          `${what}: the request takes ${size} bytes, more than the ${this.#wire.maxMessageSize} ` +
            `a message may carry (prefix ${this.#wire.prefix}, maxMessageSize)`,
          size,
          this.#wire.maxMessageSize,
          { endpoint: this.remoteEndpoint },
        );
      }
      if (id !== undefined) {
        const shared = this.#shared;
        const connection =
          shared !== undefined && !shared.failed
            ? shared
            : await deadline.run(this.#sharedConnection(what));
        try {
          return await connection.call(id, name, text, deadline);
        } catch (error) {
          if (!(error instanceof Error && lostUnsent.has(error)) || this.#closed) throw error;
          // The server closed the idle connection as the call went out: it never ran it.
          const again = await deadline.run(this.#sharedConnection(what));
          return await again.call(id, name, text, deadline);
        }
      }
      return await this.#callAlone(name, text, deadline);
    } finally {
      deadline.dispose();
    }
  }

  /**
   * A typed stub: `stub.add(1, 2)` is `call('add', [1, 2], options)`. The interface is the
   * caller's promise of what the server offers; results are decoded but not checked against it.
   */
  stub<T extends object>(options: CallOptions = {}): RpcStub<T> {
    return makeStub<T>((name, args) => this.call(name, args, options));
  }

  /**
   * Closes every connection; calls in flight reject with {@link SocketClosedError}, and later
   * calls too. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const closing = [...this.#open].map((stream) => stream.close());
    if (this.#shared) closing.push(this.#shared.close());
    const connecting = this.#connecting;
    this.#connecting = undefined;
    if (connecting) closing.push(connecting.then((c) => c.close()).catch(() => undefined));
    await Promise.all(closing);
  }

  /** Closes the client (see {@link close}) at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #connect(wait: WaitOptions): Promise<MessageStream> {
    return MessageStream.connect(this.remoteEndpoint, {
      prefix: this.#wire.prefix,
      maxMessageSize: this.#wire.maxMessageSize,
      partialFrameTimeout: this.#partialFrameTimeout,
      family: this.#family,
      ...(this.#tls !== undefined ? { tls: this.#tls } : {}),
      ...wait,
    });
  }

  /** One call on a connection of its own: the course's way. */
  async #callAlone(name: string, text: string, deadline: Deadline): Promise<unknown> {
    const stream = await deadline.run(this.#connect({ signal: deadline.signal }));
    this.#open.add(stream);
    try {
      if (this.#closed) throw new SocketClosedError(`${deadline.what}: the client is closed`);
      if (rpcCall.hasSubscribers) rpcCall.publish({ remote: this.remoteEndpoint, detail: name });
      await deadline.run(stream.send(text));
      const frame = await deadline.run(stream.recv());
      if (frame === null) {
        throw new ConnectionResetError(
          `${deadline.what} failed: the server closed the connection without answering`,
          { endpoint: this.remoteEndpoint },
        );
      }
      return readResponse(frame, this.#wire.registry, name, this.remoteEndpoint);
    } finally {
      this.#open.delete(stream);
      await stream.close();
    }
  }

  /**
   * The shared connection, connecting when there is none: once for every caller waiting, and
   * bounded by the client's timeout rather than by one caller's.
   */
  #sharedConnection(what: string): Promise<MultiplexedConnection> {
    if (this.#shared !== undefined && !this.#shared.failed) return Promise.resolve(this.#shared);
    this.#shared = undefined;
    this.#connecting ??= this.#connect({ timeout: this.#timeout })
      .then((stream) => {
        const connection = new MultiplexedConnection(stream, this.#wire, this.remoteEndpoint);
        if (this.#closed) {
          void connection.close();
          throw new SocketClosedError(`${what}: the client is closed`);
        }
        this.#shared = connection;
        return connection;
      })
      .finally(() => {
        this.#connecting = undefined;
      });
    return this.#connecting;
  }
}
