import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import type { SocketError } from '../errors.js';
import { plainAddress } from './dual-stack.js';
import { PeerQueue } from './peer-queue.js';
import type { ChatEvent } from './chat-event.js';

/** One peer of the chat. */
export interface ChatPeer {
  readonly endpoint: Endpoint;
  /** Given at the start: never expires and does not count against the limit for strangers. */
  readonly named: boolean;
  /** When a datagram last came from it (performance.now()). */
  lastHeard: number;
  /** The sender name of its last message, if it had one. */
  name: string | undefined;
  readonly queue: PeerQueue;
}

/** The limits the peer set keeps. */
export interface ChatPeerLimits {
  readonly maxPeers: number;
  readonly peerExpiry: number;
  readonly maxQueuedBytes: number;
  readonly stallTimeout: number;
}

/**
 * The peers a UDP chat knows, keyed by their formatted endpoint: peers given at the start or
 * found another way (never expire, not refused by `maxPeers`), strangers that joined by sending
 * (at most `maxPeers`, expire after `peerExpiry` of silence). Reports every change of the set
 * through `onEvent`.
 */
export class ChatPeerSet {
  readonly #peers = new Map<string, ChatPeer>();
  /** Keys of the peers given at the start: they may come back after a drop or a leave. */
  readonly #named = new Set<string>();
  /** Keys of the peers added by {@link addFound}: treated as named until removed. */
  readonly #found = new Set<string>();
  readonly #limits: ChatPeerLimits;
  readonly #onEvent: (event: ChatEvent) => void;
  #full = false;
  #ignored = 0;

  constructor(limits: ChatPeerLimits, onEvent: (event: ChatEvent) => void) {
    this.#limits = limits;
    this.#onEvent = onEvent;
  }

  /** The peers known now. */
  values(): IterableIterator<ChatPeer> {
    return this.#peers.values();
  }

  /** The known peer at `key`, if any. */
  get(key: string): ChatPeer | undefined {
    return this.#peers.get(key);
  }

  /** Datagrams ignored because they came from new senders while the peer set was full. */
  get ignored(): number {
    return this.#ignored;
  }

  /** Adds a peer given at the start. */
  addNamed(given: Endpoint): void {
    const peer = plainAddress(given);
    const key = formatEndpoint(peer);
    this.#named.add(key);
    this.#add(key, peer);
  }

  /** Adds a peer found another way; false if it was known already. */
  addFound(found: Endpoint): boolean {
    const peer = plainAddress(found);
    const key = formatEndpoint(peer);
    if (this.#peers.has(key)) return false;
    if (!this.#named.has(key)) {
      this.#named.add(key);
      this.#found.add(key);
    }
    this.#add(key, peer);
    return true;
  }

  /** Forgets a peer added by {@link addFound}; false if it was not known. */
  removeFound(peer: Endpoint): boolean {
    const key = formatEndpoint(plainAddress(peer));
    if (!this.#found.delete(key)) return false;
    this.#named.delete(key);
    const known = this.#peers.get(key);
    return known !== undefined && this.forget(known);
  }

  /** Forgets `peer` and closes its queue; false if it was not known (any more). */
  forget(peer: ChatPeer): boolean {
    const key = formatEndpoint(peer.endpoint);
    if (this.#peers.get(key) !== peer) return false;
    this.#peers.delete(key);
    peer.queue.close();
    if (this.#peers.size < this.#limits.maxPeers) this.#full = false;
    return true;
  }

  /** Drops `peer` as unreachable, reporting `error`. */
  drop(peer: ChatPeer, error: SocketError): void {
    if (this.forget(peer)) {
      this.#onEvent({
        type: 'dropped',
        peer: peer.endpoint,
        name: peer.name,
        reason: 'unreachable',
        error,
      });
    }
  }

  /** Forgets the strangers silent for longer than `peerExpiry` at `now`. */
  expireSilent(now: number): void {
    for (const peer of this.#peers.values()) {
      if (!peer.named && now - peer.lastHeard > this.#limits.peerExpiry && this.forget(peer)) {
        this.#onEvent({ type: 'expired', peer: peer.endpoint, name: peer.name });
      }
    }
  }

  /** The peer a datagram from `sender` belongs to, or undefined when it is to be ignored. */
  peerFor(sender: Endpoint, key: string, now: number): ChatPeer | undefined {
    const known = this.#peers.get(key);
    if (known !== undefined) return known;
    if (!this.#named.has(key) && this.#peers.size >= this.#limits.maxPeers) {
      this.expireSilent(now);
      if (this.#peers.size >= this.#limits.maxPeers) {
        this.#ignored++;
        if (!this.#full) {
          this.#full = true;
          this.#onEvent({ type: 'full', limit: this.#limits.maxPeers });
        }
        return undefined;
      }
    }
    const peer = this.#add(key, sender);
    this.#onEvent({ type: 'join', peer: sender });
    return peer;
  }

  #add(key: string, endpoint: Endpoint): ChatPeer {
    const peer: ChatPeer = {
      endpoint,
      named: this.#named.has(key),
      lastHeard: performance.now(),
      name: undefined,
      queue: new PeerQueue(this.#limits.maxQueuedBytes, this.#limits.stallTimeout),
    };
    this.#peers.set(key, peer);
    return peer;
  }
}
