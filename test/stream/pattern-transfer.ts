import assert from 'node:assert/strict';
import type { StreamSocket } from '../../src/index.js';
import { pattern } from '../helpers/child.js';

/**
 * Sends `total` bytes of the test pattern (from `offset` on) from `socket` in pieces of `piece`
 * bytes.
 */
export async function sendPattern(
  socket: StreamSocket,
  total: number,
  piece: number,
  progress?: (sent: number) => void,
  offset = 0,
): Promise<void> {
  for (let sent = 0; sent < total; sent += piece) {
    await socket.sendAll(pattern(offset + sent, Math.min(piece, total - sent)));
    progress?.(sent + piece);
  }
}

/**
 * Follows `sent()` until it has not moved for ten checks in a row, each after 50 ms, and
 * returns it (bounded: at most 400 checks).
 */
export async function stalled(sent: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 400 && same < 10; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    same = sent() === last ? same + 1 : 0;
    last = sent();
  }
  assert.equal(same, 10, `the sender did not stall (last count ${last} bytes)`);
  return last;
}
