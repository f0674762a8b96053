/**
 * Node answers a net.Socket's `localAddress`, `remoteAddress` and their ports from objects it
 * builds on first use and then keeps on the socket for its lifetime: an object and a fresh
 * address string per end, about 90 bytes each. A StreamSocket keeps its own copies (with
 * address strings shared between connections), so it lets Node's go once it has read them.
 */
import type { Socket } from 'node:net';

/** Where Node keeps what `getsockname` and `getpeername` returned. */
interface AddressCaches {
  _sockname?: unknown;
  _peername?: unknown;
}

/**
 * Drops the addresses Node cached on `socket`; a later read through the socket asks the system
 * again (or, once Node has destroyed the socket, finds none). The properties are set to null
 * rather than deleted, so that the socket keeps its shape.
 */
export function forgetAddresses(socket: Socket): void {
  const caches = socket as Socket & AddressCaches;
  if (caches._sockname) caches._sockname = null;
  if (caches._peername) caches._peername = null;
}
