import { EndMatcher, EndpointOwners } from './endpoints.js';
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

/** Events that send something another process may receive, and the kind of wire they use. */
const SENDS: Record<string, string> = {
  'datagram:send': 'udp',
  'reliable:send': 'udp',
  'chaos:forward': 'udp',
  'framing:out': 'message',
  'stream:connect': 'connection',
};
/** The wires of SENDS and RECEIVES, numbered. */
const WIRES = new Map([
  ['udp', 1],
  ['message', 2],
  ['connection', 3],
]);
/** Events that receive something another process may have sent. */
const RECEIVES: Record<string, string> = {
  'datagram:receive': 'udp',
  'reliable:receive': 'udp',
  'chaos:receive': 'udp',
  'framing:in': 'message',
  'stream:accept': 'connection',
};
/** Events drawn as notes on their lifeline. */
const NOTES = new Set([
  'datagram:drop',
  'stream:close',
  'reliable:give-up',
  'rpc:call',
  'rpc:reply',
  'discovery:found',
  'discovery:lost',
  'trace:truncated',
]);

interface Proc {
  key: string;
  pid: number;
  command: string;
  events: TraceEvent[];
  /** The number of its first event among all the events merged. */
  first: number;
  lifeline: number;
}

/**
 * Merges the events of several traces (several processes, on one host or several) into one
 * {@link SpaceTimeDiagram}: one lifeline per process, the events in an order that respects
 * causality (a receive always after its send, whatever the processes' clocks say; otherwise by
 * wall-clock time), and one arrow per datagram or message. A send and a receive are paired by
 * the payload's digest and their endpoints; a send that no traced process received, or that a
 * traced chaos relay dropped, is a lost arrow.
 *
 * @example
 * ```ts
 * import { mergeTraces, type TraceEvent } from 'dsock';
 *
 * const base = { v: 1, command: 'demo', size: 2, digest: 'abc', preview: 'hi' };
 * const events: TraceEvent[] = [
 *   // The receiver's clock runs 5 s behind: its receive still comes after the send.
 *   { ...base, seq: 1, mono: 1, wall: 10_000, pid: 1, event: 'datagram:send', local: '127.0.0.1:1', remote: '127.0.0.1:2' },
 *   { ...base, seq: 1, mono: 1, wall: 5_001, pid: 2, event: 'datagram:receive', local: '127.0.0.1:2', remote: '127.0.0.1:1' },
 * ];
 * const diagram = mergeTraces([events]);
 * console.log(diagram.rows.map((r) => r.event.event).join(' then ')); // datagram:send then datagram:receive
 * console.log(diagram.arrows.length, diagram.arrows[0]?.lost); // 1 false
 * ```
 */
