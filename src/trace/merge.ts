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
  events: TraceEvent[];
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
    for (const event of events) {
      const key = `${file}|${event.pid}|${event.command}`;
      let proc = byKey.get(key);
      if (proc === undefined) {
        proc = { key, events: [], lifeline: procs.length };
        procs.push(proc);
        byKey.set(key, proc);
      }
      proc.events.push(event);
    }
  });
  for (const proc of procs) proc.events.sort((a, b) => a.mono - b.mono || a.seq - b.seq);

  const lifelines: Lifeline[] = procs.map((proc) => lifelineOf(proc));
  const owners = new EndpointOwners();
  for (const proc of procs) {
    for (const endpoint of lifelines[proc.lifeline]?.endpoints ?? []) owners.add(endpoint, proc);
  }

  // Pair each receive with the first unpaired send of the same payload between the same ends.
  const sends = new Map<string, { event: TraceEvent; proc: Proc; taken: boolean }[]>();
  for (const proc of procs) {
    for (const event of proc.events) {
      const kind = SENDS[event.event];
      if (kind === undefined) continue;
      const key = pairKey(kind, event.digest, event.remote);
      let list = sends.get(key);
      if (list === undefined) sends.set(key, (list = []));
      list.push({ event, proc, taken: false });
    }
  }
  const sendOf = new Map<TraceEvent, TraceEvent>();
  const receiveOf = new Map<TraceEvent, TraceEvent>();
  for (const proc of procs) {
    for (const event of proc.events) {
      const kind = RECEIVES[event.event];
      if (kind === undefined) continue;
      const list = sends.get(pairKey(kind, event.digest, event.local));
      const send = list?.find(
        (s) =>
          !s.taken && sameEnd(s.event.local, event.remote) && sameEnd(s.event.remote, event.local),
      );
      if (send === undefined) continue;
      send.taken = true;
      sendOf.set(event, send.event);
      receiveOf.set(send.event, event);
    }
  }

  const rows = causalOrder(procs, sendOf, receiveOf);
  const rowOf = new Map<TraceEvent, number>();
  for (const row of rows) rowOf.set(row.event, row.row);
  const arrows: DiagramArrow[] = [];
  const notes: DiagramNote[] = [];
  const marks = relayMarks(procs);
  const untraced = (endpoint: string | undefined, near: Proc): number => {
    if (endpoint === undefined) return near.lifeline;
    const owner = owners.find(endpoint);
    if (owner !== undefined) return owner.lifeline;
    let line = lifelines.find((l) => !l.traced && l.endpoints[0] === endpoint);
    if (line === undefined) {
      line = {
        index: lifelines.length,
        label: `${endpoint} (not traced)`,
        traced: false,
        endpoints: [endpoint],
      };
      lifelines.push(line);
    }
    return line.index;
  };
  const procOf = new Map<TraceEvent, Proc>();
  for (const proc of procs) for (const event of proc.events) procOf.set(event, proc);
  const retransmitNext = new Set<Proc>();
  for (const { event, lifeline, row } of rows) {
    const proc = procOf.get(event) as Proc;
    if (event.event === 'reliable:retransmit') {
      retransmitNext.add(proc);
      continue;
    }
    if (SENDS[event.event] !== undefined) {
      const receive = receiveOf.get(event);
      const receiveProc = receive === undefined ? undefined : procOf.get(receive);
      const dropped = receive !== undefined && marks.dropped.has(receive);
      const retransmit = event.event === 'reliable:send' && retransmitNext.has(proc);
      retransmitNext.delete(proc);
      arrows.push({
        from: lifeline,
        to: receiveProc?.lifeline ?? untraced(event.remote, proc),
        sendRow: row,
        receiveRow: receive === undefined ? undefined : rowOf.get(receive),
        lost: receive === undefined || dropped,
        dropped,
        duplicate: marks.duplicates.has(event),
        retransmit,
        event,
      });
    } else if (RECEIVES[event.event] !== undefined && !sendOf.has(event)) {
      arrows.push({
        from: untraced(event.remote, proc),
        to: lifeline,
        sendRow: undefined,
        receiveRow: row,
        lost: marks.dropped.has(event),
        dropped: marks.dropped.has(event),
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
 * What a send and its receive have in common whatever each side knows: the wire, the payload,
 * the port it went to (a source port may be unknown: a socket not yet bound when it sent).
 */
function pairKey(kind: string, digest: string | undefined, to: string | undefined): string {
  return `${kind}|${digest ?? ''}|${portOf(to)}`;
}

function portOf(endpoint: string | undefined): string {
  if (endpoint === undefined) return '?';
  return endpoint.slice(endpoint.lastIndexOf(':') + 1);
}

function hostOf(endpoint: string): string {
  let host = endpoint.slice(0, endpoint.lastIndexOf(':'));
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host.startsWith('::ffff:')) host = host.slice(7);
  return host.toLowerCase();
}

const ANY_HOSTS = new Set(['0.0.0.0', '::', 'localhost']);

/** The same endpoint, as far as one side can tell: the port, and the host unless one is a wildcard. */
function sameEnd(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (portOf(a) !== portOf(b)) return false;
  const [x, y] = [hostOf(a), hostOf(b)];
  return x === y || ANY_HOSTS.has(x) || ANY_HOSTS.has(y);
}

/** Which process holds an endpoint. */
class EndpointOwners {
  readonly #byPort = new Map<string, { endpoint: string; proc: Proc }[]>();

  add(endpoint: string, proc: Proc): void {
    const port = portOf(endpoint);
    let list = this.#byPort.get(port);
    if (list === undefined) this.#byPort.set(port, (list = []));
    list.push({ endpoint, proc });
  }

  find(endpoint: string): Proc | undefined {
    return this.#byPort.get(portOf(endpoint))?.find((o) => sameEnd(o.endpoint, endpoint))?.proc;
  }
}

/** The receives a relay dropped, and the forwards that were a duplicate's second copy. */
function relayMarks(procs: Proc[]): { dropped: Set<TraceEvent>; duplicates: Set<TraceEvent> } {
  const dropped = new Set<TraceEvent>();
  const duplicates = new Set<TraceEvent>();
  for (const proc of procs) {
    let lastReceive: TraceEvent | undefined;
    const owed = new Map<string, number>();
    for (const event of proc.events) {
      if (event.event === 'chaos:receive') {
        lastReceive = event;
      } else if (
        event.event === 'chaos:drop' &&
        lastReceive !== undefined &&
        lastReceive.digest === event.digest
      ) {
        // A relay drops a datagram in the same call that received it: the receive before.
        dropped.add(lastReceive);
      } else if (event.event === 'chaos:duplicate' && event.digest !== undefined) {
        owed.set(event.digest, (owed.get(event.digest) ?? 0) + 2);
      } else if (event.event === 'chaos:forward' && event.digest !== undefined) {
        const left = owed.get(event.digest);
        if (left === undefined) continue;
        if (left === 1) duplicates.add(event);
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
  sendOf: Map<TraceEvent, TraceEvent>,
  receiveOf: Map<TraceEvent, TraceEvent>,
): DiagramRow[] {
  const next = procs.map(() => 0);
  const emitted = new Set<TraceEvent>();
  const rows: DiagramRow[] = [];
  const total = procs.reduce((n, p) => n + p.events.length, 0);
  while (rows.length < total) {
    let best = -1;
    let bestWall = Infinity;
    let fallback = -1;
    let fallbackWall = Infinity;
    for (let p = 0; p < procs.length; p++) {
      const event = (procs[p] as Proc).events[next[p] as number];
      if (event === undefined) continue;
      if (event.wall < fallbackWall) {
        fallback = p;
        fallbackWall = event.wall;
      }
      const send = sendOf.get(event);
      if (send !== undefined && !emitted.has(send)) continue;
      if (event.wall < bestWall) {
        best = p;
        bestWall = event.wall;
      }
    }
    if (best < 0) {
      best = fallback;
      const event = (procs[best] as Proc).events[next[best] as number] as TraceEvent;
      const send = sendOf.get(event);
      if (send !== undefined) receiveOf.delete(send);
      sendOf.delete(event);
    }
    const proc = procs[best] as Proc;
    const event = proc.events[next[best] as number] as TraceEvent;
    next[best] = (next[best] as number) + 1;
    emitted.add(event);
    rows.push({ row: rows.length, lifeline: proc.lifeline, event });
  }
  return rows;
}
