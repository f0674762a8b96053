import { checkChatLimit } from './peer-queue.js';

/** Limits of a {@link UdpChatPeer}; every one has a default. */
export interface UdpChatOptions {
  /**
   * The most peers known at once (default 256). Peers given at the start always count, even
   * beyond it; a datagram from a new sender while the set is full is ignored and counted.
   */
  maxPeers?: number;
  /**
   * How long (ms) a peer that joined by sending may stay silent before it is forgotten
   * (default 600,000: ten minutes). Peers given at the start never expire.
   */
  peerExpiry?: number;
  /**
   * Bytes sent to one peer and not yet taken by it (handed to the kernel, or acknowledged over
   * reliable datagrams) before {@link UdpChatPeer.say} waits for it (default 1 MiB).
   */
  maxQueuedBytes?: number;
  /** How long (ms) a peer's queue may stay full before the peer is dropped (default 5,000). */
  stallTimeout?: number;
  /** How long (ms) {@link UdpChatPeer.leave} waits for its leave message to be taken (default 500). */
  leaveTimeout?: number;
}

/** The defaults of {@link UdpChatOptions}. */
const DEFAULTS = {
  maxPeers: 256,
  peerExpiry: 600_000,
  maxQueuedBytes: 1024 * 1024,
  stallTimeout: 5000,
  leaveTimeout: 500,
} as const;

/** `options` checked, defaults filled in; throws InvalidArgumentError naming a bad one. */
export function resolveUdpChatOptions(options: UdpChatOptions): Required<UdpChatOptions> {
  return {
    maxPeers: checkChatLimit(options.maxPeers, DEFAULTS.maxPeers, 'maxPeers'),
    peerExpiry: checkChatLimit(options.peerExpiry, DEFAULTS.peerExpiry, 'peerExpiry'),
    maxQueuedBytes: checkChatLimit(
      options.maxQueuedBytes,
      DEFAULTS.maxQueuedBytes,
      'maxQueuedBytes',
    ),
    stallTimeout: checkChatLimit(options.stallTimeout, DEFAULTS.stallTimeout, 'stallTimeout'),
    leaveTimeout: checkChatLimit(options.leaveTimeout, DEFAULTS.leaveTimeout, 'leaveTimeout', 0),
  };
}
