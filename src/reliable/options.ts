import type { DatagramSocketOptions } from '../datagram/options.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInteger, checkOptionalFlag, checkOptionsObject } from '../internal/validate.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { DATA_HEADER_SIZE } from './wire.js';
import type { PskOptions } from '../psk/sealer.js';

/** Options of {@link ReliableDatagramSocket.bind}; the UDP socket's options apply too. */
export interface ReliableSocketOptions extends DatagramSocketOptions, PskOptions {
  /**
   * Refused when true, with {@link InvalidArgumentError}: a reliable flow has exactly one peer,
   * whose acknowledgements come from its own address, never from a broadcast address.
   */
  broadcast?: boolean;
  /** The most payload bytes in one DATA segment (default 1200, so datagrams fit a common MTU). */
  fragmentSize?: number;
  /** The largest message sent or accepted, in bytes (default 1 MiB). */
  maxMessageSize?: number;
  /**
   * How many segments each incoming flow may hold: out of order, or delivered and not yet read
   * (default 256). The window advertised to senders; with the fragment size it bounds the
   * memory of a flow.
   */
  receiveWindow?: number;
  /**
   * Payload bytes per peer accepted into the send buffer before `sendTo` waits for room
   * (default 4 MiB). A single message larger than it is still accepted when the buffer is empty.
   */
  sendBufferLimit?: number;
  /** The floor of the retransmission timeout, in ms (default 10). */
  minRto?: number;
  /**
   * How long (ms) a peer may leave outstanding segments unacknowledged before its sends fail
   * with {@link PeerUnreachableError} (default 10,000).
   */
  peerTimeout?: number;
  /** How long (ms) `close()` waits for peers to acknowledge what is outstanding (default 2000). */
  closeTimeout?: number;
  /**
   * The most incoming flows held at once (default 1024). When full, a new flow takes the place
   * of the oldest flow that has delivered nothing yet, else of the flow idle longest if it
   * received nothing for a second; otherwise its DATA is dropped unanswered (its sender retries).
   */
  maxFlows?: number;
  /** The most incoming flows from one source endpoint at once (default 16); more are reset. */
  maxFlowsPerPeer?: number;
  /**
   * The most incoming flows from one source address at once, whatever their ports (default
   * 64); more are reset. It keeps a host with many ports from taking the flow table.
   */
  maxFlowsPerAddress?: number;
  /**
   * How long (ms) a flow that has delivered no message yet, or holds an unfinished message, is
   * kept without its cumulative acknowledgement advancing (default 5000); it is then freed and
   * reset. (Time the window stays taken by messages the application has not read is not counted.)
   */
  newFlowTimeout?: number;
  /**
   * Bytes held out of order (received past a hole) across all incoming flows (default
   * 16 MiB), each segment counted as its payload plus 768 bytes (what its objects take). Past it, new out-of-order
   * segments are dropped unacknowledged. Each flow is bounded too, by `receiveWindow`
   * segments of at most `fragmentSize` bytes.
   */
  outOfOrderLimit?: number;
  /**
   * Bytes of unfinished messages (fragments received in order, the last one not yet) across
   * all incoming flows (default 16 MiB), each fragment counted as its payload plus 768 bytes.
   * Past it, a fragment that would leave its message unfinished is dropped unacknowledged (its
   * sender retransmits it). A message larger than about
   * `reassemblyLimit / (1 + 768 / fragmentSize)` can therefore never arrive.
   */
  reassemblyLimit?: number;
  /**
   * How many ended incoming flows are remembered to refuse their replays (default 8192, in
   * two generations of half; see the protocol's epochs).
   */
  flowRecordLimit?: number;
  /**
   * The most complete messages held for the application, across all peers and flows (those
   * that ended too), while it does not read (default 4096). Unlike a datagram socket's, a
   * reliable socket's queue drops nothing: once full, every incoming flow advertises a window
   * of 0 and no DATA is taken or acknowledged (counted in {@link ReliableStats.segmentsQueueFull}),
   * so senders hold their messages back until the application has read the queue down to half
   * of this and of {@link receiveQueueBytes}; a sender held back for its `peerTimeout` fails
   * its sends. (Segments a flow held out of order, already in memory, may pass it when they
   * complete a message.)
   */
  receiveQueueLimit?: number;
  /**
   * The most payload bytes of complete messages held for the application, across all peers
   * (default 16 MiB); as {@link receiveQueueLimit}, past it senders are held back, never
   * dropped. A message larger than it is taken when the queue is empty.
   */
  receiveQueueBytes?: number;
}

