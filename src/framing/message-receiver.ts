import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import {
  FrameTooLargeError,
  ProtocolError,
  SocketClosedError,
  SocketError,
  TimeoutError,
  toSocketError,
} from '../errors.js';
import type { Settle, WaitOptions } from '../internal/deadline.js';
import { framingIn } from '../internal/channels.js';
import { hasDeadline, waitOptionsError, waitWithDeadline } from '../internal/deadline.js';
import { FrameDecoder } from './frame-decoder.js';
import { PartialFrameWatch, type WatchedStream } from './partial-frame-watch.js';
import {
  checkPartialFrameTimeout,
  type MessageConnection,
  type MessageStreamOptions,
} from './message-stream-options.js';

/**
 * The most bytes asked of the connection per read. Reads are made only while a receiver waits
 * and frames are decoded only as they are received, so this (plus the one frame in progress)
 * bounds what the stream holds beyond the socket's own receive buffer.
 */
const READ_SIZE = 256 * 1024;

/** How the stream of messages ended: cleanly, or with the error every later receive gets. */
type Ending = { error: undefined } | { error: Error };

/**
 * The receiving side of a MessageStream: it reads the connection only while receivers wait
 * (the receive pump), decodes frames only as far as they are received, and hands each waiting
 * receiver the next message, or the ending. It is also the stream its {@link PartialFrameWatch}
 * watches, so that the watch needs no object of its own.
 */
export class MessageReceiver implements WatchedStream {
  readonly #connection: MessageConnection;
  readonly #decoder: FrameDecoder;
  readonly #remote: Endpoint;
  /** Names receives in errors. */
  readonly what: string;
  readonly #waiters: Settle<Buffer | null>[] = [];
  #pumping = false;
  #ending: Ending | undefined;
  readonly #watch: PartialFrameWatch;
  /** Messages handed out, so that the watch knows whether a frame completed. */
  #taken = 0;

  constructor(connection: MessageConnection, options: MessageStreamOptions) {
    this.#connection = connection;
    this.#decoder = new FrameDecoder(options);
    const partialFrameTimeout = checkPartialFrameTimeout(options.partialFrameTimeout);
    this.#watch = new PartialFrameWatch(partialFrameTimeout, this);
    this.#remote = connection.remoteEndpoint;
    this.what = `receive from ${formatEndpoint(this.#remote)}`;
  }

  /** The next message, or null after a clean end; see MessageStream.recv. */
  recv(options: WaitOptions): Promise<Buffer | null> {
    const invalid = waitOptionsError(options);
    if (invalid !== undefined) return Promise.reject(invalid);
    if (this.#ending === undefined && this.#waiters.length === 0) {
      const message = this.#take();
      if (message !== undefined) return Promise.resolve(message);
    }
    const ending = this.#ending;
    if (ending !== undefined) {
      return ending.error ? Promise.reject(ending.error) : Promise.resolve(null);
    }
    // Without a deadline there is nothing to give up, so no deadline machinery either: this
    // is the path every receive of a busy stream takes.
    const received = !hasDeadline(options)
      ? new Promise<Buffer | null>((resolve, reject) => {
          this.#waiters.push({ resolve, reject });
        })
      : this.#receiveWithin(options);
    if (!this.#pumping) void this.#pump();
    return received;
  }

  /** A message already decodable without waiting, when nothing else waits or has ended. */
  poll(): Buffer | undefined {
    return this.#ending === undefined && this.#waiters.length === 0 ? this.#take() : undefined;
  }

  /** Ends the stream of messages with `error` (every waiting and later receive rejects). */
  fail(error: Error): void {
    this.#end({ error }, true);
  }

  /** @see WatchedStream.partial */
  partial(): boolean {
    return this.#decoder.pending > 0;
  }

  /** @see WatchedStream.messagesTaken */
  messagesTaken(): number {
    return this.#taken;
  }

  /** @see WatchedStream.reading */
  reading(): boolean {
    return this.#pumping && this.#waiters.length > 0;
  }

  /** The peer left a message incomplete for `timeout` ms while we waited: fail and hang up. */
  expire(timeout: number): void {
    const pending = this.#decoder.pending;
    this.#end({
      error: new TimeoutError(
        `${this.what} failed: the peer left a message incomplete for ${timeout} ms ` +
          `(${pending} bytes of it arrived; partialFrameTimeout)`,
        timeout,
        { endpoint: this.#remote },
      ),
    });
    this.#connection.close().catch(() => undefined);
  }

