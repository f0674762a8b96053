import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import {
  mergeTraces,
  readTrace,
  renderHtml,
  renderSvg,
  TraceFileError,
  type TraceEvent,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock, LineChild } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';
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

/** `dsock trace view ARGS` with the size of any file it writes capped at `blocks` of 512 bytes. */
function viewWithFileLimit(blocks: number, args: string[]): LineChild {
  return new LineChild('sh', [
    '-c',
    `ulimit -f ${blocks} && exec "$@"`,
    'sh',
    process.execPath,
    'bin/dsock.js',
    'trace',
    'view',
    ...args,
  ]);
}

/** Writes a trace of `count` datagram events to `file`, and returns its path. */
function longTrace(file: string, count: number): string {
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    lines.push(JSON.stringify({ ...EVENT, seq: i, mono: i, wall: i, digest: `d${i}` }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('dsock trace view', () => {
  it('refuses a number out of range with one line naming the file and line, and exit 1', async () => {
    const dir = await traceDir();
    try {
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
      const files = cases.map(([fields], i) => {
        const file = dir.file(`hand-made-${i}.jsonl`);
        writeFileSync(
          file,
          `${JSON.stringify(EVENT)}\n${JSON.stringify({ ...EVENT, ...fields })}\n`,
        );
        return file;
      });
      // The command lines run one after another in one process (each ends by itself).
      const results = await dsockEach(files.map((f) => ['trace', 'view', f, '--format', 'svg']));
      for (const [i, [, reason]] of cases.entries()) {
        const file = files[i] as string;
        // The SVG shows the wall time as a date: it does not get as far as drawing one.
        assert.deepEqual(results[i], {
          code: 1,
          out: [],
          err: [`dsock trace view: ${file}:2: ${reason}`],
          leftOpen: [],
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

  it('draws hand-made events whose wall clock no date can show, instead of throwing', () => {
    const event = (fields: Partial<TraceEvent>): TraceEvent => ({ ...EVENT, ...fields });
    const diagram = mergeTraces([
      [
        event({ wall: 1e300 }),
        // A second send, not the first one's receive: a pair is drawn as one arrow with the
        // send's details, and this event's wall clock must be shown too.
        event({ seq: 2, digest: 'def', wall: Number.NaN }),
      ],
    ]);
    const svg = renderSvg(diagram);
    assert.match(svg, /wall 1e\+300 \(not a date\)/);
    assert.match(svg, /wall NaN \(not a date\)/);
    assert.ok(renderHtml(diagram, 'hand-made').includes('(not a date)'));
  });

  it('-o: Ctrl+C while the diagram is written exits 130 and leaves OUT as it was, no temporary file', async () => {
    const dir = await traceDir();
    try {
      const trace = longTrace(dir.file('long.jsonl'), 20_000);
      const out = dir.file('run.html');
      const before = 'the page of an earlier run\n';
      // The signal goes as soon as the temporary file appears: the page (megabytes, written a
      // chunk at a time) is then still being drawn. A machine fast enough to finish first
      // gets another try; one interrupted run must show the promise.
      let interrupted = 0;
      for (let attempt = 0; attempt < 3 && interrupted === 0; attempt++) {
        writeFileSync(out, before);
        const watcher = watch(dir.dir);
        const view = dsock(['trace', 'view', trace, '--format', 'html', '-o', out]);
        try {
          const started = new Promise<void>((resolve) => {
            watcher.on('change', (_type, name) => {
              if (String(name).endsWith('.tmp')) resolve();
            });
          });
          await within(Promise.race([started, view.exited]), 20_000, 'the temporary file');
          view.process.kill('SIGINT');
          const code = await view.exitCode();
          if (code === 0) {
            // Finished before the signal came: OUT is the whole page.
            assert.ok(readFileSync(out, 'utf8').trimEnd().endsWith('</html>'));
          } else {
            assert.equal(code, 130, view.stderr);
            assert.equal(view.stderr, `dsock trace view: interrupted: ${out} left as it was`);
            assert.equal(readFileSync(out, 'utf8'), before);
            interrupted++;
          }
          assert.deepEqual(readdirSync(dir.dir).sort(), ['long.jsonl', 'run.html']);
        } finally {
          watcher.close();
          await view.close();
        }
      }
      assert.equal(interrupted, 1, 'no run was interrupted while writing');
    } finally {
      await dir.remove();
    }
  });

  it('-o: a write that fails midway leaves OUT as it was and no temporary file beside it', async () => {
    const dir = await traceDir();
    try {
      const trace = longTrace(dir.file('long.jsonl'), 2000);
      const out = dir.file('run.svg');
      // Files capped at 64 KiB: the picture (about a megabyte) fails a few chunks in.
      const limit = 128;
      const failed = await finish(viewWithFileLimit(limit, [trace, '--format', 'svg', '-o', out]));
      assert.deepEqual(failed, {
        code: 1,
        stdout: '',
        stderr: `dsock trace view: ${out}: cannot write (EFBIG)`,
      });
      assert.deepEqual(readdirSync(dir.dir), ['long.jsonl']);

      writeFileSync(out, 'the picture of an earlier run\n');
      const again = await finish(viewWithFileLimit(limit, [trace, '--format', 'svg', '-o', out]));
      assert.equal(again.code, 1);
      assert.equal(readFileSync(out, 'utf8'), 'the picture of an earlier run\n');
      assert.deepEqual(readdirSync(dir.dir).sort(), ['long.jsonl', 'run.svg']);

      // Without the cap the same command replaces OUT with the whole picture.
      const written = await finish(dsock(['trace', 'view', trace, '--format', 'svg', '-o', out]));
      assert.deepEqual(written, { code: 0, stdout: '', stderr: '' });
      const svg = readFileSync(out, 'utf8');
      assert.ok(statSync(out).size > limit * 512 * 4, `${statSync(out).size} bytes`);
      assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>\n'));
      assert.equal(svg.split('class="arrow lost"').length - 1, 2000);
      assert.deepEqual(readdirSync(dir.dir).sort(), ['long.jsonl', 'run.svg']);
    } finally {
      await dir.remove();
    }
  });
});
