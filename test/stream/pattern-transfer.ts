import assert from 'node:assert/strict';
import type { StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';

const MIB = 1024 * 1024;

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

/**
 * Starts sending `total` bytes of the pattern from `sender` in pieces of `piece` bytes, to a
 * peer that does not read yet, and waits until the sender has stalled: resolves with the
 * sending (whose failure is left to whoever awaits it) and the bytes it got out.
 */
export async function sendUntilStalled(
  sender: StreamSocket,
  total: number,
  piece: number,
): Promise<{ sending: Promise<void>; held: number }> {
  let sent = 0;
  const sending = sendPattern(sender, total, piece, (count) => (sent = count));
  sending.catch(() => undefined);
  return { sending, held: await stalled(() => sent) };
}

/**
 * Sends 96 MiB of the pattern from `sender` to `receiver`, which does not read at first: the
 * sender must stall far below the total (the receiver's buffer limit, one read and the kernel's
 * buffers), and once `receiver` reads, every byte must come, in order.
 */
export async function stallThenDeliver(
  sender: StreamSocket,
  receiver: StreamSocket,
): Promise<void> {
  const total = 96 * MIB;
  const { sending, held } = await sendUntilStalled(sender, total, 64 * 1024);
  assert.ok(held < 48 * MIB, `the sender got ${held} bytes out to a receiver not reading`);
  let received = 0;
  for await (const chunk of receiver) {
    assert.ok(chunk.equals(pattern(received, chunk.length)), `bytes differ at ${received}`);
    received += chunk.length;
    if (received === total) break;
  }
  await within(sending, 30_000, 'sending');
  assert.equal(received, total);
}
