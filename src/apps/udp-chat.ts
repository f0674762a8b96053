import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { MessageTooLargeError, SocketClosedError, SocketError } from '../errors.js';
import {
  formatChatMessage,
  isLeaveMessage,
  LEAVE_TEXT,
  parseChatMessage,
  type ChatMessage,
} from '../framing/chat-message.js';
import type { MessageTransport } from './transport.js';

/** What happens in a chat, as the peer sees it. */
export type ChatEvent =
  | {
      type: 'message';
      /** The message exactly as received. */
      raw: string;
      /** The message taken apart, or null when it is not in the chat format. */
      message: ChatMessage | null;
      sender: Endpoint;
    }
  /** A datagram came from an endpoint that was not a peer yet: it is one now. */
  | { type: 'join'; peer: Endpoint }
  /** A peer sent its leave message and was forgotten. */
  | { type: 'leave'; peer: Endpoint }
  /** Sending to one peer failed; the chat goes on. */
  | { type: 'error'; peer: Endpoint | undefined; error: SocketError };

/**
 * A peer of the course's peer-to-peer group chat over one datagram socket: every line said is
 * sent as a chat message to every known peer; a datagram from an unknown endpoint makes its
 * sender a peer; a leave message makes the peer forget its sender.
 */
export class UdpChatPeer {
  readonly #transport: MessageTransport;
  readonly #peers = new Map<string, Endpoint>();
  readonly #onEvent: (event: ChatEvent) => void;
  readonly #receiving: Promise<void>;
  #left = false;

  /**
   * Starts a chat peer on `transport` (already bound), knowing `peers` at first; `onEvent` sees
   * every message and every change of the peer set.
   */
  constructor(
    transport: MessageTransport,
    readonly name: string,
    peers: Iterable<Endpoint>,
    onEvent: (event: ChatEvent) => void,
  ) {
    this.#transport = transport;
    this.#onEvent = onEvent;
    for (const peer of peers) this.#peers.set(formatEndpoint(peer), peer);
    this.#receiving = this.#receive();
  }

  /** The endpoint peers reach this one at. */
  get localEndpoint(): Endpoint {
    return this.#transport.localEndpoint;
  }

  /** The peers known now. */
  get peers(): Endpoint[] {
    return [...this.#peers.values()];
  }

  /** Adds a peer found another way (e.g. by discovery); false if it was known already. */
  addPeer(peer: Endpoint): boolean {
    const key = formatEndpoint(peer);
    if (this.#peers.has(key)) return false;
    this.#peers.set(key, peer);
    return true;
  }

  /** Forgets a peer (e.g. one discovery lost); false if it was not known. */
  removePeer(peer: Endpoint): boolean {
    return this.#peers.delete(formatEndpoint(peer));
  }

  /**
   * Sends `text` as a chat message to every known peer. A message that would not fit in one
   * datagram is refused with {@link MessageTooLargeError} before anything is sent.
   */
  async say(text: string): Promise<void> {
    await this.#broadcast(formatChatMessage(text, this.name));
  }

  /**
   * Tells every peer that this one leaves, then closes the socket. Idempotent; resolves once the
   * receive loop has ended.
   */
  async leave(): Promise<void> {
    if (!this.#left) {
      this.#left = true;
      await this.#broadcast(formatChatMessage(LEAVE_TEXT, this.name)).catch(() => undefined);
      await this.#transport.close();
    }
    await this.#receiving;
  }

  async #broadcast(message: string): Promise<void> {
    const size = Buffer.byteLength(message);
    const limit = this.#transport.maxMessageSize;
    if (size > limit) {
      throw new MessageTooLargeError(
        `message of ${size} bytes does not fit in one datagram (at most ${limit} bytes)`,
        size,
        limit,
      );
    }
    const payload = Buffer.from(message);
    await Promise.all(
      this.peers.map((peer) =>
        this.#transport.sendTo(payload, peer).catch((error: unknown) => {
          if (error instanceof SocketClosedError) throw error;
          const failure =
            error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
          this.#onEvent({ type: 'error', peer, error: failure });
        }),
      ),
    );
  }

  async #receive(): Promise<void> {
    for (;;) {
      let received;
      try {
        received = await this.#transport.recvFrom(this.#transport.maxMessageSize + 1);
      } catch (error) {
        if (error instanceof SocketClosedError) return;
        // An asynchronous error (e.g. a peer's port unreachable) is not the end of the chat.
        const failure =
          error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
        this.#onEvent({ type: 'error', peer: failure.endpoint, error: failure });
        continue;
      }
      const { data, sender } = received;
      const raw = data.toString('utf8');
      const key = formatEndpoint(sender);
      if (isLeaveMessage(raw)) {
        this.#onEvent({ type: 'message', raw, message: parseChatMessage(raw), sender });
        if (this.#peers.delete(key)) this.#onEvent({ type: 'leave', peer: sender });
        continue;
      }
      if (!this.#peers.has(key)) {
        this.#peers.set(key, sender);
        this.#onEvent({ type: 'join', peer: sender });
      }
      this.#onEvent({ type: 'message', raw, message: parseChatMessage(raw), sender });
    }
  }
}
