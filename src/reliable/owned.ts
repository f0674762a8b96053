import { DATA_HEADER_SIZE } from './wire.js';

/**
 * True when `payload` (the payload of a received DATA segment) shares its memory with other
 * datagrams: the native path packs the small datagrams of one batch into 8 KiB buffers.
 */
export function sharesBuffer(payload: Buffer): boolean {
  return payload.buffer.byteLength > payload.length + DATA_HEADER_SIZE;
}

/**
 * `payload`, in memory of its own when it shares a buffer with other datagrams: a segment kept
 * while others arrive, or a message waiting to be read, must cost what its budget charges, not
 * the whole buffer it came in.
 */
export function owned(payload: Buffer): Buffer {
  if (!sharesBuffer(payload)) return payload;
  const copy = Buffer.allocUnsafeSlow(payload.length);
  payload.copy(copy);
  return copy;
}
