/**
 * Reading a plain TCP connection's bytes straight from the kernel into memory the caller owns,
 * through dsock's native addon: what `recvInto` does when the kernel already holds data and
 * nothing is held in JavaScript. Node's own read goes into a buffer of Node's, and the bytes
 * are then copied out of it, one JavaScript callback per 64 KiB read; in a bulk stream that
 * copy costs about as much as everything else on the receiving side.
 *
 * The read never waits: when the kernel holds nothing, or only the end of the stream, it takes
 * nothing, and the caller waits the ordinary way, through the socket's own reads (which then
 * see the end of stream, as they would have). A read that finds the connection failed has
 * taken its error from the kernel, so the socket is destroyed with it, as Node's read does:
 * the connection fails the same way on either path.
 */
import type { Socket } from 'node:net';
import { afterATurn } from '../internal/after-a-turn.js';
import { plainDescriptor, refreshIdleTimer, systemError, tcpReadInto } from './direct-tcp.js';

/**
 * A read that takes its bytes at once settles its promise at once, so a loop of such reads
 * runs as one chain of promise reactions: while the sender keeps the kernel's queue full, the
 * event loop would get no turn, and timers, other connections and signals would wait. After
 * this many reads at once in one turn of the event loop (of all the thread's sockets), reads
 * wait for the sockets' own reads until the loop's next turn.
 */
const READS_AT_ONCE_PER_TURN = 32;
let readsThisTurn = 0;

function nextTurn(): void {
  readsThisTurn = 0;
}

/** What {@link readFromKernel} returns when this turn's reads at once are spent. */
const NOT_THIS_TURN = -1;

/**
 * Reads what the kernel holds of `socket`'s stream into `target`, at once: returns the count
 * (> 0); 0 when it took nothing (nothing there yet, the end of the stream, a socket that is not
 * a plain open TCP connection, no native addon); or {@link NOT_THIS_TURN}. The caller then
 * waits for the socket's own read.
 *
 * Only for a socket whose reads go to its wrapper as they come, with nothing held in between:
 * nothing may be held in the receive buffer, nor in net.Socket's own stream (`readableLength`),
 * or the bytes taken here would come before them.
 */
export function readFromKernel(socket: Socket, target: Uint8Array): number {
  if (tcpReadInto === null) return 0;
  if (readsThisTurn >= READS_AT_ONCE_PER_TURN) return NOT_THIS_TURN;
  if (socket.readableLength !== 0) return 0;
  const fd = plainDescriptor(socket);
  if (fd < 0) return 0;
  const n = tcpReadInto(fd, target);
  if (n > 0) {
    // The first read at once of a turn has the count reset at the turn's end (its check
    // phase, which comes once the I/O of the turn has been handled).
    if (readsThisTurn++ === 0) afterATurn(nextTurn);
    // What Node's own read does first: the idle timer counts from the last data received.
    if (socket.timeout !== undefined && socket.timeout > 0) refreshIdleTimer(socket);
    return n;
  }
  if (n < 0) socket.destroy(systemError(n, 'read'));
  return 0;
}
