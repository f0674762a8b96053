import type { Socket } from 'node:dgram';
import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import {
  MessageTooLargeError,
  PermissionDeniedError,
  toSocketError,
  type SocketError,
} from '../errors.js';

type SendDone = (error: Error | null, bytes?: number) => void;

/** What a failed send turns into, decided by the socket (which knows if it is closed). */
export type SendFailure = (error: Error, size: number, to: Endpoint | undefined) => SocketError;

/** Marks a send settled because the socket closed before Node sent it. */
export const CLOSED = new Error('socket closed');

/**
 * The sending side of a datagram socket: hands datagrams to Node, counts what went out, and
 * keeps every send in flight so that none is left unsettled when the socket closes.
 */
export class Outbox {
  readonly #socket: Socket;
  readonly #failure: SendFailure;
  readonly #pending = new Set<SendDone>();
  sent = 0;
  bytesSent = 0;

  constructor(socket: Socket, failure: SendFailure) {
    this.#socket = socket;
    this.#failure = failure;
  }

  /** Sends `payload` to `host`:`port`, or to the connected peer when `host` is undefined. */
  send(payload: Uint8Array, host: string | undefined, port: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const done: SendDone = (error, bytes) => {
        if (!this.#pending.delete(done)) return;
        // A datagram that went out counts as sent even if close() came before the callback.
        if (error === null) {
          const size = bytes ?? payload.length;
          this.sent++;
          this.bytesSent += size;
          resolve(size);
        } else {
          reject(
            this.#failure(error, payload.length, host === undefined ? undefined : { host, port }),
          );
        }
      };
      this.#pending.add(done);
      try {
        if (host === undefined) this.#socket.send(payload, done);
        else this.#socket.send(payload, port, host, done);
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * Settles the sends still in flight once the socket has closed: Node drops, without a
   * callback, a send whose address was still being looked up when the socket closed.
   */
  abandon(): void {
    for (const done of [...this.#pending]) done(CLOSED);
  }
}

/** The facts a send error message needs. */
export interface SendErrorContext {
  what: 'send' | 'sendTo';
  size: number;
  target: Endpoint | undefined;
  limit: number;
  broadcast: boolean;
}

/** Maps a system error from a send, with a hint where the usual cause is known. */
export function sendError(error: Error, context: SendErrorContext): SocketError {
  const { what, size, target, limit } = context;
  const code = (error as { code?: unknown }).code;
  const head =
    target === undefined
      ? what
      : `${what === 'send' ? 'send to' : 'sendTo'} ${formatEndpoint(target)}`;
  const options = { endpoint: target, cause: error };
  if (code === 'EMSGSIZE') {
    return new MessageTooLargeError(
      `${head} failed: the system refused a ${size}-byte datagram as too long`,
      size,
      limit,
      options,
    );
  }
  if ((code === 'EACCES' || code === 'EPERM') && !context.broadcast) {
    return new PermissionDeniedError(
      `${head} failed: permission denied (a broadcast address needs setBroadcast(true))`,
      options,
    );
  }
  return toSocketError(error, 'send', target);
}
