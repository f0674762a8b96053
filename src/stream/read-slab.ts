/**
 * Reading a connection into memory the socket owns (net.Socket's `onread`), for the
 * `readBufferSize` option of a connect: each read from the kernel may take up to the rest of a
 * slab of that size instead of Node's 64 KiB, and the data skips the stream machinery of
 * net.Socket ('data' events, its own queue, a tick per read) on its way to the receive buffer.
 *
 * Reads fill a slab front to back and are handed on as subarrays of it, never copied: the next
 * read goes into the bytes after the last one, and once less than a quarter of the slab is left
 * a new slab is taken for the rest of the reads, so bytes handed out are never written again.
 * A slab is freed once nothing handed out of it is held any longer.
 */
import { Buffer } from 'node:buffer';
import type { OnReadOpts } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';
import { owner, type OwnedSocket } from './net-socket.js';
import { onSocketData, type SocketEventSink } from './socket-events.js';

/** The smallest `readBufferSize`: 4 KiB. */
export const MIN_READ_BUFFER_SIZE = 4096;
/** The largest `readBufferSize`: 64 MiB. */
export const MAX_READ_BUFFER_SIZE = 64 * 1024 * 1024;

/**
 * Checks the `readBufferSize` option of a connect: undefined (the shared reads of
 * shared-read.ts), or an integer from {@link MIN_READ_BUFFER_SIZE} to
 * {@link MAX_READ_BUFFER_SIZE}, and never with TLS (TLS reads the connection itself).
 */
export function checkReadBufferSize(value: unknown, tls: boolean): number | undefined {
  if (value === undefined) return undefined;
  const size = checkInteger('readBufferSize', value, MIN_READ_BUFFER_SIZE, MAX_READ_BUFFER_SIZE);
  if (tls) {
    throw new InvalidArgumentError('readBufferSize', 'left out with tls', value, {
      message: 'readBufferSize cannot be used with tls: TLS reads the connection itself',
    });
  }
  return size;
}

/**
 * The `onread` option that makes a net.Socket read into slabs of `size` bytes and hand each
 * read to the wrapper it carries under {@link owner}: its first slab is taken when the socket
 * connects. Node calls the callback on the socket, but the buffer function on nothing the
 * first time, so that one keeps the slab in its closure.
 */
export function slabReading(size: number): OnReadOpts {
  let slab = Buffer.alloc(0);
  let at = 0;
  return {
    buffer(): Uint8Array {
      // Less than a quarter left: the rest of the reads go to a new slab.
      if (slab.length - at < size / 4) {
        slab = Buffer.allocUnsafeSlow(size);
        at = 0;
      }
      return slab.subarray(at);
    },
    callback(this: OwnedSocket<SocketEventSink>, bytes: number, buffer: Uint8Array): boolean {
      // The next read goes into the bytes after these, which are handed on, not copied.
      at += bytes;
      this[owner][onSocketData]((buffer as Buffer).subarray(0, bytes));
      return true;
    },
  };
}
