import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readTrace, TraceFileError } from '../../src/index.js';
import { dsock, LineChild } from '../helpers/child.js';
import { traceDir } from './scratch.js';

const EVENT = {
  v: 1,
  seq: 1,
  mono: 1,
  wall: 1,
  pid: 1,
  command: 'x',
  event: 'datagram:send',
  local: '127.0.0.1:1',
  remote: '127.0.0.1:2',
  size: 2,
  digest: 'abc',
  preview: 'hi',
};

/** Runs a command to its end; resolves with its exit status and output. */
async function finish(
  child: LineChild,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    const code = await child.exitCode();
    return { code, stdout: child.stdoutLines.join('\n'), stderr: child.stderr };
  } finally {
    await child.close();
  }
}

describe('dsock trace view', () => {
  it('refuses a number out of range with one line naming the file and line, and exit 1', async () => {
    const dir = await traceDir();
    try {
      const file = dir.file('hand-made.jsonl');
      const cases: [Record<string, unknown>, string][] = [
        [{ wall: 1e300 }, '"wall" is 1e+300, outside the range of dates (±8.64e15 ms from 1970)'],
        [
          { wall: -9e15 },
          '"wall" is -9000000000000000, outside the range of dates (±8.64e15 ms from 1970)',
        ],
        [{ size: -5 }, '"size" is -5, not a whole number from 0'],
        [{ size: 1.5 }, '"size" is 1.5, not a whole number from 0'],
        [{ size: 1e300 }, '"size" is 1e+300, not a whole number from 0'],
        [{ pid: 2.5 }, '"pid" is 2.5, not a whole number from 0'],
        [{ seq: 0 }, '"seq" is 0, not a whole number from 1'],
        [{ v: 2 }, '"v" is 2: this dsock reads trace format 1'],
      ];
      for (const [fields, reason] of cases) {
        writeFileSync(
          file,
          `${JSON.stringify(EVENT)}\n${JSON.stringify({ ...EVENT, ...fields })}\n`,
        );
        // The SVG shows the wall time as a date: it does not get as far as drawing one.
        assert.deepEqual(await finish(dsock(['trace', 'view', file, '--format', 'svg'])), {
          code: 1,
          stdout: '',
          stderr: `dsock trace view: ${file}:2: ${reason}`,
        });
        assert.throws(
          () => readTrace(file),
          (e: unknown) => e instanceof TraceFileError && e.line === 2,
        );
      }
    } finally {
      await dir.remove();
    }
  });
});