/** Options of {@link ReliableDatagramSocket.close}. */
export interface ReliableCloseOptions {
  /** How long (ms) to wait for peers to acknowledge; the socket's `closeTimeout` by default. */
  timeout?: number;
}

/** The checked settings of a reliable socket. */
export interface ReliableSettings {
  fragmentSize: number;
  maxMessageSize: number;
  receiveWindow: number;
  sendBufferLimit: number;
  minRto: number;
  peerTimeout: number;
  closeTimeout: number;
  maxFlows: number;
  maxFlowsPerPeer: number;
  maxFlowsPerAddress: number;
  newFlowTimeout: number;
  outOfOrderLimit: number;
  reassemblyLimit: number;
  flowRecordLimit: number;
  receiveQueueLimit: number;
  receiveQueueBytes: number;
}

/** A sender frees a flow that had nothing outstanding for this long (ms), sending FIN once. */
export const SEND_LINGER = 5000;
/** A receiver frees a flow that received nothing for this long (ms); above {@link SEND_LINGER}. */
export const RECEIVE_IDLE_TIMEOUT = 30_000;
/** A full flow table lets a new flow take the place of a flow idle this long (ms). */
export const EVICTABLE_IDLE = 1000;
/** What a segment held out of order is counted as beyond its payload (bytes): its header, views and objects, as measured on Node 20. */
export const HELD_SEGMENT_OVERHEAD = 768;
/** The UDP socket buffers asked for unless configured, so that a window's burst fits. */
export const DEFAULT_SOCKET_BUFFER = 1024 * 1024;

const MAX_MS = 2 ** 31 - 1;

/** Checks the reliable options (the UDP ones are checked at bind), naming what is wrong. */
export function checkReliableOptions(options: ReliableSocketOptions): ReliableSettings {
  checkOptionsObject(options, '{ peerTimeout: 5000 }');
  if (checkOptionalFlag('broadcast', options.broadcast) === true) {
    throw new InvalidArgumentError(
      'broadcast',
      'left out or false: a reliable flow has one peer, which acknowledges from its own address',
      true,
    );
  }
  const int = (name: keyof ReliableSettings, fallback: number, min: number, max: number): number =>
    checkInteger(name, options[name] ?? fallback, min, max);
  return {
    // The DATA header and the fragment must fit one IPv4 UDP datagram.
    fragmentSize: int('fragmentSize', 1200, 1, 65507 - DATA_HEADER_SIZE),
    maxMessageSize: int('maxMessageSize', 1024 * 1024, 0, 2 ** 30),
    receiveWindow: int('receiveWindow', 256, 1, 65536),
    sendBufferLimit: int('sendBufferLimit', 4 * 1024 * 1024, 1, 2 ** 31),
    minRto: int('minRto', 10, 1, 60_000),
    peerTimeout: int('peerTimeout', 10_000, 1, MAX_MS),
    closeTimeout: int('closeTimeout', 2000, 0, MAX_MS),
    maxFlows: int('maxFlows', 1024, 1, 2 ** 20),
    maxFlowsPerPeer: int('maxFlowsPerPeer', 16, 1, 2 ** 20),
    maxFlowsPerAddress: int('maxFlowsPerAddress', 64, 1, 2 ** 20),
    newFlowTimeout: int('newFlowTimeout', 5000, 1, MAX_MS),
    outOfOrderLimit: int('outOfOrderLimit', 16 * 1024 * 1024, 0, 2 ** 40),
    reassemblyLimit: int('reassemblyLimit', 16 * 1024 * 1024, 0, 2 ** 40),
    flowRecordLimit: int('flowRecordLimit', 8192, 2, 2 ** 24),
    // The ranges of the datagram socket's options of the same names.
    receiveQueueLimit: int('receiveQueueLimit', 4096, 1, 2 ** 24),
    receiveQueueBytes: int('receiveQueueBytes', 16 * 1024 * 1024, 1, 2 ** 32),
  };
}

