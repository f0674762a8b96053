import type { DiscoveredPeer, Discovery } from '../discovery/discovery.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { stringOption, type ParsedArgs } from './args.js';
import { harmless, status } from './terminal.js';
import { UsageError } from './usage-error.js';

/** The options of the chats that find their peers by discovery. */
export const DISCOVER_OPTIONS = {
  discover: { type: 'boolean' },
  room: { type: 'string' },
} as const;

export const DISCOVER_HELP = `  --discover     find the members of the room on every LAN by multicast beacons, and make
                 this one known (see docs/discovery-protocol.md)
  --room NAME    the room to meet in with --discover (default "lobby")`;

/** What the chat does when discovery finds or loses a member. */
export interface DiscoveredPeers {
  /**
   * Returns true when the peer is new to the chat. `found` is what its beacons say, and `self`
   * this member's node id (to decide, e.g., which side of a pair connects).
   */
  add(peer: Endpoint, found: DiscoveredPeer, self: string): boolean;
  remove(peer: Endpoint): boolean;
  /** What the status line says of a member that discovery lost (default "left the chat"). */
  lostText?: string;
}

/** Refuses --room without --discover, before anything starts. */
export function checkDiscoverOptions(values: ParsedArgs['values']): void {
  if (values.discover !== true && stringOption(values.room) !== undefined) {
    throw new UsageError('--room needs --discover');
  }
}

/**
 * Starts discovery for a chat when --discover is given: announces `name` on `port` in the
 * room of `service`, and adds and removes the members it finds, with a status line for each.
 * Returns the discovery to close (it says goodbye), or undefined without --discover.
 */
export async function discoverPeers(
  values: ParsedArgs['values'],
  service: string,
  name: string,
  port: number,
  chat: DiscoveredPeers,
): Promise<Discovery | undefined> {
  const room = stringOption(values.room);
  if (values.discover !== true) {
    if (room !== undefined) throw new UsageError('--room needs --discover');
    return undefined;
  }
  // Loaded only for --discover: a chat without it starts without the discovery modules.
  const { Discovery } = await import('../discovery/discovery.js');
  const discovery = await Discovery.start();
  discovery.on('found', (peer) => {
    if (chat.add(peer.endpoint, peer, discovery.nodeId)) {
      status(`# new peer ${formatEndpoint(peer.endpoint)} (${harmless(peer.name)})`);
    }
  });
  discovery.on('lost', (peer, info) => {
    if (!chat.remove(peer.endpoint)) return;
    const why =
      info.reason === 'silent'
        ? ` (silent for ${(info.silentFor / 1000).toFixed(1)} s)`
        : info.reason === 'restarted'
          ? ' (restarted)'
          : '';
    // Named as the chat names those who leave: by the name they announced.
    status(`# ${harmless(peer.name)} ${chat.lostText ?? 'left the chat'}${why}`);
  });
  discovery.browse({ room: room ?? 'lobby', service });
  discovery.announce({ room: room ?? 'lobby', service, name, port });
  return discovery;
}
