import { lookup } from 'node:dns/promises';
import { toDestination } from '../datagram/destination.js';
import type { AddressFamily, EndpointLike } from '../endpoint/endpoint.js';
import { familyOf } from '../endpoint/parse.js';
import { toSocketError } from '../errors.js';
import type { Peer } from './peer.js';
import type { ReliableCore } from './reliable-core.js';

/**
 * The peer a send to `to` goes to: at once for an address, after a lookup for a host name.
 * Throws {@link InvalidEndpointError} for a bad endpoint or port 0.
 */
export function resolvePeer(
  core: ReliableCore,
  to: EndpointLike,
  family: AddressFamily,
): Peer | Promise<Peer> {
  if (typeof to === 'object' && to !== null && typeof to.host === 'string') {
    const port = to.port;
    if (typeof port === 'number' && (port | 0) === port && port > 0 && port <= 65535) {
      const known = core.known(to.host, port);
      if (known !== undefined) return known;
    }
  }
  const endpoint = toDestination(to, family);
  if (familyOf(endpoint.host) !== undefined) return core.peer(endpoint.host, endpoint.port);
  // Peers are known by the address their datagrams come from, so a name is resolved first.
  return lookup(endpoint.host, { family: family === 'IPv6' ? 6 : 4 }).then(
    (found) => core.peer(found.address, endpoint.port),
    (error: unknown) => {
      throw toSocketError(error, 'send', endpoint);
    },
  );
}
