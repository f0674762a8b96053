import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Where the two ends of a trial run. `apart`: each end pinned to its own CPU, as two processes
 * on two cores would be; `together`: both pinned to one CPU, so that every wake-up is a
 * context switch on that CPU; `free`: wherever the scheduler puts them. On a virtual machine
 * the scheduler's choice decides between wake-ups that cost a few microseconds (same CPU) and
 * tens of microseconds (waking an idle virtual CPU), and it can choose differently from one
 * contender to the next; pinning makes the comparison about the code.
 */
export type Placement = 'apart' | 'together' | 'free';

export const PLACEMENTS: readonly Placement[] = ['apart', 'together', 'free'];

/** The CPUs this process may run on, from /proc/self/status; undefined where unknown. */
export function allowedCpus(): number[] | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
    if (list === undefined) return undefined;
    return list.split(',').flatMap((range) => {
      const [from, to] = range.split('-').map(Number) as [number, number | undefined];
      const cpus: number[] = [];
      for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
      return cpus;
    });
  } catch {
    return undefined;
  }
}

/** Why `placement` cannot be honoured here, or undefined when it can. */
export function placementProblem(placement: Placement): string | undefined {
  if (placement === 'free') return undefined;
  const cpus = allowedCpus();
  if (cpus === undefined) return 'the allowed CPUs cannot be read (not Linux?)';
  if (placement === 'apart' && cpus.length < 2) return `only CPU ${cpus.join()} is allowed`;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'taskset (util-linux) is not installed';
  }
  return undefined;
}

/**
 * The CPU for one end under `placement`: the passive end (receiver, server; `end` 0) gets the
 * last allowed CPU, the active end the first one when apart, the same one when together.
 */
export function cpuFor(placement: Placement, end: number): number | undefined {
  if (placement === 'free') return undefined;
  const cpus = allowedCpus() ?? [];
  const last = cpus[cpus.length - 1];
  return placement === 'apart' && end !== 0 ? cpus[0] : last;
}

/** Pins the calling thread (not the whole process) to `cpu`. */
export function pinCurrentThread(cpu: number): void {
  const tid = readlinkSync('/proc/thread-self').split('/').pop() as string;
  execFileSync('taskset', ['-pc', String(cpu), tid], { stdio: 'ignore' });
}