export function mergeTraces(traces: TraceEvent[][]): SpaceTimeDiagram {
  const procs: Proc[] = [];
  const byKey = new Map<string, Proc>();
  traces.forEach((events, file) => {
    let last: Proc | undefined;
    for (const event of events) {
      // A file holds one process's events, so the process is nearly always the last one's.
      if (last === undefined || last.pid !== event.pid || last.command !== event.command) {
        const key = `${file}|${event.pid}|${event.command}`;
        last = byKey.get(key);
        if (last === undefined) {
          last = {
            key,
            pid: event.pid,
            command: event.command,
            events: [],
            first: 0,
            lifeline: procs.length,
          };
          procs.push(last);
          byKey.set(key, last);
        }
      }
      last.events.push(event);
    }
  });
  // Every event gets a number (its process's first number plus its place there): the tables
  // below are arrays indexed by it, not maps keyed by objects.
  let total = 0;
  for (const proc of procs) {
    if (!isSorted(proc.events)) proc.events.sort((a, b) => a.mono - b.mono || a.seq - b.seq);
    proc.first = total;
    total += proc.events.length;
  }

  const lifelines: Lifeline[] = procs.map((proc) => lifelineOf(proc));
  const owners = new EndpointOwners<Proc>();
  for (const proc of procs) {
    for (const endpoint of lifelines[proc.lifeline]?.endpoints ?? []) owners.add(endpoint, proc);
  }

  // Pair each receive with the first unpaired send of the same payload between the same ends:
  // the sends are listed by digest (a payload is rarely sent more than a few times), and a
  // receive looks only at its digest's list.
  // Every event by its number, and the sends of each payload chained in order: the first by
  // digest in a map, each one's next in an array. Listed from the last send back, so that each
  // chain comes out in order.
  const eventOf: TraceEvent[] = [];
  for (const proc of procs) for (const event of proc.events) eventOf.push(event);
  const wireOf = new Uint8Array(total); // a send's wire (WIRES), 0 for any other event
  const nextSend = new Int32Array(total).fill(-1);
  const firstSend = new Map<string, number>();
  for (let id = total - 1; id >= 0; id--) {
    const event = eventOf[id] as TraceEvent;
    const kind = SENDS[event.event];
    if (kind === undefined) continue;
    wireOf[id] = WIRES.get(kind) as number;
    const digest = event.digest ?? '';
    nextSend[id] = firstSend.get(digest) ?? -1;
    firstSend.set(digest, id);
  }
  const ends = new EndMatcher();
  const taken = new Uint8Array(total);
  const sendOf = new Int32Array(total).fill(-1);
  const receiveOf = new Int32Array(total).fill(-1);
  for (let id = 0; id < total; id++) {
    const event = eventOf[id] as TraceEvent;
    const kind = RECEIVES[event.event];
    if (kind === undefined) continue;
    const digest = event.digest ?? '';
    const listed = firstSend.get(digest);
    if (listed === undefined) continue;
    let first = listed;
    // Sends taken from the front are skipped once, not at every receive.
    if (first >= 0 && taken[first] === 1) {
      while (first >= 0 && taken[first] === 1) first = nextSend[first] as number;
      firstSend.set(digest, first);
    }
    const wire = WIRES.get(kind) as number;
    const port = ends.portOf(event.local);
    for (let send = first; send >= 0; send = nextSend[send] as number) {
      if (taken[send] === 1 || wireOf[send] !== wire) continue;
      const sent = eventOf[send] as TraceEvent;
      if (ends.portOf(sent.remote) !== port) continue;
      if (!ends.same(sent.local, event.remote) || !ends.same(sent.remote, event.local)) continue;
      taken[send] = 1;
      sendOf[id] = send;
      receiveOf[send] = id;
      break;
    }
  }

  const { rows, ids } = causalOrder(procs, total, sendOf, receiveOf);
  const rowOf = new Int32Array(total);
  const procOf = new Int32Array(total);
  for (const proc of procs) {
    procOf.fill(proc.lifeline, proc.first, proc.first + proc.events.length);
  }
  for (const row of rows) rowOf[ids[row.row] as number] = row.row;
  const arrows: DiagramArrow[] = [];
  const notes: DiagramNote[] = [];
  const marks = relayMarks(procs, total);
  const untracedLines = new Map<string, number>();
  const untraced = (endpoint: string | undefined, near: Proc): number => {
    if (endpoint === undefined) return near.lifeline;
    const owner = owners.find(endpoint);
    if (owner !== undefined) return owner.lifeline;
    let index = untracedLines.get(endpoint);
    if (index === undefined) {
      index = lifelines.length;
      lifelines.push({
        index,
        label: `${endpoint} (not traced)`,
        traced: false,
        endpoints: [endpoint],
      });
      untracedLines.set(endpoint, index);
    }
    return index;
  };
  const retransmitNext = new Uint8Array(procs.length);
  for (const { event, lifeline, row } of rows) {
    const id = ids[row] as number;
    const proc = procs[procOf[id] as number] as Proc;
    if (event.event === 'reliable:retransmit') {
      retransmitNext[proc.lifeline] = 1;
      continue;
    }
    if (SENDS[event.event] !== undefined) {
      const receive = receiveOf[id] as number;
      const dropped = receive >= 0 && marks.dropped[receive] === 1;
      const retransmit = event.event === 'reliable:send' && retransmitNext[proc.lifeline] === 1;
      retransmitNext[proc.lifeline] = 0;
      arrows.push({
        from: lifeline,
        to: receive >= 0 ? (procOf[receive] as number) : untraced(event.remote, proc),
        sendRow: row,
        receiveRow: receive >= 0 ? rowOf[receive] : undefined,
        lost: receive < 0 || dropped,
        dropped,
        duplicate: marks.duplicates[id] === 1,
        retransmit,
        event,
      });
    } else if (RECEIVES[event.event] !== undefined && (sendOf[id] as number) < 0) {
      const dropped = marks.dropped[id] === 1;
      arrows.push({
        from: untraced(event.remote, proc),
        to: lifeline,
        sendRow: undefined,
        receiveRow: row,
        lost: dropped,
        dropped,
        duplicate: false,
        retransmit: false,
        event,
      });
    } else if (NOTES.has(event.event)) {
      notes.push({ row, lifeline, event });
    }
  }
  return { lifelines, rows, arrows, notes };
}

