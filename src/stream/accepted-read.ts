/**
 * Reading an accepted connection through the thread's shared read buffer (shared-read.ts), as a
 * connected socket does. net.Server makes its sockets without net.Socket's `onread` option and
 * offers no way to pass one, so a socket it accepted is given the same state afterwards, before
 * its first read: what Node's own Socket constructor sets up when given `onread` together with
 * a handle.
 *
 * That state is three fields under symbols private to Node (`kBuffer`, `kBufferCb`,
 * `kBufferGen`) and the handle's `useUserBuffer`. The symbols are found once, on a socket made
 * with `onread` and never connected, by the values Node stored under them; then each accepted
 * socket is checked to be in the state this relies on (own fields still empty, a handle that
 * takes a user buffer and is not reading, the reading callback that honours the fields). If
 * anything differs (another Node version), the socket is left alone and reads through its
 * 'data' events as before: nothing is changed before every check has passed.
 *
 * Why it is safe: a server made with `pauseOnConnect` creates each socket with its handle's
 * reading stopped, so no byte has been read into Node's own buffers yet, and from the first
 * read on the handle writes into the user buffer and calls back through the same
 * `onStreamRead` that a socket made with `onread` uses (it looks the fields up on the socket at
 * each read). net.Socket's `pause`, `resume` and `read` stop and start the handle's reading
 * when `kBuffer` is set, so backpressure (the receive buffer pausing the socket) works as for a
 * connected socket; end of stream, errors, the idle timer and destroy take the same paths as
 * before. Node's own accept path (connection counting, `maxConnections`, 'connection' and its
 * diagnostics channel) is untouched.
 */
import { Buffer } from 'node:buffer';
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { sharedReading } from './shared-read.js';

/** The keys under which net.Socket keeps its `onread` option. */
interface OnReadKeys {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

/** The part of a net.Socket's handle this relies on. */
interface StreamHandle {
  reading?: unknown;
  onread?: unknown;
  useUserBuffer?: unknown;
}

// Found on the first accepted socket: undefined before, null when this Node keeps them
// otherwise.
let keys: OnReadKeys | null | undefined;

/** The keys net.Socket stores its `onread` option under, found on a socket never connected. */
function findOnReadKeys(): OnReadKeys | null {
  const probe: OnReadOpts = { buffer: Buffer.alloc(1), callback: () => true };
  let socket: Socket;
  try {
    socket = new Socket({ onread: probe } as SocketConstructorOpts);
  } catch {
    return null;
  }
  const fields = socket as unknown as Record<symbol, unknown>;
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  let generator: symbol | undefined;
  for (const key of Object.getOwnPropertySymbols(socket)) {
    const value = fields[key];
    if (value === probe.buffer) buffer = key;
    else if (value === probe.callback) callback = key;
    else if (key.description === 'kBufferGen' && value === null) generator = key;
  }
  socket.destroy();
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  return { buffer, callback, generator };
}

/**
 * Makes `socket`, just accepted by a plain (not TLS) net.Server with `pauseOnConnect` and not
 * yet read from, read into the thread's shared buffer when it resumes. Returns false, changing
 * nothing, when this Node's internals are not as expected: the socket then reads as before.
 */
export function readAcceptedThroughSharedBuffer(socket: Socket): boolean {
  keys ??= findOnReadKeys();
  if (keys === null) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (
    handle === null ||
    typeof handle !== 'object' ||
    typeof handle.useUserBuffer !== 'function' ||
    // Not reading yet (pauseOnConnect), so no byte went into Node's own buffers.
    handle.reading !== false ||
    // The reading callback that looks the fields up on the socket (Node's onStreamRead).
    typeof handle.onread !== 'function' ||
    handle.onread.name !== 'onStreamRead' ||
    socket.destroyed ||
    socket.readableLength !== 0 ||
    !Object.hasOwn(socket, keys.buffer) ||
    fields[keys.buffer] !== null ||
    fields[keys.callback] !== null ||
    fields[keys.generator] !== null
  ) {
    return false;
  }
  const { buffer, callback } = sharedReading();
  // As Node's initSocketHandle does for a socket made with `onread`: the handle reads into
  // the buffer from now on, and the socket hands each read to the callback.
  (handle.useUserBuffer as (buffer: Uint8Array) => void).call(handle, buffer);
  fields[keys.buffer] = buffer;
  fields[keys.callback] = callback;
  return true;
}
