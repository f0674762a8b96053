import { Buffer } from 'node:buffer';

/**
 * Up to this many bytes are copied byte by byte: Node's `copy` of a range first makes a view
 * of it (about 90 bytes of heap, a third of what a 64-byte Buffer costs), which a loop over a
 * few bytes does not need, at about the same time.
 */
const LOOP_COPY_MAX = 64;

/**
 * A Buffer of its own (never a piece of Node's shared pool, which a small chunk held for long
 * would keep alive whole) with the bytes `start` to `end` of `source`.
 */
export function ownCopy(source: Uint8Array, start: number, end: number): Buffer {
  const size = end - start;
  const copy = Buffer.allocUnsafeSlow(size);
  if (size <= LOOP_COPY_MAX) {
    for (let i = 0; i < size; i++) copy[i] = source[start + i] as number;
  } else {
    copy.set(source.subarray(start, end));
  }
  return copy;
}
