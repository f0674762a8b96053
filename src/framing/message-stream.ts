import type { Endpoint, EndpointLike } from '../endpoint/endpoint.js';
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
import { framingIn, framingOut } from '../internal/channels.js';
import { NO_WAIT, waitOptionsError, waitWithDeadline } from '../internal/deadline.js';
import { StreamSocket } from '../stream/stream-socket.js';
import type { ConnectOptions } from '../stream/stream-socket.js';
import { FrameDecoder } from './frame-decoder.js';
import { FrameWriter, resolveWriterOptions } from './frame-writer.js';
import { MessageIterator } from './message-iterator.js';
import { PartialFrameWatch } from './partial-frame-watch.js';
import {
  checkPartialFrameTimeout,
  type MessageConnection,
  type MessageStreamOptions,
} from './message-stream-options.js';

export { DEFAULT_PARTIAL_FRAME_TIMEOUT } from './message-stream-options.js';
export type { MessageConnection, MessageStreamOptions } from './message-stream-options.js';

/**
 * The most bytes asked of the connection per read. Reads are made only while a receiver waits
 * and frames are decoded only as they are received, so this (plus the one frame in progress)
 * bounds what the stream holds beyond the socket's own receive buffer.
 */
const READ_SIZE = 256 * 1024;

/** How the stream of messages ended: cleanly, or with the error every later receive gets. */
type Ending = { error: undefined } | { error: Error };

/**
 * Length-prefixed messages over a stream connection, in both directions: what one side sends
 * with {@link MessageStream.send}, the other receives whole with {@link MessageStream.recv},
 * however TCP cut or joined the bytes. The wire format is that of {@link FrameWriter} and
 * {@link FrameDecoder}, so the peer may be Python code using `struct.pack('>H', len(data))`
 * (prefix `uint16be`), `'>I'` (`uint32be`) or LEB128 (`varint`).
 *
 * The stream takes over reading the connection: do not read from it directly once wrapped.
 *
 * @example
 * ```ts
 * import { MessageStream, StreamServer } from 'dsock';
 *
 * await using server = await StreamServer.listen('127.0.0.1:0');
 * const sender = await MessageStream.connect(server.localEndpoint, { prefix: 'uint16be' });
 * const receiver = new MessageStream(await server.accept({ timeout: 5000 }), { prefix: 'uint16be' });
 * await sender.send('first');
 * await sender.send('second'); // arrives as its own message, however TCP cuts the bytes
 * console.log(`${await receiver.recv({ timeout: 1000 })}`); // first
 * console.log(`${await receiver.recv({ timeout: 1000 })}`); // second
 * await Promise.all([sender.close(), receiver.close()]);
 * ```
 */
export class MessageStream implements AsyncIterable<Buffer> {
  /** The connection the messages travel on. */
  readonly connection: MessageConnection;

  readonly #writer: FrameWriter;
  readonly #decoder: FrameDecoder;
  readonly #remote: Endpoint;
  readonly #receiveWhat: string;
  readonly #waiters: Settle<Buffer | null>[] = [];
  #pumping = false;
  #ending: Ending | undefined;
  #closing: Promise<void> | undefined;
  readonly #watch: PartialFrameWatch;
  /** Messages handed out, so that the watch knows whether a frame completed. */
  #taken = 0;

  /**
   * Connects to `remote` (as `StreamSocket.connect` does, with its options) and frames the
   * connection. Nagle's algorithm is off unless `noDelay: false` is given: the stream already
   * gathers small messages into one write, and waiting longer would only add latency.
   * Unusable framing options are refused before connecting.
   */
  static async connect(
    remote: EndpointLike,
    options: ConnectOptions & MessageStreamOptions = {},
  ): Promise<MessageStream> {
    resolveWriterOptions(options);
    checkPartialFrameTimeout(options.partialFrameTimeout);
    const socket = await StreamSocket.connect(remote, {
      ...options,
      noDelay: options.noDelay ?? true,
    });
    return new MessageStream(socket, options);
  }

