import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** Nanoseconds the calling thread has run on a CPU (Linux), or undefined where unknown. */
function threadCpuNs(): number | undefined {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ', 1)[0]);
  } catch {
    return undefined;
  }
}

/**
 * Where CPU time comes from: the thread's own run time from the Linux scheduler, or, elsewhere,
 * the time its event loop was not waiting (which also counts time the thread was preempted).
 */
export const CPU_TIME_SOURCE: 'schedstat' | 'event-loop' =
  threadCpuNs() === undefined ? 'event-loop' : 'schedstat';

/**
 * Measures the CPU time of the calling thread since the meter was made, in milliseconds. On a
 * shared machine this is steadier than elapsed time: a contender that needs more CPU per
 * operation shows it even when elapsed time is dominated by waiting for the other end.
 */
export function threadCpuMeter(): () => number {
  if (CPU_TIME_SOURCE === 'schedstat') {
    const start = threadCpuNs() as number;
    return () => ((threadCpuNs() as number) - start) / 1e6;
  }
  const start = performance.eventLoopUtilization();
  return () => performance.eventLoopUtilization(start).active;
}
