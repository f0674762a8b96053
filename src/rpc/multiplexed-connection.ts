import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { rpcCall } from '../internal/channels.js';
import {
  ConnectionResetError,
  ProtocolError,
  RemoteError,
  SocketClosedError,
  SocketError,
  toSocketError,
} from '../errors.js';
import type { MessageStream } from '../framing/message-stream.js';
import type { Deadline, ClientWire } from './call-deadline.js';
import { expectTagged, Response } from './messages.js';
import type { TypeRegistry } from './presentation.js';

/** A call waiting for its response on a multiplexed connection. */
interface Pending {
  readonly name: string;
  /**
   * Sent while nothing else was in flight, and nothing has been answered since: if the
   * connection is lost now, the server closed an idle connection as the call went out.
   */
  readonly alone: boolean;
  readonly answeredBefore: number;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * Errors of calls that went out on a connection the server was closing as idle (see
 * {@link Pending.alone}): the server cannot have run them, so the client sends them again, once,
 * on a new connection.
 */
export const lostUnsent = new WeakSet<Error>();

/** The Response a frame holds; a {@link ProtocolError} naming what was wrong otherwise. */
export function decodeResponse(frame: Buffer, registry: TypeRegistry, remote: Endpoint): Response {
  try {
    return expectTagged(registry.parse(frame.toString('utf8')), Response, 'Response');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ProtocolError(
      `the answer of ${formatEndpoint(remote)} is not a Response: ${message}`,
      {
        endpoint: remote,
        cause: error,
      },
    );
  }
}

/** The result a response carries, or the {@link RemoteError} it reports. */
export function resultOf(response: Response, method: string, remote: Endpoint): unknown {
  if (response.error !== null) throw new RemoteError(method, response.error, { endpoint: remote });
  return response.result;
}

/** The result of the one response `frame` holds (one call per connection). */
export function readResponse(
  frame: Buffer,
  registry: TypeRegistry,
  method: string,
  remote: Endpoint,
): unknown {
  return resultOf(decodeResponse(frame, registry, remote), method, remote);
}

/**
 * One connection carrying many calls at once: each request has an `id`, and each response is
 * matched to its call by the `id` it echoes, in whatever order they come. The connection fails
 * as a whole (every call in flight rejects, and it is closed) when the server hangs up, sends
 * something that is not a Response, or answers without an id (a server that does not
 * multiplex).
 */
export class MultiplexedConnection {
  readonly #stream: MessageStream;
  readonly #wire: ClientWire;
  readonly #remote: Endpoint;
  readonly #pending = new Map<number, Pending>();
  #failure: SocketError | undefined;
  /** Responses received so far. */
  #answered = 0;

  constructor(stream: MessageStream, wire: ClientWire, remote: Endpoint) {
    this.#stream = stream;
    this.#wire = wire;
    this.#remote = remote;
    void this.#read();
  }

  /** True once the connection has failed or closed: the client then makes a new one. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Sends `text`, a request carrying `id`, and resolves with the result of `name`. */
  call(id: number, name: string, text: string, deadline: Deadline): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<unknown>((resolve, reject) => {
      const off = deadline.onStop(() => {
        this.#pending.delete(id);
        reject(deadline.reason ?? new Error(`${deadline.what} stopped`));
      });
      this.#pending.set(id, {
        name,
        alone: this.#pending.size === 0,
        answeredBefore: this.#answered,
        resolve(result) {
          off();
          resolve(result);
        },
        reject(error) {
          off();
          reject(error);
        },
      });
      if (rpcCall.hasSubscribers) rpcCall.publish({ remote: this.#remote, detail: name });
      try {
        this.#stream.write(text);
      } catch (error) {
        this.#pending.get(id)?.reject(toSocketError(error, 'send', this.#remote));
        this.#pending.delete(id);
      }
    });
  }

  /** Closes the connection; calls in flight reject with {@link SocketClosedError}. */
  close(): Promise<void> {
    this.#fail(
      new SocketClosedError(`connection to ${formatEndpoint(this.#remote)}: the client is closed`, {
        endpoint: this.#remote,
      }),
    );
    return this.#stream.close();
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.#stream.recv();
        if (frame === null) {
          throw new ConnectionResetError(
            `${formatEndpoint(this.#remote)} closed the connection` +
              (this.#pending.size > 0 ? ` with ${this.#pending.size} calls unanswered` : ''),
            { endpoint: this.#remote },
          );
        }
        this.#answered++;
        const response = decodeResponse(frame, this.#wire.registry, this.#remote);
        if (typeof response.id !== 'number') {
          throw new ProtocolError(
            `${formatEndpoint(this.#remote)} answered without the request's id: it serves one ` +
              'call per connection; use the client without multiplex',
            { endpoint: this.#remote },
          );
        }
        const call = this.#pending.get(response.id);
        // A call that timed out or was aborted is forgotten: its late answer is dropped.
        if (call === undefined) continue;
        this.#pending.delete(response.id);
        try {
          call.resolve(resultOf(response, call.name, this.#remote));
        } catch (error) {
          call.reject(error as Error);
        }
      }
    } catch (error) {
      this.#fail(
        error instanceof SocketError ? error : toSocketError(error, 'receive', this.#remote),
      );
      void this.#stream.close();
    }
  }

  #fail(error: SocketError): void {
    this.#failure ??= error;
    const failure = this.#failure;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const lost = failure instanceof ConnectionResetError;
    for (const call of pending) {
      if (lost && call.alone && call.answeredBefore === this.#answered) {
        const again = new ConnectionResetError(failure.message, {
          endpoint: this.#remote,
          cause: failure,
        });
        lostUnsent.add(again);
        call.reject(again);
      } else {
        call.reject(failure);
      }
    }
  }
}
