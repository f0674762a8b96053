/**
 * Node answers a net.Socket's `localAddress`, `remoteAddress` and their ports from objects it
 * builds on first use and then keeps on the socket for its lifetime: an object and a fresh
 * address string per end, about 90 bytes each. A StreamSocket keeps its own copies (with
 * address strings shared between connections), read from the socket's handle into one object
 * made once, and drops whatever Node may have cached.
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

/** The part of a net.Socket's handle that reads its addresses. */
interface AddressHandle {
  getsockname?: unknown;
  getpeername?: unknown;
}

/** One end of a connection, as {@link readAddress} leaves it. */
export interface AddressRead {
  host: string;
  port: number;
}

/** What {@link readAddress} read last: one object for every read, taken apart by the caller. */
export const addressRead: AddressRead = { host: '', port: 0 };

// What the handle fills in: reused, as the caller copies the address and port out at once.
const filled: { address?: unknown; port?: unknown; family?: unknown } = {};

/**
 * Reads the local (`peer` false) or remote address and port of `socket` into
 * {@link addressRead}. They are asked of the socket's handle straight, into one object made
 * once, rather than through `localAddress` and its kin, which build an object per end that
 * Node keeps (see {@link forgetAddresses}); where the handle offers no such call (another
 * Node version), the public properties are read.
 */
export function readAddress(socket: Socket, peer: boolean): void {
  const handle = (socket as unknown as { _handle?: AddressHandle | null })._handle;
  const read = peer ? handle?.getpeername : handle?.getsockname;
  filled.address = undefined;
  filled.port = undefined;
  if (
    typeof read === 'function' &&
    (read as (out: object) => unknown).call(handle, filled) === 0 &&
    typeof filled.address === 'string' &&
    typeof filled.port === 'number'
  ) {
    addressRead.host = filled.address;
    addressRead.port = filled.port;
  } else {
    addressRead.host = (peer ? socket.remoteAddress : socket.localAddress) ?? '';
    addressRead.port = (peer ? socket.remotePort : socket.localPort) ?? 0;
  }
  filled.address = undefined;
}
