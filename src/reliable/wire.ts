/**
 * Encoding and decoding of the reliable datagram protocol's datagrams (docs/reliable-protocol.md).
 * Decoding never throws: anything malformed decodes to null, so that bytes from the network can
 * only be counted and ignored.
 */

export const MAGIC = 0xd552;
export const VERSION = 2;

export const enum PacketType {
  Data = 1,
  Ack = 2,
  Fin = 3,
  Reset = 4,
  Retry = 5,
}

export const FLAG_FIRST = 1;
export const FLAG_LAST = 2;

export const HEADER_SIZE = 8;
export const DATA_HEADER_SIZE = 21;
export const ACK_HEADER_SIZE = 25;
export const FIN_SIZE = 20;
export const RESET_SIZE = 8;
export const RETRY_SIZE = 12;
/** Where DATA and FIN carry the receiver's epoch. */
export const EPOCH_OFFSET = 16;
export const SACK_BLOCK_SIZE = 8;
/** The most SACK blocks one ACK carries. */
export const MAX_SACK_BLOCKS = 32;

/**
 * The most SACK blocks an ACK answering a datagram of `bytes` bytes may carry, so that the
 * ACK is at most twice as large as what triggered it.
 */
export function sackBlocksAnswering(bytes: number): number {
  const blocks = Math.floor((2 * bytes - ACK_HEADER_SIZE) / SACK_BLOCK_SIZE);
  return blocks < 0 ? 0 : blocks < MAX_SACK_BLOCKS ? blocks : MAX_SACK_BLOCKS;
}

/** A range of sequence numbers, `start` up to but not including `end` (mod 2^32). */
export interface SeqRange {
  start: number;
  end: number;
}

export interface DataPacket {
  type: PacketType.Data;
  incarnation: number;
  seq: number;
  timestamp: number;
  /** The receiver's epoch the sender last learned (0: none yet). */
  epoch: number;
  flags: number;
  /** A view into the received datagram (no copy). */
  payload: Buffer;
}

export interface AckPacket {
  type: PacketType.Ack;
  incarnation: number;
  cumulative: number;
  window: number;
  echo: number;
  /** The receiver's current epoch. */
  epoch: number;
  blocks: SeqRange[];
}

export interface FinPacket {
  type: PacketType.Fin;
  incarnation: number;
  seq: number;
  timestamp: number;
  epoch: number;
}

export interface ResetPacket {
  type: PacketType.Reset;
  incarnation: number;
}

/** The receiver refused a new flow for a stale epoch: the sender resends with this one. */
export interface RetryPacket {
  type: PacketType.Retry;
  incarnation: number;
  epoch: number;
}

export type Packet = DataPacket | AckPacket | FinPacket | ResetPacket | RetryPacket;

function header(buffer: Buffer, type: PacketType, incarnation: number): void {
  buffer.writeUInt16BE(MAGIC, 0);
  buffer[2] = VERSION;
  buffer[3] = type;
  buffer.writeUInt32BE(incarnation >>> 0, 4);
}

/** A DATA datagram carrying `payload` (copied in). */
export function encodeData(
  incarnation: number,
  seq: number,
  timestamp: number,
  epoch: number,
  flags: number,
  payload: Uint8Array,
): Buffer {
  const buffer = Buffer.allocUnsafe(DATA_HEADER_SIZE + payload.length);
  header(buffer, PacketType.Data, incarnation);
  buffer.writeUInt32BE(seq >>> 0, 8);
  buffer.writeUInt32BE(timestamp >>> 0, 12);
  buffer.writeUInt32BE(epoch >>> 0, EPOCH_OFFSET);
  buffer[20] = flags;
  buffer.set(payload, DATA_HEADER_SIZE);
  return buffer;
}

/** Rewrites the timestamp of an encoded DATA or FIN datagram before it is sent again. */
export function restamp(datagram: Buffer, timestamp: number): void {
  datagram.writeUInt32BE(timestamp >>> 0, 12);
}

/** Rewrites the epoch of an encoded DATA datagram before it is sent again. */
export function reEpoch(datagram: Buffer, epoch: number): void {
  datagram.writeUInt32BE(epoch >>> 0, EPOCH_OFFSET);
}