/** True when a process's events are in order already (as a trace file writes them). */
function isSorted(events: TraceEvent[]): boolean {
  for (let i = 1; i < events.length; i++) {
    const a = events[i - 1] as TraceEvent;
    const b = events[i] as TraceEvent;
    if (a.mono > b.mono || (a.mono === b.mono && a.seq > b.seq)) return false;
  }
  return true;
}

function lifelineOf(proc: Proc): Lifeline {
  const first = proc.events[0] as TraceEvent;
  const endpoints: string[] = [];
  for (const event of proc.events) {
    if (event.local !== undefined && !endpoints.includes(event.local)) {
      if (endpoints.length < 16) endpoints.push(event.local);
    }
  }
  const where = endpoints[0] === undefined ? `pid ${first.pid}` : endpoints[0];
  const label =
    first.name !== undefined ? `${first.name} (${first.command})` : `${first.command} ${where}`;
  return { index: proc.lifeline, label, traced: true, pid: first.pid, endpoints };
}

/**
 * The receives a relay dropped, and the forwards that were a duplicate's second copy: 1 at an
 * event's number.
 */
function relayMarks(procs: Proc[], total: number): { dropped: Uint8Array; duplicates: Uint8Array } {
  const dropped = new Uint8Array(total);
  const duplicates = new Uint8Array(total);
  for (const proc of procs) {
    let lastReceive = -1;
    const owed = new Map<string, number>();
    const events = proc.events;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as TraceEvent;
      if (event.event === 'chaos:receive') {
        lastReceive = i;
      } else if (
        event.event === 'chaos:drop' &&
        lastReceive >= 0 &&
        events[lastReceive]?.digest === event.digest
      ) {
        // A relay drops a datagram in the same call that received it: the receive before.
        dropped[proc.first + lastReceive] = 1;
      } else if (event.event === 'chaos:duplicate' && event.digest !== undefined) {
        owed.set(event.digest, (owed.get(event.digest) ?? 0) + 2);
      } else if (event.event === 'chaos:forward' && event.digest !== undefined) {
        const left = owed.get(event.digest);
        if (left === undefined) continue;
        if (left === 1) duplicates[proc.first + i] = 1;
        if (left <= 1) owed.delete(event.digest);
        else owed.set(event.digest, left - 1);
      }
    }
  }
  return { dropped, duplicates };
}

/**
 * A linear order of every event that keeps each process's own order and puts every receive
 * after its send: at each step, of the processes whose next event may come (not a receive whose
 * send is still to come), the one whose next event is earliest by its wall clock. Should the
 * pairs ever make every process wait (a cycle, which real traces cannot make), the earliest
 * event goes first and loses its pairing.
 */
function causalOrder(
  procs: Proc[],
  total: number,
  sendOf: Int32Array,
  receiveOf: Int32Array,
): { rows: DiagramRow[]; ids: Int32Array } {
  const next = procs.map(() => 0);
  const emitted = new Uint8Array(total);
  const rows: DiagramRow[] = [];
  const ids = new Int32Array(total);
  while (rows.length < total) {
    let best = -1;
    let bestWall = Infinity;
    let fallback = -1;
    let fallbackWall = Infinity;
    for (let p = 0; p < procs.length; p++) {
      const proc = procs[p] as Proc;
      const at = next[p] as number;
      const event = proc.events[at];
      if (event === undefined) continue;
      if (event.wall < fallbackWall) {
        fallback = p;
        fallbackWall = event.wall;
      }
      const send = sendOf[proc.first + at] as number;
      if (send >= 0 && emitted[send] === 0) continue;
      if (event.wall < bestWall) {
        best = p;
        bestWall = event.wall;
      }
    }
    if (best < 0) {
      best = fallback;
      const proc = procs[best] as Proc;
      const id = proc.first + (next[best] as number);
      const send = sendOf[id] as number;
      if (send >= 0) receiveOf[send] = -1;
      sendOf[id] = -1;
    }
    const proc = procs[best] as Proc;
    const at = next[best] as number;
    const id = proc.first + at;
    next[best] = at + 1;
    emitted[id] = 1;
    ids[rows.length] = id;
    rows.push({ row: rows.length, lifeline: proc.lifeline, event: proc.events[at] as TraceEvent });
  }
  return { rows, ids };
}
