import { Buffer } from 'node:buffer';
import type { Fifo } from '../internal/fifo.js';

/**
 * Takes `size` bytes (exact) or up to `size` bytes from the first chunk off `chunks`, which hold
 * at least `size` bytes. Chunks are handed out whole or as subarrays: only an exact take that
 * spans several chunks copies, to join them.
 */
export function takeBytes(chunks: Fifo<Buffer>, size: number, exact: boolean): Buffer {
  const first = chunks.peek() as Buffer;
  if (first.length > size) {
    chunks.replaceFirst(first.subarray(size));
    return first.subarray(0, size);
  }
  if (!exact || first.length === size) {
    chunks.shift();
    return first;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const chunk = chunks.peek() as Buffer;
    const need = size - at;
    if (chunk.length <= need) {
      chunk.copy(out, at);
      at += chunk.length;
      chunks.shift();
    } else {
      chunk.copy(out, at, 0, need);
      chunks.replaceFirst(chunk.subarray(need));
      at = size;
    }
  }
  return out;
}
