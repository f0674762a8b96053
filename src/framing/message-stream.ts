import type { EndpointLike } from '../endpoint/endpoint.js';
import { SocketClosedError } from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { framingOut } from '../internal/channels.js';
import { NO_WAIT } from '../internal/deadline.js';
import { StreamSocket } from '../stream/stream-socket.js';
import type { ConnectOptions } from '../stream/stream-socket.js';
import { FrameWriter, resolveWriterOptions } from './frame-writer.js';
import { ReceiveIterator } from '../internal/receive-iterator.js';
import { closedError, MessageReceiver } from './message-receiver.js';
import {
  checkPartialFrameTimeout,
  type MessageConnection,
  type MessageStreamOptions,
} from './message-stream-options.js';

export { DEFAULT_PARTIAL_FRAME_TIMEOUT } from './message-stream-options.js';
export type { MessageConnection, MessageStreamOptions } from './message-stream-options.js';

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
  readonly #receiver: MessageReceiver;
  #closing: Promise<void> | undefined;

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
    this.#receiver = new MessageReceiver(connection, options);
    this.#writer = new FrameWriter(
      {
        write(data, done) {
          connection.sendAll(data).then(() => done(), done);
        },
      },
      options,
    );
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
    return this.#receiver.recv(options);
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
      const closed = closedError(this.#receiver.what, this.connection.remoteEndpoint);
      this.#writer.fail(closed);
      this.#receiver.fail(closed);
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
    return new ReceiveIterator<Buffer>({
      poll: () => this.#receiver.poll(),
      wait: () => this.recv(),
      endsQuietly: (error) => this.#closing !== undefined && error instanceof SocketClosedError,
    });
  }
}
