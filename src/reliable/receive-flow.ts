import type { DataPacket, SeqRange } from './wire.js';
import { HELD_SEGMENT_OVERHEAD } from './options.js';
import { owned } from './owned.js';
import { FLAG_FIRST, FLAG_LAST, seqAdd, seqDistance } from './wire.js';

/** What became of one DATA segment. */
export const enum DataResult {
  /** It was next in order: `cumulative` advanced (perhaps over held segments too). */
  InOrder,
  /** It arrived ahead of a hole and is held. */
  Held,
  /** It was received before. */
  Duplicate,
  /** It lies beyond what the receiver can hold now. */
  BeyondWindow,
  /** It breaks the fragment sequence or the message size limit: the flow must be reset. */
  Broken,
  /** It would be held out of order past the socket's budget: dropped unacknowledged. */
  OverBudget,
  /** It would grow an unfinished message past the socket's reassembly budget: dropped unacknowledged. */
  ReassemblyFull,
  /**
   * The queue of messages waiting for the application is full, or has no room for the
   * message this segment would complete: not taken (the window is 0 until it has room).
   */
  QueueFull,
}

/** Bytes held across all flows of a socket (out of order, or of unfinished messages), and their limit. */
export interface HeldBudget {
  used: number;
  readonly limit: number;
}

/** The room the socket's queue of complete messages has, shared by all its flows. */
export interface DeliveryRoom {
  /** True while the queue takes no message: every flow advertises a window of 0. */
  readonly full: boolean;
  /** True when a message of `bytes` payload bytes may be delivered now; false makes it full. */
  admit(bytes: number): boolean;
}

const NO_BLOCKS: SeqRange[] = [];

/**
 * What a flow uses of the peer it belongs to. The peer (peer.ts) holds its flows, so the flow
 * names only this much of it and takes the full type as a parameter: no import back.
 */
export interface FlowPeer {
  readonly host: string;
  readonly port: number;
  readonly transmit: (datagram: Buffer) => void;
}

/**
 * One incoming flow (a peer's incarnation): the next expected sequence number, the segments
 * held past it, and the message being reassembled (docs/reliable-protocol.md, "Receiver").
 * Complete messages go to `deliver` in order, with the number of segments they took, which
 * count against the window until the application reads them.
 */
export class ReceiveFlow<P extends FlowPeer = FlowPeer> {
  /** The next sequence number expected: every segment before it has arrived. */
  cumulative = 0;
  /** Segments of delivered messages the application has not read yet. */
  unread = 0;
  /** When anything last arrived (ms). */
  lastReceived: number;
  /** When `cumulative` last advanced, or the flow started (ms). */
  lastAdvance: number;
  /** True once the flow delivered a message. */
  proven = false;
  /** The size of the largest datagram answered by the next ACK (bytes), for its SACK blocks. */
  ackTrigger = 0;
  /** The timestamp the next ACK echoes. */
  echo = 0;
  /** The sequence number of the sender's FIN, once known. */
  finSeq: number | undefined;
  /** The window the last ACK advertised. */
  lastAdvertised: number;
  /** True while an ACK is scheduled for the end of the batch. */
  ackPending = false;
  /** False once the flow has been freed. */
  alive = true;
  heldCount = 0;
  /** Bytes held out of order, as counted against the budget. */
  heldBytes = 0;
  /** Bytes of the unfinished message, as counted against the reassembly budget. */
  assemblyBytes = 0;
  #held: (DataPacket | undefined)[] | undefined;
  #heldHead = 0;
  /** One past the largest offset (from `cumulative`) held. */
  #heldSpan = 0;
  #lastHeld = 0;
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #assembling = false;

  constructor(
    readonly peer: P,
    readonly incarnation: number,
    private readonly limit: number,
    private readonly maxMessageSize: number,
    private readonly deliver: (flow: ReceiveFlow, message: Buffer, segments: number) => void,
    private readonly budget: HeldBudget,
    private readonly reassembly: HeldBudget,
    private readonly room: DeliveryRoom,
    now: number,
  ) {
    this.lastReceived = now;
    this.lastAdvance = now;
    this.lastAdvertised = limit;
  }

  /** How many more segments past `cumulative` the flow will hold now. */
  get window(): number {
    if (this.room.full) return 0;
    const window = this.limit - this.heldCount - this.unread;
    return window > 0 ? window : 0;
  }

  /** True while the flow holds the first fragments of a message and not its last. */
  get assembling(): boolean {
    return this.#assembling;
  }

  /** True when delivered messages the application has not read take the whole window. */
  get waitsForReader(): boolean {
    return this.unread >= this.limit;
  }

  /** True when the sender's FIN is known and everything before it arrived. */
  get complete(): boolean {
    return this.finSeq === this.cumulative;
  }

