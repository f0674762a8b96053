import type { TraceEvent } from './trace-event.js';

/** One traced process's events, as merging groups them: one lifeline of the diagram. */
export interface TracedProcess {
  /** Which file it came from, its pid and its command. */
  key: string;
  pid: number;
  command: string;
  /** Its events, in its own order (monotonic time, then number). */
  events: TraceEvent[];
  /** The number of its first event among all the events merged. */
  first: number;
  /** Its lifeline's index. */
  lifeline: number;
}
