import type { TraceEvent } from './trace-event.js';

/** One process (or untraced endpoint) of a diagram: a vertical line. */
export interface Lifeline {
  /** Its position, from 0 at the left. */
  index: number;
  /** What it is called: a chat's name, else its command and first endpoint. */
  label: string;
  /** False for an endpoint that datagrams went to or came from but that left no trace. */
  traced: boolean;
  /** Its process id, for a traced process. */
  pid?: number | undefined;
  /** The local endpoints its events named. */
  endpoints: string[];
}

/** One event in the merged order. */
export interface DiagramRow {
  /** Its position in the merged order, from 0. */
  row: number;
  /** The lifeline it happened on. */
  lifeline: number;
  /** The event as the trace holds it. */
  event: TraceEvent;
}

/** One datagram or message, from its send to its receive. */
export interface DiagramArrow {
  /** The lifeline it left. */
  from: number;
  /** The lifeline it went to (an untraced endpoint's, or the sender's own when unknown). */
  to: number;
  /** The row of the send (undefined for a receive whose send is not in the traces). */
  sendRow: number | undefined;
  /** The row of the receive (undefined when no traced process received it). */
  receiveRow: number | undefined;
  /** Sent but received by no traced process, or dropped by a traced relay. */
  lost: boolean;
  /** Dropped by a traced chaos relay (also `lost`). */
  dropped: boolean;
  /** A second copy a chaos relay sent. */
  duplicate: boolean;
  /** A reliable segment sent again. */
  retransmit: boolean;
  /** The send event (or the receive, when the send is not traced). */
  event: TraceEvent;
}

/** Notes: events drawn on a lifeline rather than as arrows. */
export interface DiagramNote {
  row: number;
  lifeline: number;
  event: TraceEvent;
}

/** Traces merged into one causal order: what the renderers draw. */
export interface SpaceTimeDiagram {
  lifelines: Lifeline[];
  rows: DiagramRow[];
  arrows: DiagramArrow[];
  notes: DiagramNote[];
}
