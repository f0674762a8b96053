import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The facts about the machine and the code that a reader needs to compare two results. */
export interface MachineFacts {
  node: string;
  v8: string;
  cpu: string;
  cores: number;
  kernel: string;
  platform: string;
  memoryGiB: number;
  /** Load averages (1, 5, 15 min) when the run started: how busy the shared machine was. */
  loadAverage: number[];
  /** net.core.rmem_max: caps the SO_RCVBUF the datagram receiver asks for. */
  rmemMax: number | undefined;
  /** The commit measured, with `+dirty` when the working tree had changes. */
  commit: string | undefined;
}

/** Collects {@link MachineFacts}; facts that cannot be read are left undefined. */
export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    kernel: `${os.type()} ${os.release()}`,
    platform: `${process.platform}/${process.arch}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    rmemMax: readNumber('/proc/sys/net/core/rmem_max'),
    commit: gitCommit(),
  };
}

function readNumber(path: string): number | undefined {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function gitCommit(): string | undefined {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short=12', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src') !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return undefined;
  }
}
