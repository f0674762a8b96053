import type { Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { InvalidArgumentError, SocketClosedError, SocketError } from '../errors.js';
import { rpcReply } from '../internal/channels.js';
import { MessageStream } from '../framing/message-stream.js';
import { StreamServer, type ListenOptions } from '../stream/stream-server.js';
import type { StreamSocket } from '../stream/stream-socket.js';
import { rpcRegistry } from './messages.js';
import { MethodTable, type Arity, type RpcMethod } from './methods.js';
import { checkOptionsObject } from '../internal/validate.js';
import {
  callbackOption,
  integerOption,
  registryOption,
  wireFraming,
  type RpcWireOptions,
} from './options.js';
import type { TypeRegistry } from './presentation.js';

/** How long a connection may stay silent unless told otherwise: 120 s. */
export const DEFAULT_RPC_IDLE_TIMEOUT = 120_000;
/** How long a started request frame may take to arrive whole unless told otherwise: 10 s. */
export const DEFAULT_RPC_PARTIAL_FRAME_TIMEOUT = 10_000;
/** How many calls of one connection run at once unless told otherwise: 128. */
export const DEFAULT_MAX_CALLS_IN_FLIGHT = 128;
/** How many response bytes wait for one slow reader before its requests wait: 64 KiB. */
export const DEFAULT_RESPONSE_BUFFER_LIMIT = 64 * 1024;

/** Options of {@link RpcServer.listen}. */
export interface RpcServerOptions
  extends
    RpcWireOptions,
    Pick<
      ListenOptions,
      | 'backlog'
      | 'family'
      | 'ipv6Only'
      | 'maxConnections'
      | 'acceptQueueLimit'
      | 'onRefused'
      | 'receiveBufferLimit'
      | 'tls'
    > {
  /**
   * Milliseconds a connection may stay idle, nothing received and nothing sent, before the
   * server closes it (default {@link DEFAULT_RPC_IDLE_TIMEOUT}, 120 s; 0: never). A call
   * that runs longer than this on an otherwise silent connection loses its connection too:
   * raise it for slow methods.
   */
  idleTimeout?: number;
  /**
   * Milliseconds within which a request frame the client has started must arrive whole
   * (default {@link DEFAULT_RPC_PARTIAL_FRAME_TIMEOUT}, 10 s; 0: no limit); past it the
   * connection is closed.
   */
  partialFrameTimeout?: number;
  /**
   * The most calls of one connection running at once (default
   * {@link DEFAULT_MAX_CALLS_IN_FLIGHT}, 128). At the limit the server reads no further
   * requests from that connection until a call finishes, so TCP slows the client down.
   */
  maxCallsInFlight?: number;
  /**
   * The most response bytes held for a client that does not read them (default
   * {@link DEFAULT_RESPONSE_BUFFER_LIMIT}, 64 KiB); past it the server reads no further
   * requests from that connection until the client has taken its responses.
   */
  responseBufferLimit?: number;
  /** The methods, by name: the same as calling {@link RpcServer.method} for each. */
  methods?: Readonly<Record<string, RpcMethod>>;
  /**
   * Called when a connection ends with an error (a malformed or oversized frame, a peer that
   * reset, stalled mid-frame or idled out), for logging. The connection is closed already.
   */
  onConnectionError?: (error: SocketError, remote: Endpoint) => void;
}

/** Counters of an {@link RpcServer}. */
export interface RpcServerStats {
  /** Connections being served now. */
  connections: number;
  /** Calls answered, with a result or an error. */
  calls: number;
  /** Connections that ended with an error (see {@link RpcServerOptions.onConnectionError}). */
  connectionErrors: number;
}

interface Settings {
  readonly registry: TypeRegistry;
  readonly prefix: 'uint16be' | 'uint32be';
  readonly maxMessageSize: number;
  readonly partialFrameTimeout: number;
  readonly maxCallsInFlight: number;
  readonly responseBufferLimit: number;
  readonly onConnectionError: ((error: SocketError, remote: Endpoint) => void) | undefined;
}

/**
 * A server of remote procedure calls in the course's wire format: each request is a frame
 * (2-byte big-endian length by default) of tagged JSON naming a method and its arguments; each
 * answer a Response frame with the result or the error's text. Serves many clients at once,
 * and many calls per connection (answered with their request's `id`, as they finish); a
 * course-style client that sends one request and closes is served just the same.
 *
 * Nothing a client sends can crash or stall it: malformed JSON, a wrong or missing `$type`, an
 * unknown method or wrong arity get an error response; an oversized or malformed frame, a frame
 * left unfinished, or a silent connection closes that connection; and every buffer a client
 * can fill has a limit (see {@link RpcServerOptions}).
 *
 * @example
 * ```ts
 * const server = await RpcServer.listen('127.0.0.1:0', {
 *   methods: { add: (_context, a: number, b: number) => a + b },
 * });
 * const client = new RpcClient(server.localEndpoint);
 * console.log(await client.call('add', [1, 2])); // 3
 * await server.close();
 * ```
 */
export class RpcServer {
  readonly #server: StreamServer;
  readonly #methods: MethodTable;
  readonly #settings: Settings;
  readonly #streams = new Set<MessageStream>();
  readonly #serving: Promise<void>;
  #calls = 0;
  #connectionErrors = 0;
  #closing: Promise<void> | undefined;
  /**
   * Per connection, what wakes it while it waits for a call to finish: close() wakes them all,
   * so that a method that never settles cannot hold the close.
   */
  readonly #waiting = new Set<() => void>();
  #stopping = false;

  private constructor(server: StreamServer, settings: Settings, methods: MethodTable) {
    this.#server = server;
    this.#methods = methods;
    this.#settings = settings;
    this.#serving = this.#acceptLoop();
  }

  /**
   * Listens on `local` (as {@link StreamServer.listen}) and serves calls until
   * {@link RpcServer.close}. Rejects as StreamServer.listen does, and with
   * {@link InvalidArgumentError} for an unusable option or method.
   */
  static async listen(local?: EndpointLike, options: RpcServerOptions = {}): Promise<RpcServer> {
    checkOptionsObject(options, '{ methods: { add: (_context, a, b) => a + b } }');
    const framing = wireFraming(options);
    const settings: Settings = {
      registry: registryOption(options.registry, rpcRegistry),
      ...framing,
      partialFrameTimeout: integerOption(
        'partialFrameTimeout',
        options.partialFrameTimeout,
        DEFAULT_RPC_PARTIAL_FRAME_TIMEOUT,
        0,
        2 ** 31 - 1,
      ),
      maxCallsInFlight: integerOption(
        'maxCallsInFlight',
        options.maxCallsInFlight,
        DEFAULT_MAX_CALLS_IN_FLIGHT,
        1,
        2 ** 20,
      ),
      responseBufferLimit: integerOption(
        'responseBufferLimit',
        options.responseBufferLimit,
        DEFAULT_RESPONSE_BUFFER_LIMIT,
        1,
        2 ** 31 - 1,
      ),
      onConnectionError: callbackOption('onConnectionError', options.onConnectionError),
    };
    const methods = new MethodTable();
    const offered: unknown = options.methods ?? {};
    if (typeof offered !== 'object' || offered === null || Array.isArray(offered)) {
      throw new InvalidArgumentError(
        'methods',
        'an object of methods by name, such as { add: (_context, a, b) => a + b }',
        offered,
      );
    }
    for (const [name, method] of Object.entries(offered)) methods.add(name, method as RpcMethod);
    const server = await StreamServer.listen(local, {
      backlog: options.backlog,
      family: options.family,
      ipv6Only: options.ipv6Only,
      maxConnections: options.maxConnections,
      acceptQueueLimit: options.acceptQueueLimit,
      onRefused: options.onRefused,
      receiveBufferLimit: options.receiveBufferLimit,
      tls: options.tls,
      idleTimeout: integerOption(
        'idleTimeout',
        options.idleTimeout,
        DEFAULT_RPC_IDLE_TIMEOUT,
        0,
        2 ** 31 - 1,
      ),
    });
    return new RpcServer(server, settings, methods);
  }

  /**
   * Offers `method` under `name`. Its arity is checked before it runs: by default exactly the
   * parameters it declares after the context; `arity` says otherwise (optional arguments).
   * Throws {@link InvalidArgumentError} for an empty name, a method that is not a function or
   * an arity that cannot be met.
   */
  method(name: string, method: RpcMethod, arity?: Arity): this {
    this.#methods.add(name, method, arity);
    return this;
  }

  /** The address and port the server listens on. */
  get localEndpoint(): Endpoint {
    return this.#server.localEndpoint;
  }

  /** The connection-level counters of the underlying {@link StreamServer}. */
  get streamStats(): StreamServer['stats'] {
    return this.#server.stats;
  }

  /** A snapshot of the server's counters. */
  get stats(): RpcServerStats {
    return {
      connections: this.#streams.size,
      calls: this.#calls,
      connectionErrors: this.#connectionErrors,
    };
  }

  /**
   * Stops listening and closes every connection. Calls still running are not waited for:
   * they may finish, but their answers are not sent. Resolves once the port is free and every
   * connection is closed. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#server.close();
    this.#stopping = true;
    for (const wake of this.#waiting) wake();
    await Promise.all([...this.#streams].map((stream) => stream.close()));
    await this.#serving;
  }

  /** Closes the server (see {@link close}) at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #acceptLoop(): Promise<void> {
    const connections = new Set<Promise<void>>();
    try {
      for await (const socket of this.#server) {
        const served = this.#serve(socket).finally(() => connections.delete(served));
        connections.add(served);
      }
    } finally {
      await Promise.all(connections);
    }
  }

  async #serve(socket: StreamSocket): Promise<void> {
    const settings = this.#settings;
    const remote = socket.remoteEndpoint;
    const stream = new MessageStream(socket, {
      prefix: settings.prefix,
      maxMessageSize: settings.maxMessageSize,
      partialFrameTimeout: settings.partialFrameTimeout,
      highWaterMark: settings.responseBufferLimit,
    });
    this.#streams.add(stream);
    let inFlight = 0;
    let slotFreed: (() => void) | undefined;
    let sendFailure: Error | undefined;
    const answer = (text: string): void => {
      this.#calls++;
      if (rpcReply.hasSubscribers) rpcReply.publish({ remote, size: text.length });
      try {
        stream.write(text);
      } catch (error) {
        sendFailure ??= error as Error;
      }
    };
    const finished = (text: string): void => {
      inFlight--;
      answer(text);
      slotFreed?.();
    };
    /** Waits for a running call to finish; false once the server is closing instead. */
    const callFinished = async (): Promise<boolean> => {
      if (this.#stopping) return false;
      let wake = (): void => undefined;
      await new Promise<void>((resolve) => {
        wake = slotFreed = resolve;
        this.#waiting.add(resolve);
      });
      slotFreed = undefined;
      this.#waiting.delete(wake);
      return !this.#stopping;
    };
    try {
      for (;;) {
        if (sendFailure !== undefined) throw sendFailure;
        if (stream.buffered >= settings.responseBufferLimit) await stream.drain();
        while (inFlight >= settings.maxCallsInFlight) {
          if (!(await callFinished())) return;
        }
        const frame = await stream.recv();
        if (frame === null) break;
        const response = this.#methods.dispatch(
          frame,
          remote,
          settings.registry,
          settings.maxMessageSize,
        );
        if (typeof response === 'string') {
          answer(response);
        } else {
          inFlight++;
          void response.then(finished);
        }
      }
      // The client has sent all it will: answer what still runs, then hang up.
      while (inFlight > 0) {
        if (!(await callFinished())) return;
      }
      await stream.flush();
    } catch (error) {
      if (!(error instanceof SocketClosedError && this.#server.closed)) {
        this.#connectionErrors++;
        const failure =
          error instanceof SocketError ? error : new SocketError(String(error), 'ERR_RPC');
        settings.onConnectionError?.(failure, remote);
      }
    } finally {
      this.#streams.delete(stream);
      await stream.close();
    }
  }
}
