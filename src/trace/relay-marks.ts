import type { TraceEvent } from './trace-event.js';
import type { TracedProcess } from './traced-process.js';

/**
 * The receives a relay dropped, and the forwards that were a duplicate's second copy: 1 at an
 * event's number.
 */
export function relayMarks(
  procs: TracedProcess[],
  total: number,
): { dropped: Uint8Array; duplicates: Uint8Array } {
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
