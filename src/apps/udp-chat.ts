import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import {
  ConnectionRefusedError,
  ConnectionResetError,
  HostUnreachableError,
  MessageTooLargeError,
  NameResolutionError,
  PeerUnreachableError,
  SocketClosedError,
  SocketError,
} from '../errors.js';
import { formatChatMessage, isLeaveMessage, LEAVE_TEXT, parseChatMessage } from './chat-message.js';
import { MAGIC, VERSION } from '../reliable/wire.js';
import { plainAddress, reachableFrom } from './dual-stack.js';
import { ChatPeerSet, type ChatPeer } from './chat-peer-set.js';
import { senderName, type ChatEvent } from './chat-event.js';
import { resolveUdpChatOptions, type UdpChatOptions } from './udp-chat-options.js';
import type { MessageTransport } from './transport.js';

export type { UdpChatOptions } from './udp-chat-options.js';

/** Errors that say a peer is unreachable, reset or gone: it is dropped from the chat. */
function peerIsGone(error: SocketError): boolean {
  return (
    error instanceof PeerUnreachableError ||
    error instanceof ConnectionRefusedError ||
    error instanceof ConnectionResetError ||
    error instanceof HostUnreachableError ||
    error instanceof NameResolutionError
  );
}

function asSocketError(error: unknown): SocketError {
  return error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
}

/** True for a datagram of dsock's reliable protocol (its magic and version open it). */
function isReliableDatagram(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt16BE(0) === MAGIC && data[2] === VERSION;
}

/**
 * A peer of the course's peer-to-peer group chat over one datagram socket: every line said is
 * sent as a chat message to every known peer; a datagram from an unknown endpoint makes its
 * sender a peer (up to `maxPeers`); a leave message makes the peer forget its sender. A peer
 * that is unreachable, reset or gone, or that does not take what is sent to it, is dropped;
 * one that joined by sending and then fell silent expires. No peer can make a line wait longer
 * than `stallTimeout`.
 *
 * On an IPv6 socket bound to `::` that also takes IPv4 (dual-stack, the system's default), IPv4
 * peers are known, reported and given by their plain IPv4 address (`127.0.0.1`, not
 * `::ffff:127.0.0.1`), so that one chat mixes IPv4 and IPv6 peers.
 */
export class UdpChatPeer {
  readonly #transport: MessageTransport;
  readonly #peers: ChatPeerSet;
  readonly #onEvent: (event: ChatEvent) => void;
  readonly #receiving: Promise<void>;
  readonly #limits: Required<UdpChatOptions>;
  #left = false;
  #foreignReported = false;

  /**
   * Starts a chat peer on `transport` (already bound), knowing `peers` at first; `onEvent` sees
   * every message and every change of the peer set. Throws InvalidArgumentError for a bad option.
   */
  constructor(
    transport: MessageTransport,
    readonly name: string,
    peers: Iterable<Endpoint>,
    onEvent: (event: ChatEvent) => void,
    options: UdpChatOptions = {},
  ) {
    this.#limits = resolveUdpChatOptions(options);
    this.#transport = transport;
    this.#onEvent = onEvent;
    this.#peers = new ChatPeerSet(this.#limits, onEvent);
    for (const given of peers) this.#peers.addNamed(given);
    this.#receiving = this.#receive();
  }

  /** The endpoint peers reach this one at. */
  get localEndpoint(): Endpoint {
    return this.#transport.localEndpoint;
  }

