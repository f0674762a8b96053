import { readdirSync, readFileSync } from 'node:fs';
import { GCProfiler, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Measurements of what a process holds, for tests that prove a bound under attack: memory
 * (this process or a child), open file descriptors, and sockets in a given TCP state.
 */

setFlagsFromString('--expose-gc');
/** V8's gc(), reachable without starting node with --expose-gc. */
const collect = runInNewContext('gc') as () => void;

/** Runs full garbage collections so that heap and RSS readings are not inflated by garbage. */
export function collectGarbage(): void {
  collect();
  collect();
}

/** Resident memory of process `pid` in bytes (VmRSS in /proc), this process by default. */
export function rssOf(pid: number = process.pid): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The most resident memory process `pid` ever had, in bytes (VmHWM: the high-water mark). */
export function peakRssOf(pid: number = process.pid): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** This process's heap in use after a full collection, in bytes. */
export function heapUsedAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Bytes this process's JavaScript heap allocated while `run` ran, garbage included: the growth
 * of the heap in use, plus what each collection meanwhile freed (as V8's GC profiler reports
 * every collection). What a burst of work allocates, and not only what it keeps, decides how
 * large V8 grows the young generation.
 */
export async function allocatedDuring(run: () => Promise<void>): Promise<number> {
  const profiler = new GCProfiler();
  profiler.start();
  const start = getHeapStatistics().used_heap_size;
  let end: number;
  let freed = 0;
  try {
    await run();
  } finally {
    end = getHeapStatistics().used_heap_size;
    for (const { beforeGC, afterGC } of profiler.stop().statistics) {
      freed += beforeGC.heapStatistics.usedHeapSize - afterGC.heapStatistics.usedHeapSize;
    }
  }
  return end - start + freed;
}

/** How many file descriptors process `pid` has open (this process by default). */
export function openFdCount(pid: number = process.pid): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** TCP states as /proc/net/tcp numbers them. */
const TCP_STATES = { ESTABLISHED: '01', CLOSE_WAIT: '08', LISTEN: '0A', TIME_WAIT: '06' } as const;

/**
 * How many TCP sockets on this machine are in `state` with local port `port` (IPv4 and IPv6
 * tables), read from /proc/net/tcp{,6}: what `ss -tn state close-wait sport = :PORT` counts.
 */
export function tcpSocketsInState(state: keyof typeof TCP_STATES, port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4) continue;
      const local = fields[1] as string;
      if (local.endsWith(`:${hexPort}`) && fields[3] === TCP_STATES[state]) count++;
    }
  }
  return count;
}

/** How many timers this process has pending (Node's active resources named "Timeout"). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