  constructor(connection: MessageConnection, options: MessageStreamOptions = {}) {
    this.connection = connection;
    this.#decoder = new FrameDecoder(options);
    this.#watch = new PartialFrameWatch(checkPartialFrameTimeout(options.partialFrameTimeout), {
      partial: () => this.#decoder.pending > 0,
      messagesTaken: () => this.#taken,
      reading: () => this.#pumping && this.#waiters.length > 0,
      expire: (timeout) => this.#expire(timeout),
    });
    this.#writer = new FrameWriter(
      {
        write(data, done) {
          connection.sendAll(data).then(() => done(), done);
        },
      },
      options,
    );
    this.#remote = connection.remoteEndpoint;
    this.#receiveWhat = `receive from ${formatEndpoint(this.#remote)}`;
  }

  /**
   * The longest message that can be sent, in bytes: the `maxMessageSize` option, or less where
   * the prefix cannot express that much.
   */
  get maxMessageSize(): number {
    return this.#writer.maxMessageSize;
  }

  /** Bytes of sent messages not yet handed to the kernel. */
  get buffered(): number {
    return this.#writer.buffered;
  }

  /**
   * Queues `message` (text as UTF-8) and returns at once: messages written in the same tick go
   * out together in one write. Returns false once {@link MessageStream.buffered} reaches the
   * high-water mark; then await {@link MessageStream.drain}. Throws `MessageTooLargeError`
   * (sending nothing) for a message over {@link MessageStream.maxMessageSize}, and the
   * connection's error once sending has failed.
   */
  write(message: string | Uint8Array): boolean {
    if (framingOut.hasSubscribers) framingOut.publish({ source: this.connection, data: message });
    return this.#writer.write(message);
  }

  /**
   * Sends `message` (text as UTF-8) as one message; resolves with its length in bytes (without
   * the prefix) once it has been handed to the kernel. Rejects with `MessageTooLargeError` (sending nothing) for a message over
   * {@link MessageStream.maxMessageSize}, with `SocketClosedError` after {@link close}, and with
   * `ConnectionResetError` when the peer reset the connection.
   */
  send(message: string | Uint8Array): Promise<number> {
    if (framingOut.hasSubscribers) framingOut.publish({ source: this.connection, data: message });
    return this.#writer.send(message);
  }

  /** Hands the written messages to the kernel now; resolves once they all are. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Resolves once {@link MessageStream.buffered} is below the high-water mark. */
  drain(): Promise<void> {
    return this.#writer.drain();
  }

  /**
   * Receives the next message whole, or null once the peer has ended the stream cleanly (and
   * on every call after that). Rejects with `IncompleteReadError` when the stream ends
   * mid-message, with `FrameTooLargeError` when the peer announces a message over
   * `maxMessageSize` (the connection is then closed, before any memory is set aside for it),
   * with `ProtocolError` for a malformed prefix, with `TimeoutError` / `AbortError` per
   * `options` (no message is lost: it goes to the next receive), and with `SocketClosedError`
   * after {@link close}. Messages that arrived before an error are all received first.
   */
  recv(options: WaitOptions = NO_WAIT): Promise<Buffer | null> {
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
    const received =
      options.timeout === undefined && options.signal === undefined
        ? new Promise<Buffer | null>((resolve, reject) => {
            this.#waiters.push({ resolve, reject });
          })
        : this.#receiveWithin(options);
    if (!this.#pumping) void this.#pump();
    return received;
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
      this.#receiveWhat,
      this.#remote,
    );
  }

  /**
   * Closes the connection at once (idempotent). Messages written but not yet handed to the
   * kernel are handed over first; to be sure they left, await {@link MessageStream.flush}
   * before closing. Pending and later receives and sends reject with `SocketClosedError`.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      // Hand the gathered batch over while the connection still takes it.
      this.#writer.flush().catch(() => undefined);
      const closed = new SocketClosedError(`${this.#receiveWhat} failed: socket is closed`, {
        endpoint: this.#remote,
      });
      this.#writer.fail(closed);
      this.#end({ error: closed }, true);
      this.#closing = this.connection.close();
    }
    return this.#closing;
  }

  /** Closes the stream (see {@link close}) at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Yields each message until the peer ends the stream cleanly; throws as
   * {@link MessageStream.recv} does. Ends quietly when the stream is closed locally.
   */
  [Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    return new MessageIterator<Buffer>({
      poll: () =>
        this.#ending === undefined && this.#waiters.length === 0 ? this.#take() : undefined,
      wait: () => this.recv(),
      endsQuietly: (error) => this.#closing !== undefined && error instanceof SocketClosedError,
    });
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
        framingIn.publish({ source: this.connection, data: message });
      return message;
    } catch (error) {
      this.#end({ error: this.#withEndpoint(error) });
      // The stream cannot be resynchronised, and the peer may be hostile: hang up.
      this.connection.close().catch(() => undefined);
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
          chunk = await this.connection.recv(READ_SIZE);
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

  /** The peer left a message incomplete for `timeout` ms while we waited: fail and hang up. */
  #expire(timeout: number): void {
    const pending = this.#decoder.pending;
    this.#end({
      error: new TimeoutError(
        `${this.#receiveWhat} failed: the peer left a message incomplete for ${timeout} ms ` +
          `(${pending} bytes of it arrived; partialFrameTimeout)`,
        timeout,
        { endpoint: this.#remote },
      ),
    });
    this.connection.close().catch(() => undefined);
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
    const what = this.#receiveWhat;
    if (error instanceof FrameTooLargeError) {
      return new FrameTooLargeError(`${what}: ${error.message}`, error.size, error.limit, options);
    }
    if (error instanceof ProtocolError)
      return new ProtocolError(`${what}: ${error.message}`, options);
    return error instanceof SocketError ? error : toSocketError(error, 'receive', this.#remote);
  }
}
