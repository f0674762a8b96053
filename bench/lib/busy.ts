import { performance } from 'node:perf_hooks';

/**
 * Measures how long the calling thread's event loop was busy (running callbacks, JavaScript and
 * the system calls made from them, as opposed to waiting for events) since the meter was made,
 * in milliseconds. On a shared machine this is steadier than wall time: a contender that needs
 * more CPU per operation shows it even when the elapsed time is dominated by waiting.
 */
export function busyMeter(): () => number {
  const start = performance.eventLoopUtilization();
  return () => performance.eventLoopUtilization(start).active;
}
