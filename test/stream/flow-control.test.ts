import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { LineChild, readyPort } from '../helpers/child.js';

const READER = fileURLToPath(new URL('./fixtures/flow-reader.js', import.meta.url));
const WRITER = fileURLToPath(new URL('./fixtures/flow-writer.js', import.meta.url));
const MIB = 1024 * 1024;
// 50 times what the kernel's buffers and the reader's take before the writer stalls (about
// 5 MiB on loopback): enough to show a stall, and the whole of it is read and hashed after.
const TOTAL = 256 * MIB;

/** The next line of `child` that starts with `prefix`, skipping others (bounded). */
async function lineStarting(child: LineChild, prefix: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 100_000; i++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const line = await child.nextLine(left);
    if (line.startsWith(prefix)) return line.slice(prefix.length);
  }
  throw new Error(`no "${prefix}" line within ${ms} ms; stderr: ${child.stderr}`);
}

/**
 * Follows the writer's progress reports until the same count comes five times in a row (half a
 * second without progress), and returns it.
 */
async function stalledAt(writer: LineChild): Promise<number> {
  let last = -1;
  let same = 0;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const sent = Number(await lineStarting(writer, 'PROGRESS ', 5000));
    same = sent === last ? same + 1 : 0;
    last = sent;
    if (same >= 5) return sent;
  }
  throw new Error(`the writer did not stall within 15 s (last report: ${last} bytes)`);
}

describe('StreamSocket flow control', () => {
  it('a reader that does not read stalls a 256 MiB writer with bounded memory', async () => {
    const reader = new LineChild(process.execPath, ['--expose-gc', READER]);
    let writer: LineChild | undefined;
    try {
      const port = await readyPort(reader);
      writer = new LineChild(process.execPath, [WRITER, String(port), String(TOTAL)]);
      assert.equal(await reader.nextLine(10_000), 'ACCEPTED');

      const stalled = await stalledAt(writer);
      // What the writer got rid of sits in kernel buffers and in the reader's bounded buffer;
      // far from the whole of it.
      assert.ok(stalled < 64 * MIB, `the writer sent ${stalled} bytes before stalling`);

      reader.process.stdin.write('MEASURE\n');
      const growth = JSON.parse(await lineStarting(reader, 'MEMORY ', 10_000)) as {
        rss: number;
        arrayBuffers: number;
      };
      assert.ok(growth.rss < 16 * MIB, `reader rss grew by ${growth.rss} bytes`);
      assert.ok(
        growth.arrayBuffers < 16 * MIB,
        `reader arrayBuffers grew by ${growth.arrayBuffers} bytes`,
      );

      reader.process.stdin.write('READ\n');
      const done = JSON.parse(await lineStarting(reader, 'DONE ', 30_000)) as {
        bytes: number;
        sha1: string;
      };
      const sent = JSON.parse(await lineStarting(writer, 'SENT ', 10_000)) as {
        bytes: number;
        sha1: string;
      };
      assert.equal(sent.bytes, TOTAL);
      assert.equal(done.bytes, TOTAL);
      assert.equal(done.sha1, sent.sha1, 'the data read differs from the data sent');
      assert.equal(await reader.exitCode(10_000), 0, reader.stderr);
      assert.equal(await writer.exitCode(10_000), 0, writer.stderr);
    } finally {
      await writer?.close();
      await reader.close();
    }
  });
});
