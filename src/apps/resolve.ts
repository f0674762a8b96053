import { lookup } from 'node:dns/promises';
import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import { familyOf } from '../endpoint/parse.js';
import { toSocketError } from '../errors.js';

/**
 * Resolves the host names of `peers` to addresses of `family`, so that a peer given as
 * `localhost:8081` is recognised when its datagrams arrive from `127.0.0.1:8081`. Address
 * literals are kept as they are. Rejects with NameResolutionError naming the peer.
 */
export async function resolvePeers(peers: Endpoint[], family: AddressFamily): Promise<Endpoint[]> {
  return Promise.all(
    peers.map(async (peer) => {
      if (familyOf(peer.host) !== undefined) return peer;
      try {
        const { address } = await lookup(peer.host, { family: family === 'IPv6' ? 6 : 4 });
        return { host: address, port: peer.port };
      } catch (error) {
        throw toSocketError(error, 'send', peer);
      }
    }),
  );
}
