import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { StreamServer } from '../../src/index.js';
import { within } from '../helpers/bounded.js';

const run = promisify(execFile);

/**
 * The accept backlog the kernel gives the listening socket on `port`: the Send-Q column of
 * `ss -ltn`, or a reason when `ss` cannot be run here.
 */
async function listenBacklog(port: number): Promise<number | string> {
  let stdout: string;
  try {
    ({ stdout } = await run('ss', ['-ltnH', `sport = :${port}`], { timeout: 10_000 }));
  } catch (error) {
    return `ss (iproute2) cannot be run here: ${String(error)}`;
  }
  const lines = stdout.trim().split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one listening socket on ${port}: ${stdout}`);
  const [, , sendQ] = (lines[0] as string).trim().split(/\s+/);
  return Number(sendQ);
}

describe('StreamServer backlog', () => {
  it('passes the backlog option to listen(2), as the kernel shows it', async (t) => {
    const small = await within(StreamServer.listen('127.0.0.1:0', { backlog: 8 }), 5000, 'listen');
    const plain = await within(StreamServer.listen('127.0.0.1:0'), 5000, 'listen');
    try {
      const backlog = await listenBacklog(small.localEndpoint.port);
      if (typeof backlog === 'string') return t.skip(backlog);
      assert.equal(backlog, 8);
      // Node's default, unless the system caps it lower.
      const somaxconn = await listenBacklog(plain.localEndpoint.port);
      assert.ok(
        somaxconn !== 8 && typeof somaxconn === 'number' && somaxconn > 8,
        String(somaxconn),
      );
    } finally {
      await Promise.all([small.close(), plain.close()]);
    }
  });
});
