/**
 * Reading a connection through net.Socket's `onread` into one buffer that every plain TCP
 * socket of the thread shares, each read copied out at once into a Buffer of its own: the way
 * a connected socket reads when no `readBufferSize` is given, and the way an accepted one
 * reads (accepted-read.ts).
 *
 * The data then skips net.Socket's stream machinery on its way to the receive buffer: no
 * 'data' event and no queued tick after each read (a tick that Node runs before the promise
 * reactions it settled, so before the application sees the bytes). Node's own reads make a
 * 64 KiB buffer per read and shrink it to the bytes read; here the copy is made at the size
 * read, and an idle connection holds no read buffer at all.
 *
 * Sharing is safe because the system writes into the buffer only within a read, and Node calls
 * back right after that read, on this thread, before any other: the bytes are copied before
 * the next read of any socket can overwrite them.
 */
import { Buffer } from 'node:buffer';
import type { OnReadOpts } from 'node:net';
import { owner, type OwnedSocket } from './net-socket.js';
import { onSocketRead, type SocketEventSink } from './socket-events.js';

/** The most one shared read takes: Node's own reads take up to 64 KiB too. */
export const SHARED_READ_SIZE = 64 * 1024;

/** The `onread` option of the shared read: the buffer, and the callback that copies out of it. */
export interface SharedReading extends OnReadOpts {
  buffer: Buffer;
  callback: typeof copyOut;
}

// Made with the first connection that reads this way; a thread without one holds nothing.
let reading: SharedReading | undefined;

function copyOut(this: OwnedSocket<SocketEventSink>, bytes: number, buffer: Uint8Array): boolean {
  // The buffer is the shared one (a Buffer): the owner copies it by range, with no view made
  // per read, into a read's own memory if one waits with it (recvInto), else into a Buffer.
  this[owner][onSocketRead](buffer as Buffer, bytes);
  return true;
}

/** The `onread` option that reads into the thread's shared buffer and copies each read out. */
export function sharedReading(): SharedReading {
  return (reading ??= { buffer: Buffer.allocUnsafeSlow(SHARED_READ_SIZE), callback: copyOut });
}
