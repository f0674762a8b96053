/**
 * Writing a plain TCP connection's bytes straight from the caller's memory into the kernel,
 * through dsock's native addon: what `sendAll` does first when nothing is queued in Node before
 * it. Node's own write goes through its stream machinery for every call (a write request
 * object, its bookkeeping, a queued tick for its completion): for a bulk sender writing 64 KiB
 * at a time, about 50 us of processor time per MiB, an eighth of the kernel's own work.
 *
 * The write never waits: what the kernel does not take now (its send buffer is full) is
 * written the ordinary way by the caller, after these bytes. A write that finds the connection
 * failed has taken its error from the kernel, so the socket is destroyed with it, as Node's
 * write does: the connection fails the same way on either path.
 */
import type { Socket } from 'node:net';
import { plainDescriptor, refreshIdleTimer, systemError, tcpWriteFrom } from './direct-tcp.js';

/**
 * Hands the kernel what it takes now of `source` for `socket`'s stream: returns the count taken
 * (0 when it took nothing: its send buffer is full, the socket is not a plain open TCP
 * connection, there is no native addon), or -1 when the connection has failed, in which case
 * the socket has been destroyed with the error.
 *
 * Only for a socket with nothing queued in Node's stream (`writableLength` 0, not corked), or
 * these bytes would go out before the queued ones.
 */
export function writeToKernel(socket: Socket, source: Uint8Array): number {
  // Ended: the end of the stream may already be queued (a send subscriber can shut the
  // socket down within sendAll); Node's write refuses what comes after it.
  if (tcpWriteFrom === null || socket.writableCorked !== 0 || socket.writableEnded) return 0;
  const fd = plainDescriptor(socket);
  if (fd < 0) return 0;
  const n = tcpWriteFrom(fd, source);
  if (n > 0) {
    // What Node's own write does: the idle timer counts from the last data sent.
    if (socket.timeout !== undefined && socket.timeout > 0) refreshIdleTimer(socket);
    return n;
  }
  if (n < 0) {
    socket.destroy(systemError(n, 'write'));
    return -1;
  }
  return 0;
}