  /** The peers known now. */
  get peers(): Endpoint[] {
    return [...this.#peers.values()].map((p) => p.endpoint);
  }

  /** Datagrams ignored because they came from new senders while the peer set was full. */
  get ignoredDatagrams(): number {
    return this.#peers.ignored;
  }

  /**
   * Adds a peer found another way (e.g. by discovery); false if it was known already. Like a
   * peer given at the start it never expires (whoever found it removes it) and is not refused
   * by `maxPeers` (the finder has its own cap).
   */
  addPeer(found: Endpoint): boolean {
    return this.#peers.addFound(found);
  }

  /**
   * Forgets a peer added by {@link addPeer} (e.g. one discovery lost); false if it was not
   * known. A peer given at the start stays.
   */
  removePeer(peer: Endpoint): boolean {
    return this.#peers.removeFound(peer);
  }

  /**
   * Sends `text` as a chat message to every known peer. A message that would not fit in one
   * datagram is refused with {@link MessageTooLargeError} before anything is sent. Resolves
   * once the message is on its way to every peer: at once, unless a peer's queue is full, and
   * then no later than `stallTimeout`, when that peer is dropped.
   */
  async say(text: string): Promise<void> {
    this.#peers.expireSilent(performance.now());
    await this.#broadcast(formatChatMessage(text, this.name));
  }

  /**
   * Tells every peer that this one leaves (waiting at most `leaveTimeout` for it to be taken),
   * then closes the socket. Idempotent; resolves once the receive loop has ended.
   */
  async leave(): Promise<void> {
    if (!this.#left) {
      this.#left = true;
      const payload = Buffer.from(formatChatMessage(LEAVE_TEXT, this.name));
      if (payload.length <= this.#transport.maxMessageSize) {
        const sends = [...this.#peers.values()].map((peer) => this.#send(peer, payload));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled(sends),
          new Promise((resolve) => (timer = setTimeout(resolve, this.#limits.leaveTimeout))),
        ]);
        clearTimeout(timer);
      }
      for (const peer of this.#peers.values()) peer.queue.close();
      await this.#transport.close();
    }
    await this.#receiving;
  }

  /** Sends `payload` to `peer`, counting it in the peer's queue until the transport took it. */
  #send(peer: ChatPeer, payload: Buffer): Promise<void> {
    const size = payload.length;
    peer.queue.add(size);
    const to = reachableFrom(this.#transport.localEndpoint, peer.endpoint);
    return this.#transport.sendTo(payload, to).then(
      () => peer.queue.remove(size),
      (error: unknown) => {
        peer.queue.remove(size);
        if (error instanceof SocketClosedError) return;
        const failure = asSocketError(error);
        if (peerIsGone(failure)) this.#peers.drop(peer, failure);
        else this.#onEvent({ type: 'error', peer: peer.endpoint, error: failure });
      },
    );
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
    if (this.#left) throw new SocketClosedError('the chat was left: nothing more can be said');
    const payload = Buffer.from(message);
    const full: ChatPeer[] = [];
    for (const peer of this.#peers.values()) {
      void this.#send(peer, payload);
      if (peer.queue.full) full.push(peer);
    }
    if (full.length === 0) return;
    await Promise.all(
      full.map(async (peer) => {
        const stall = await peer.queue.room();
        if (stall !== undefined && this.#peers.forget(peer)) {
          this.#onEvent({
            type: 'dropped',
            peer: peer.endpoint,
            name: peer.name,
            reason: 'stalled',
            ...stall,
          });
        }
      }),
    );
  }

  async #receive(): Promise<void> {
    for (;;) {
      let received;
      try {
        received = await this.#transport.recvFrom(this.#transport.maxMessageSize + 1);
      } catch (error) {
        if (error instanceof SocketClosedError) return;
        // An asynchronous error (e.g. a peer's port unreachable) is not the end of the chat,
        // but a peer it names as gone is dropped.
        const failure = asSocketError(error);
        const peer =
          failure.endpoint && this.#peers.get(formatEndpoint(plainAddress(failure.endpoint)));
        if (peer && peerIsGone(failure)) this.#peers.drop(peer, failure);
        else this.#onEvent({ type: 'error', peer: failure.endpoint, error: failure });
        continue;
      }
      const { data } = received;
      const sender = plainAddress(received.sender);
      if (isReliableDatagram(data)) {
        // Not chat text: a peer runs with --reliable and this chat does not.
        if (!this.#foreignReported) {
          this.#foreignReported = true;
          this.#onEvent({ type: 'foreign', peer: sender });
        }
        continue;
      }
      const raw = data.toString('utf8');
      const key = formatEndpoint(sender);
      const now = performance.now();
      if (isLeaveMessage(raw)) {
        const peer = this.#peers.get(key);
        if (peer === undefined) continue;
        const message = parseChatMessage(raw);
        peer.name = senderName(message) ?? peer.name;
        this.#onEvent({ type: 'message', raw, message, sender });
        if (this.#peers.forget(peer))
          this.#onEvent({ type: 'leave', peer: sender, name: peer.name });
        continue;
      }
      const peer = this.#peers.peerFor(sender, key, now);
      if (peer === undefined) continue;
      peer.lastHeard = now;
      const message = parseChatMessage(raw);
      peer.name = senderName(message) ?? peer.name;
      this.#onEvent({ type: 'message', raw, message, sender });
    }
  }
}