export function encodeAck(
  incarnation: number,
  cumulative: number,
  window: number,
  echo: number,
  epoch: number,
  blocks: readonly SeqRange[],
): Buffer {
  const count = Math.min(blocks.length, MAX_SACK_BLOCKS);
  const buffer = Buffer.allocUnsafe(ACK_HEADER_SIZE + count * SACK_BLOCK_SIZE);
  header(buffer, PacketType.Ack, incarnation);
  buffer.writeUInt32BE(cumulative >>> 0, 8);
  buffer.writeUInt32BE(window >>> 0, 12);
  buffer.writeUInt32BE(echo >>> 0, 16);
  buffer.writeUInt32BE(epoch >>> 0, 20);
  buffer[24] = count;
  for (let i = 0; i < count; i++) {
    const block = blocks[i] as SeqRange;
    buffer.writeUInt32BE(block.start >>> 0, ACK_HEADER_SIZE + i * SACK_BLOCK_SIZE);
    buffer.writeUInt32BE(block.end >>> 0, ACK_HEADER_SIZE + i * SACK_BLOCK_SIZE + 4);
  }
  return buffer;
}

export function encodeFin(
  incarnation: number,
  seq: number,
  timestamp: number,
  epoch: number,
): Buffer {
  const buffer = Buffer.allocUnsafe(FIN_SIZE);
  header(buffer, PacketType.Fin, incarnation);
  buffer.writeUInt32BE(seq >>> 0, 8);
  buffer.writeUInt32BE(timestamp >>> 0, 12);
  buffer.writeUInt32BE(epoch >>> 0, EPOCH_OFFSET);
  return buffer;
}

export function encodeReset(incarnation: number): Buffer {
  const buffer = Buffer.allocUnsafe(RESET_SIZE);
  header(buffer, PacketType.Reset, incarnation);
  return buffer;
}

export function encodeRetry(incarnation: number, epoch: number): Buffer {
  const buffer = Buffer.allocUnsafe(RETRY_SIZE);
  header(buffer, PacketType.Retry, incarnation);
  buffer.writeUInt32BE(epoch >>> 0, 8);
  return buffer;
}

/** Decodes a datagram, or returns null when it is not a well-formed datagram of this protocol. */
export function decodePacket(datagram: Buffer): Packet | null {
  if (datagram.length < HEADER_SIZE) return null;
  if (datagram.readUInt16BE(0) !== MAGIC || datagram[2] !== VERSION) return null;
  const incarnation = datagram.readUInt32BE(4);
  switch (datagram[3]) {
    case PacketType.Data: {
      if (datagram.length < DATA_HEADER_SIZE) return null;
      const flags = datagram[20] as number;
      if ((flags & ~(FLAG_FIRST | FLAG_LAST)) !== 0) return null;
      return {
        type: PacketType.Data,
        incarnation,
        seq: datagram.readUInt32BE(8),
        timestamp: datagram.readUInt32BE(12),
        epoch: datagram.readUInt32BE(EPOCH_OFFSET),
        flags,
        payload: datagram.subarray(DATA_HEADER_SIZE),
      };
    }
    case PacketType.Ack: {
      if (datagram.length < ACK_HEADER_SIZE) return null;
      const count = datagram[24] as number;
      if (count > MAX_SACK_BLOCKS) return null;
      if (datagram.length !== ACK_HEADER_SIZE + count * SACK_BLOCK_SIZE) return null;
      const blocks: SeqRange[] = [];
      for (let i = 0; i < count; i++) {
        const at = ACK_HEADER_SIZE + i * SACK_BLOCK_SIZE;
        blocks.push({ start: datagram.readUInt32BE(at), end: datagram.readUInt32BE(at + 4) });
      }
      return {
        type: PacketType.Ack,
        incarnation,
        cumulative: datagram.readUInt32BE(8),
        window: datagram.readUInt32BE(12),
        echo: datagram.readUInt32BE(16),
        epoch: datagram.readUInt32BE(20),
        blocks,
      };
    }
    case PacketType.Fin:
      if (datagram.length !== FIN_SIZE) return null;
      return {
        type: PacketType.Fin,
        incarnation,
        seq: datagram.readUInt32BE(8),
        timestamp: datagram.readUInt32BE(12),
        epoch: datagram.readUInt32BE(EPOCH_OFFSET),
      };
    case PacketType.Reset:
      if (datagram.length !== RESET_SIZE) return null;
      return { type: PacketType.Reset, incarnation };
    case PacketType.Retry:
      if (datagram.length !== RETRY_SIZE) return null;
      return { type: PacketType.Retry, incarnation, epoch: datagram.readUInt32BE(8) };
    default:
      return null;
  }
}

/** Serial-number arithmetic (RFC 1982) on 32-bit sequence numbers: the distance from a to b. */
export function seqDistance(a: number, b: number): number {
  return (b - a) >>> 0;
}

/** True when sequence number `a` comes before `b`. */
export function seqBefore(a: number, b: number): boolean {
  const d = seqDistance(a, b);
  return d !== 0 && d < 0x80000000;
}

/** `seq + n`, wrapped to 32 bits. */
export function seqAdd(seq: number, n: number): number {
  return (seq + n) >>> 0;
}
