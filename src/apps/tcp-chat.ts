import type { Endpoint } from '../endpoint/endpoint.js';
import { MessageTooLargeError, SocketError } from '../errors.js';
import { formatChatMessage, parseChatMessage } from './chat-message.js';
import { MessageStream } from '../framing/message-stream.js';
import type { MessageStreamOptions } from '../framing/message-stream.js';
import type { StreamSocket } from '../stream/stream-socket.js';
import { checkChatLimit } from './peer-queue.js';
import { senderName, type ChatEvent } from './chat-event.js';

/**
 * The course's TCP chat frames each chat message with a 2-byte big-endian length prefix
 * (Python: `struct.pack('>H', len(data))`), so no message can exceed 65,535 bytes encoded.
 */
export const TCP_CHAT_FRAMING: MessageStreamOptions = { prefix: 'uint16be' };

/** Events of a stream chat: the datagram chat's, plus the end of a connection. */
export type StreamChatEvent =
  | ChatEvent
  /**
   * The peer ended the connection (it left), or it failed (`error` says how); `name` is the
   * sender name of the last message received on it, if any (at most 64 characters).
   */
  | { type: 'closed'; peer: Endpoint; error: SocketError | undefined; name?: string | undefined };

/** Limits of a chat connection; every one has a default. */
export interface TcpChatOptions {
  /**
   * Bytes of chat messages waiting to be handed to the kernel for this peer before
   * {@link TcpChatConnection.say} waits for it (default 1 MiB).
   */
  maxQueuedBytes?: number;
  /**
   * How long (ms) the queue may stay full before the peer is dropped as one that does not read
   * (default 5,000).
   */
  stallTimeout?: number;
  /** How long (ms) {@link TcpChatConnection.close} waits for queued messages to leave (default 500). */
  closeTimeout?: number;
}

function asSocketError(error: unknown): SocketError {
  return error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
}

/** Resolves after `ms` unless `done` settles first; clears its timer either way. */
async function waitAtMost(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      done.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One chat connection: chat messages framed over a stream socket. Received messages and the
 * end of the connection are reported through `onEvent`: `closed` when the peer left or the
 * connection failed, or `dropped` when the peer stopped reading. Once the peer's side is done,
 * the socket is closed (nothing lingers half-open).
 */
export class TcpChatConnection {
  readonly stream: MessageStream;
  readonly peer: Endpoint;
  /** Resolves once the peer has left or the connection failed (never rejects). */
  readonly ended: Promise<void>;
  readonly #onEvent: (event: StreamChatEvent) => void;
  readonly #stallTimeout: number;
  readonly #closeTimeout: number;
  #fullSince: number | undefined;
  #dropped = false;
  #closing: Promise<void> | undefined;
  /** The sender name of the last message received, to name the peer when it leaves. */
  #peerName: string | undefined;

  constructor(
    socket: StreamSocket,
    readonly name: string,
    onEvent: (event: StreamChatEvent) => void,
    options: TcpChatOptions = {},
  ) {
    const maxQueued = checkChatLimit(options.maxQueuedBytes, 1024 * 1024, 'maxQueuedBytes');
    this.#stallTimeout = checkChatLimit(options.stallTimeout, 5000, 'stallTimeout');
    this.#closeTimeout = checkChatLimit(options.closeTimeout, 500, 'closeTimeout', 0);
    this.#onEvent = onEvent;
    this.stream = new MessageStream(socket, { ...TCP_CHAT_FRAMING, highWaterMark: maxQueued });
    this.peer = socket.remoteEndpoint;
    this.ended = this.#receive();
  }

  /** The sender name of the last message received, if any (at most 64 characters). */
  get peerName(): string | undefined {
    return this.#peerName;
  }

  /** True once the peer was dropped for not reading. */
  get dropped(): boolean {
    return this.#dropped;
  }

  /**
   * Queues `text` as a chat message. Resolves at once while the peer's queue has room; when it
   * is full, once it has room again, or after `stallTimeout`, when the peer is dropped (a
   * `dropped` event) and the connection closed. Refused with `MessageTooLargeError` (nothing
   * sent) when the encoded message exceeds 65,535 bytes; a connection that failed or closed
   * takes nothing (its `closed` event says why). `timestamp` is the message's (default now).
   */
  async say(text: string, timestamp?: Date): Promise<void> {
    let room: boolean;
    try {
      room = this.stream.write(formatChatMessage(text, this.name, timestamp));
    } catch (error) {
      if (error instanceof MessageTooLargeError) throw error;
      return;
    }
    if (room) {
      this.#fullSince = undefined;
      return;
    }
    this.#fullSince ??= performance.now();
    const left = Math.max(0, this.#fullSince + this.#stallTimeout - performance.now());
    if (await waitAtMost(this.stream.drain(), left)) {
      this.#fullSince = undefined;
      return;
    }
    if (this.#dropped || this.#closing) return;
    this.#dropped = true;
    this.#onEvent({
      type: 'dropped',
      peer: this.peer,
      reason: 'stalled',
      queued: this.stream.buffered,
      stalledFor: performance.now() - this.#fullSince,
    });
    await this.stream.close();
  }

  /**
   * Closes the connection: queued messages get up to `closeTimeout` to leave, then the socket
   * is closed and the peer sees it end. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await waitAtMost(this.stream.flush(), this.#closeTimeout);
      await this.stream.close();
      await this.ended;
    })();
    return this.#closing;
  }

  async #receive(): Promise<void> {
    let failure: SocketError | undefined;
    try {
      for await (const data of this.stream) {
        const raw = data.toString('utf8');
        const message = parseChatMessage(raw);
        this.#peerName = senderName(message) ?? this.#peerName;
        this.#onEvent({ type: 'message', raw, message, sender: this.peer });
      }
    } catch (error) {
      failure = asSocketError(error);
    }
    // The peer's side is done (or failed): close ours, so that no socket lingers in CLOSE_WAIT.
    await this.stream.close();
    if (!this.#dropped) {
      this.#onEvent({ type: 'closed', peer: this.peer, error: failure, name: this.#peerName });
    }
  }
}