  #receiveWithin(options: WaitOptions): Promise<Buffer | null> {
    return waitWithDeadline<Buffer | null>(
      (settle) => {
        this.#waiters.push(settle);
        return () => {
          const at = this.#waiters.indexOf(settle);
          if (at >= 0) this.#waiters.splice(at, 1);
        };
      },
      options,
      this.what,
      this.#remote,
    );
  }

  /**
   * The next message of the chunk being decoded, or undefined once it is used up. Decoding
   * only as far as receivers read keeps memory at the chunk, however many frames it holds.
   */
  #take(): Buffer | undefined {
    try {
      const message = this.#decoder.next();
      if (message !== undefined) this.#taken++;
      if (message !== undefined && framingIn.hasSubscribers)
        framingIn.publish({ source: this.#connection, data: message });
      return message;
    } catch (error) {
      this.#end({ error: this.#withEndpoint(error) });
      // The stream cannot be resynchronised, and the peer may be hostile: hang up.
      this.#connection.close().catch(() => undefined);
      return undefined;
    }
  }

  /** Reads from the connection while receivers wait, handing them decoded messages. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#waiters.length > 0 && this.#ending === undefined) {
        let chunk: Buffer;
        try {
          chunk = await this.#connection.recv(READ_SIZE);
        } catch (error) {
          this.#end({ error: toSocketError(error, 'receive', this.#remote) });
          return;
        }
        if (this.#ending !== undefined) return;
        if (chunk.length === 0) {
          try {
            this.#decoder.end({ endpoint: this.#remote });
            this.#end({ error: undefined });
          } catch (error) {
            this.#end({ error: error as Error });
          }
          return;
        }
        this.#decoder.feed(chunk);
        // Reading on is only needed, and only allowed, once the chunk is used up.
        while (this.#waiters.length > 0) {
          const message = this.#take();
          if (message === undefined) break;
          this.#waiters.shift()?.resolve(message);
        }
        this.#watch.afterChunk();
      }
    } finally {
      this.#pumping = false;
    }
  }

  #end(ending: Ending, replace = false): void {
    this.#watch.stop();
    if (this.#ending !== undefined && !replace) return;
    this.#ending = ending;
    // Nothing is decoded after the end: the frame in progress, perhaps megabytes, can go.
    this.#decoder.release();
    // Waiters exist only while the decoder is used up, so they all get the ending.
    for (const waiter of this.#waiters.splice(0)) {
      if (ending.error) waiter.reject(ending.error);
      else waiter.resolve(null);
    }
  }

  /** The decoder's error, naming the peer. */
  #withEndpoint(error: unknown): Error {
    const options = { endpoint: this.#remote, cause: error };
    const what = this.what;
    if (error instanceof FrameTooLargeError) {
      return new FrameTooLargeError(`${what}: ${error.message}`, error.size, error.limit, options);
    }
    if (error instanceof ProtocolError)
      return new ProtocolError(`${what}: ${error.message}`, options);
    return error instanceof SocketError ? error : toSocketError(error, 'receive', this.#remote);
  }
}

/** The error of every receive after a local close. */
export function closedError(what: string, remote: Endpoint): SocketClosedError {
  return new SocketClosedError(`${what} failed: socket is closed`, { endpoint: remote });
}
