import type { DiagramRow } from './diagram.js';
import type { TraceEvent } from './trace-event.js';
import type { TracedProcess } from './traced-process.js';

/**
 * A linear order of every event that keeps each process's own order and puts every receive
 * after its send: at each step, of the processes whose next event may come (not a receive whose
 * send is still to come), the one whose next event is earliest by its wall clock. Should the
 * pairs ever make every process wait (a cycle, which real traces cannot make), the earliest
 * event goes first and loses its pairing.
 */
export function causalOrder(
  procs: TracedProcess[],
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
    let bestWall = 0;
    let fallback = -1;
    let fallbackWall = 0;
    for (let p = 0; p < procs.length; p++) {
      const proc = procs[p] as TracedProcess;
      const at = next[p] as number;
      const event = proc.events[at];
      if (event === undefined) continue;
      // `fallback < 0 ||` and `best < 0 ||`: a wall clock no comparison orders (NaN in
      // hand-made events) still lets its process go, rather than leaving none to choose.
      if (fallback < 0 || event.wall < fallbackWall) {
        fallback = p;
        fallbackWall = event.wall;
      }
      const send = sendOf[proc.first + at] as number;
      if (send >= 0 && emitted[send] === 0) continue;
      if (best < 0 || event.wall < bestWall) {
        best = p;
        bestWall = event.wall;
      }
    }
    if (best < 0) {
      best = fallback;
      const proc = procs[best] as TracedProcess;
      const id = proc.first + (next[best] as number);
      const send = sendOf[id] as number;
      if (send >= 0) receiveOf[send] = -1;
      sendOf[id] = -1;
    }
    const proc = procs[best] as TracedProcess;
    const at = next[best] as number;
    const id = proc.first + at;
    next[best] = at + 1;
    emitted[id] = 1;
    ids[rows.length] = id;
    rows.push({ row: rows.length, lifeline: proc.lifeline, event: proc.events[at] as TraceEvent });
  }
  return { rows, ids };
}
