import { lookup } from 'node:dns/promises';
import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import { familyOf } from '../endpoint/parse.js';
import { toSocketError, type SocketError } from '../errors.js';

/** Options of {@link resolvePeers}. */
export interface ResolveOptions {
  /**
   * Called for each peer whose name does not resolve, which is then left out of the result.
   * Without it, such a peer rejects the whole call.
   */
  onUnresolved?: (peer: Endpoint, error: SocketError) => void;
}

/**
 * Resolves the host names of `peers` to addresses of `family` (either family, as the system
 * orders them, when `family` is undefined: for a dual-stack socket), so that a peer given as
 * `localhost:8081` is recognised when its datagrams arrive from `127.0.0.1:8081`. Address
 * literals are kept as they are. Rejects with NameResolutionError naming the peer, unless
 * `onUnresolved` is given: then that peer is reported to it and skipped.
 *
 * @example
 * const peers = await resolvePeers(given, 'IPv4', {
 *   onUnresolved: (peer, error) => console.error(`skipped ${peer.host}: ${error.message}`),
 * });
 */
export async function resolvePeers(
  peers: Endpoint[],
  family: AddressFamily | undefined,
  options: ResolveOptions = {},
): Promise<Endpoint[]> {
  const resolved = await Promise.all(
    peers.map(async (peer): Promise<Endpoint | undefined> => {
      if (familyOf(peer.host) !== undefined) return peer;
      try {
        const wanted = family === undefined ? 0 : family === 'IPv6' ? 6 : 4;
        const { address } = await lookup(peer.host, { family: wanted });
        return { host: address, port: peer.port };
      } catch (error) {
        const failure = toSocketError(error, 'send', peer);
        if (options.onUnresolved === undefined) throw failure;
        options.onUnresolved(peer, failure);
        return undefined;
      }
    }),
  );
  return resolved.filter((peer): peer is Endpoint => peer !== undefined);
}
