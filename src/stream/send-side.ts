/**
 * The sending side of a stream socket: writing all of a payload, ending the stream after it,
 * and the errors of both, each naming the peer.
 */
import { Buffer } from 'node:buffer';
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
import { afterATurn } from '../internal/after-a-turn.js';
import { invalidData, isUint8Array } from '../internal/validate.js';
import { writeToKernel } from './kernel-write.js';
import { writableErrored } from './net-socket.js';

const DONE = Promise.resolve();
const EMPTY = Buffer.alloc(0);

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
  if (isUint8Array(data)) return data.byteLength === 0 ? 'empty' : undefined;
  return invalidData(data);
}

/**
 * A send that the kernel takes at once settles at once, so a loop of such sends runs as one
 * chain of promise reactions: while the peer reads as fast as it is sent to (a loopback peer
 * easily does), the event loop would get no turn, and timers, other connections and signals
 * would wait. Every this many sends at once (of all the thread's sockets), the send resolves
 * only after a turn of the loop: its bytes are already in the kernel, so the peer waits for
 * nothing.
 */
const SENDS_AT_ONCE_BEFORE_A_TURN = 32;
let sendsAtOnce = 0;
let nextTurn: Promise<void> | undefined;

/** What a send the kernel took at once returns: settled, or every so often after a turn. */
function sentAtOnce(): Promise<void> {
  if (++sendsAtOnce < SENDS_AT_ONCE_BEFORE_A_TURN) return DONE;
  sendsAtOnce = 0;
  return (nextTurn ??= new Promise<void>((resolve) => {
    afterATurn(() => {
      nextTurn = undefined;
      resolve();
    });
  }));
}

/**
 * Writes `data` and resolves once the kernel has taken all of it (after a turn of the event
 * loop every so often, see {@link SENDS_AT_ONCE_BEFORE_A_TURN}).
 *
 * With nothing queued before it, bytes (not text) go straight to the kernel where the native
 * addon can (kernel-write.ts), past Node's stream machinery; what the kernel does not take then,
 * and text, go through Node's write. That write usually hands all of its bytes to the kernel
 * within write(), and is then made without a callback: Node calls a write's callback a tick
 * later, which costs a queued tick and an object per write (and us a closure), where a write
 * without one costs nothing more. What is left queued, or an error, is learnt right after the
 * write.
 */
export function writeAll(
  socket: Socket,
  data: string | Uint8Array,
  encoding: BufferEncoding,
  sink: SendFailureSink,
): Promise<void> {
  if (socket.writableLength !== 0) return writeThenWait(socket, data, encoding, sink);
  let rest = data;
  if (typeof data !== 'string') {
    const taken = writeToKernel(socket, data);
    if (taken === data.byteLength) return sentAtOnce();
    if (taken < 0) return Promise.reject(sink[sendFailure](writableErrored(socket)));
    if (taken > 0) rest = data.subarray(taken);
  }
  socket.write(rest, encoding);
  const error = writableErrored(socket);
  if (error != null) return Promise.reject(sink[sendFailure](error));
  // A destroyed socket records no error for a write (Node tells only its callback): nothing left.
  if (socket.destroyed) return Promise.reject(sink[sendFailure](undefined));
  if (socket.writableLength === 0) return sentAtOnce();
  // The kernel took only part of it: an empty write queued behind the rest is called back once
  // the rest is out (writes complete in order), or with the error that cut it short.
  return writeThenWait(socket, EMPTY, encoding, sink);
}

/** Writes `data` with a callback, resolving when Node calls it back without an error. */
function writeThenWait(
  socket: Socket,
  data: string | Uint8Array,
  encoding: BufferEncoding,
  sink: SendFailureSink,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.write(data, encoding, (error) => {
      // Node reports a write cut short by destroy() as a success; it was not delivered.
      if (error || socket.destroyed) reject(sink[sendFailure](error));
      else resolve();
    });
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