/** Counters of a reliable socket since it was bound. */
export interface ReliableStats {
  /** Messages accepted by `sendTo`, and the ones the peer acknowledged completely. */
  messagesSent: number;
  messagesAcknowledged: number;
  /** Messages delivered to the application. */
  messagesReceived: number;
  /** DATA segments sent for the first time. */
  segmentsSent: number;
  /** Segments sent again after a retransmission timeout, and after SACK showed them lost. */
  timeoutRetransmissions: number;
  fastRetransmissions: number;
  /** DATA segments received, including duplicates. */
  segmentsReceived: number;
  /** Segments received again and dropped (each still acknowledged). */
  duplicatesSuppressed: number;
  /** Segments dropped because they lay beyond the advertised window. */
  segmentsBeyondWindow: number;
  /** Out-of-order segments dropped unacknowledged because `outOfOrderLimit` was reached. */
  segmentsOverBudget: number;
  /** In-order fragments of unfinished messages dropped unacknowledged because `reassemblyLimit` was reached. */
  fragmentsOverBudget: number;
  /**
   * DATA segments not taken (answered with a window of 0) because the messages waiting for
   * the application filled `receiveQueueLimit` or `receiveQueueBytes`.
   */
  segmentsQueueFull: number;
  /**
   * New incoming flows refused: reset (per-peer or per-address limit, a start past the window) or dropped
   * unanswered (a full table with nothing to evict).
   */
  flowsRefused: number;
  /** Incoming flows freed before they completed (evicted, or delivered nothing in time). */
  flowsEvicted: number;
  /** DATA of a new flow answered with RETRY because it carried a stale epoch. */
  retriesSent: number;
  /** Datagrams that were not of this protocol or were malformed: counted and ignored. */
  malformedDatagrams: number;
  /** Well-formed datagrams for no flow this socket knows (stale ACKs, foreign FINs): ignored. */
  strayDatagrams: number;
  acksSent: number;
  acksReceived: number;
  resetsSent: number;
  resetsReceived: number;
  /** Segments sent past a zero window to learn when it opens. */
  windowProbes: number;
  /** Segments sent to draw an ACK when a flight's tail got no answer within two round trips. */
  tailProbes: number;
  /** Flows whose sends failed with PeerUnreachableError (timeout or RESET). */
  peersUnreachable: number;
  /** Errors the system reported on the UDP socket (failed sends, ICMP reports). */
  socketErrors: number;
}

/** The sender-side state of one peer, for diagnostics. */
export interface PeerStats {
  peer: Endpoint;
  /** Smoothed round-trip time (ms), 0 before the first sample. */
  srtt: number;
  /** Current retransmission timeout (ms). */
  rto: number;
  /** Congestion window and slow-start threshold (segments). */
  cwnd: number;
  ssthresh: number;
  /** Segments in flight, and the window the peer last advertised. */
  inFlight: number;
  peerWindow: number;
  /** Payload bytes accepted and not yet acknowledged. */
  bufferedBytes: number;
}

/** The live counters; {@link snapshot} copies them out. */
export class ReliableCounters implements ReliableStats {
  messagesSent = 0;
  messagesAcknowledged = 0;
  messagesReceived = 0;
  segmentsSent = 0;
  timeoutRetransmissions = 0;
  fastRetransmissions = 0;
  segmentsReceived = 0;
  duplicatesSuppressed = 0;
  segmentsBeyondWindow = 0;
  segmentsOverBudget = 0;
  fragmentsOverBudget = 0;
  segmentsQueueFull = 0;
  flowsRefused = 0;
  flowsEvicted = 0;
  retriesSent = 0;
  malformedDatagrams = 0;
  strayDatagrams = 0;
  acksSent = 0;
  acksReceived = 0;
  resetsSent = 0;
  resetsReceived = 0;
  windowProbes = 0;
  tailProbes = 0;
  peersUnreachable = 0;
  socketErrors = 0;

  snapshot(): ReliableStats {
    return { ...this };
  }
}