  onData(packet: DataPacket, now: number): DataResult {
    this.lastReceived = now;
    this.echo = packet.timestamp;
    const offset = seqDistance(this.cumulative, packet.seq);
    if (offset >= 0x80000000) return DataResult.Duplicate;
    if (this.room.full) return DataResult.QueueFull;
    // Segments already held lie within this bound, so it is checked first; memory stays
    // within `limit` segments whatever the sender does.
    if (offset >= this.limit - this.unread) return DataResult.BeyondWindow;
    if (offset === 0) {
      // A message the queue has no room for is not taken, so that nothing acknowledged is
      // ever dropped: its sender sends it again once the window opens. (Held segments that
      // follow an accepted one are taken whatever the room: they are in memory already.)
      if ((packet.flags & FLAG_LAST) !== 0) {
        const bytes = this.#assembling
          ? this.#partsBytes + packet.payload.length
          : packet.payload.length;
        if (!this.room.admit(bytes)) return DataResult.QueueFull;
      }
      // Past the reassembly budget, a fragment that leaves its message unfinished waits for a
      // retransmission; a last fragment frees what its message held, so it is always taken.
      // (Held segments that follow are taken too: they were counted as held.)
      if (
        (packet.flags & FLAG_LAST) === 0 &&
        this.reassembly.used + packet.payload.length + HELD_SEGMENT_OVERHEAD > this.reassembly.limit
      ) {
        return DataResult.ReassemblyFull;
      }
      return this.#advance(packet) ? DataResult.InOrder : DataResult.Broken;
    }
    const held = (this.#held ??= new Array<DataPacket | undefined>(this.limit));
    const slot = (this.#heldHead + offset) % this.limit;
    if (held[slot] !== undefined) return DataResult.Duplicate;
    const charge = packet.payload.length + HELD_SEGMENT_OVERHEAD;
    const budget = this.budget;
    if (budget.used + charge > budget.limit) return DataResult.OverBudget;
    budget.used += charge;
    this.heldBytes += charge;
    packet.payload = owned(packet.payload);
    held[slot] = packet;
    this.heldCount++;
    if (offset >= this.#heldSpan) this.#heldSpan = offset + 1;
    this.#lastHeld = packet.seq;
    return DataResult.Held;
  }

  /**
   * The SACK blocks to report: the held runs, the one that changed last first, at most `max`.
   */
  sackBlocks(max: number): SeqRange[] {
    if (this.heldCount === 0 || max === 0) return NO_BLOCKS;
    const held = this.#held as (DataPacket | undefined)[];
    const blocks: SeqRange[] = [];
    let start = -1;
    let recent = -1;
    for (let offset = 1; offset <= this.#heldSpan; offset++) {
      const present =
        offset < this.#heldSpan && held[(this.#heldHead + offset) % this.limit] !== undefined;
      if (present && start < 0) {
        start = offset;
      } else if (!present && start >= 0) {
        const block = {
          start: seqAdd(this.cumulative, start),
          end: seqAdd(this.cumulative, offset),
        };
        if (seqDistance(block.start, this.#lastHeld) < offset - start) recent = blocks.length;
        blocks.push(block);
        start = -1;
      }
    }
    if (recent > 0) blocks.unshift(...blocks.splice(recent, 1));
    if (blocks.length > max) blocks.length = max;
    return blocks;
  }

  /** Frees what the flow holds. */
  clear(): void {
    this.alive = false;
    this.#held = undefined;
    this.heldCount = 0;
    this.budget.used -= this.heldBytes;
    this.heldBytes = 0;
    this.#parts = [];
    this.#partsBytes = 0;
    this.reassembly.used -= this.assemblyBytes;
    this.assemblyBytes = 0;
    this.#assembling = false;
  }

  /** Takes the segment at `cumulative`, then every held one that follows it. */
  #advance(first: DataPacket): boolean {
    let packet: DataPacket | undefined = first;
    const held = this.#held;
    while (packet !== undefined) {
      if (!this.#take(packet)) return false;
      this.cumulative = seqAdd(this.cumulative, 1);
      if (held === undefined) return true;
      // The ring's head slot always stands for `cumulative`.
      held[this.#heldHead] = undefined;
      this.#heldHead = (this.#heldHead + 1) % this.limit;
      if (this.#heldSpan > 0) this.#heldSpan--;
      if (this.heldCount === 0) return true;
      packet = held[this.#heldHead];
      if (packet !== undefined) {
        held[this.#heldHead] = undefined;
        this.heldCount--;
        const charge = packet.payload.length + HELD_SEGMENT_OVERHEAD;
        this.heldBytes -= charge;
        this.budget.used -= charge;
      }
    }
    return true;
  }

  /** Adds one in-order fragment to the message being reassembled. */
  #take(packet: DataPacket): boolean {
    const { flags, payload } = packet;
    if (!this.#assembling) {
      if ((flags & FLAG_FIRST) === 0) return false;
      if ((flags & FLAG_LAST) !== 0) {
        if (payload.length > this.maxMessageSize) return false;
        // Delivered as it came: the delivery queue gives it memory of its own if it is still
        // waiting there once this turn of the event loop is over (most are read before).
        this.deliver(this, payload, 1);
        return true;
      }
      this.#assembling = true;
    } else if ((flags & FLAG_FIRST) !== 0) {
      return false;
    }
    // The last fragment is copied by the concatenation at once; the others are kept till then.
    this.#parts.push((flags & FLAG_LAST) === 0 ? owned(payload) : payload);
    this.#partsBytes += payload.length;
    const charge = payload.length + HELD_SEGMENT_OVERHEAD;
    this.assemblyBytes += charge;
    this.reassembly.used += charge;
    if (this.#partsBytes > this.maxMessageSize) return false;
    if ((flags & FLAG_LAST) !== 0) {
      const parts = this.#parts;
      const message = Buffer.concat(parts, this.#partsBytes);
      this.#parts = [];
      this.#partsBytes = 0;
      this.#assembling = false;
      this.reassembly.used -= this.assemblyBytes;
      this.assemblyBytes = 0;
      this.deliver(this, message, parts.length);
    }
    return true;
  }
}
