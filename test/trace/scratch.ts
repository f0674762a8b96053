import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpaceTimeDiagram, TraceEvent } from '../../src/index.js';

/** A fresh directory for trace files, removed by the returned function. */
export async function traceDir(): Promise<{
  dir: string;
  file(name: string): string;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'dsock-trace-'));
  return {
    dir,
    file: (name) => join(dir, name),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every paired arrow goes from a send to a later row: the merged order respects causality. */
export function assertCausal(diagram: SpaceTimeDiagram): void {
  for (const arrow of diagram.arrows) {
    if (arrow.sendRow === undefined || arrow.receiveRow === undefined) continue;
    if (arrow.receiveRow <= arrow.sendRow) {
      throw new Error(`receive at row ${arrow.receiveRow} before its send at row ${arrow.sendRow}`);
    }
  }
}

/** The same trace with its wall clock moved by `ms`, as another host's clock might be. */
export function shifted(events: TraceEvent[], ms: number): TraceEvent[] {
  return events.map((e) => ({ ...e, wall: e.wall + ms }));
}
