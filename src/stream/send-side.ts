/**
 * The sending side of a stream socket: writing all of a payload, ending the stream after it,
 * and the errors of both, each naming the peer.
 */
import type { Socket } from 'node:net';
import { finished } from 'node:stream';
import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import {
  type InvalidArgumentError,
  SocketClosedError,
  toSocketError,
  type SocketError,
} from '../errors.js';
import type { Settle } from '../internal/deadline.js';
import { invalidData } from '../internal/validate.js';
import { writableErrored } from './net-socket.js';

const DONE = Promise.resolve();

/** The key of {@link SendFailureSink}'s method, kept out of the owner's public API. */
export const sendFailure: unique symbol = Symbol('sendFailure');

/**
 * Turns what Node reported for a failed write into the error the caller sees; an object with a
 * method rather than a callback, so that no closure is made per send.
 */
export interface SendFailureSink {
  readonly closed: boolean;
  [sendFailure](error: unknown): Error;
}

/**
 * What sendAll refuses before writing: an InvalidArgumentError for data that is neither a
 * string nor a Uint8Array, `'empty'` for nothing to send, undefined for data to write.
 */
export function checkSendData(data: unknown): InvalidArgumentError | 'empty' | undefined {
  if (typeof data === 'string') return data.length === 0 ? 'empty' : undefined;
  if (data instanceof Uint8Array) return data.byteLength === 0 ? 'empty' : undefined;
  return invalidData(data);
}

/** Writes `data` and resolves once the kernel has taken all of it. */
export function writeAll(
  socket: Socket,
  data: string | Uint8Array,
  encoding: BufferEncoding,
  sink: SendFailureSink,
): Promise<void> {
  let settle: Settle<void> | undefined;
  // Write callbacks always run later, never inside write().
  socket.write(data, encoding, (error) => {
    if (settle === undefined) return;
    // Node reports a write cut short by destroy() as a success; it was not delivered.
    if (error || socket.destroyed) settle.reject(sink[sendFailure](error));
    else settle.resolve();
  });
  // Usually the kernel takes the data within write(): nothing is left queued and no error was
  // recorded, so the caller need not wait for the callback's extra turn of the event loop.
  if (socket.writableLength === 0 && writableErrored(socket) == null) return DONE;
  return new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
}

/**
 * Ends the writing side once all pending data is out, resolving when the end of stream has
 * been handed to the kernel after the data.
 */
export function endWriting(socket: Socket, sink: SendFailureSink): Promise<void> {
  const ended = new Promise<void>((resolve, reject) => {
    finished(socket, { readable: false }, (error) => {
      // finished() also reports a write side that destroy() ended by discarding what was
      // still queued; only 'finish' means the end of stream went out after all the data.
      if (error || sink.closed || !socket.writableFinished) reject(sink[sendFailure](error));
      else resolve();
    });
  });
  socket.end();
  return ended;
}

/** A send on a socket that was closed. */
export function closedForSending(remote: Endpoint): SocketClosedError {
  return new SocketClosedError(`send to ${formatEndpoint(remote)} failed: socket is closed`, {
    endpoint: remote,
  });
}

/** A send after `shutdown('write')`. */
export function shutDownForSending(remote: Endpoint): SocketClosedError {
  return new SocketClosedError(
    `send to ${formatEndpoint(remote)} failed: the sending side was shut down`,
    { endpoint: remote },
  );
}

/**
 * A send (or the end of stream after it) that failed on its way out: `error` is what Node
 * reported, if anything. Node reports a write cut short by the connection's end as a premature
 * close, or not at all.
 */
export function failedOnTheWay(error: unknown, remote: Endpoint): SocketError {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (error == null || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new SocketClosedError(
      `send to ${formatEndpoint(remote)} failed: the connection closed first`,
      { endpoint: remote, cause: error ?? undefined },
    );
  }
  return toSocketError(error, 'send', remote);
}
