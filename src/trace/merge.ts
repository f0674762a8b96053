import { causalOrder } from './causal-order.js';
import type { DiagramArrow, DiagramNote, Lifeline, SpaceTimeDiagram } from './diagram.js';
import { EndMatcher, EndpointOwners } from './endpoints.js';
import { relayMarks } from './relay-marks.js';
import type { TraceEvent } from './trace-event.js';
import type { TracedProcess } from './traced-process.js';

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
  const procs: TracedProcess[] = [];
  const byKey = new Map<string, TracedProcess>();
  traces.forEach((events, file) => {
    let last: TracedProcess | undefined;
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
  const owners = new EndpointOwners<TracedProcess>();
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
  const untraced = (endpoint: string | undefined, near: TracedProcess): number => {
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
    const proc = procs[procOf[id] as number] as TracedProcess;
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

function lifelineOf(proc: TracedProcess): Lifeline {
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
