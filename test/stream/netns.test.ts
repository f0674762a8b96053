import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { LineChild } from '../helpers/child.js';
import { createNetns } from '../helpers/netns.js';

const PROBE = fileURLToPath(new URL('./fixtures/netns-connect.js', import.meta.url));

interface Outcome {
  connected?: boolean;
  name?: string;
  code?: string;
  message?: string;
  endpoint?: { host: string; port: number };
  socketError?: boolean;
  hostname?: string;
}

/** Runs the connect probe inside `netns` against `target` and returns what it reported. */
async function probe(netns: string, target: string): Promise<Outcome> {
  const child = new LineChild('ip', ['netns', 'exec', netns, process.execPath, PROBE, target]);
  try {
    const line = await child.nextLine(15_000);
    return JSON.parse(line) as Outcome;
  } finally {
    await child.close();
  }
}

// A namespace of its own has no route anywhere (its only interface, lo, is down), so these
// failures happen without a packet leaving it.
describe('StreamSocket.connect without a network (fresh network namespace)', () => {
  it('rejects with HostUnreachableError naming the endpoint when there is no route', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    try {
      const outcome = await probe(netns.name, '192.0.2.1:80');
      assert.equal(outcome.name, 'HostUnreachableError', JSON.stringify(outcome));
      assert.equal(outcome.socketError, true);
      assert.deepEqual(outcome.endpoint, { host: '192.0.2.1', port: 80 });
      assert.match(outcome.message ?? '', /connect to 192\.0\.2\.1:80 failed: host unreachable/);
    } finally {
      await netns.delete();
    }
  });

  it('rejects with NameResolutionError naming the host when names cannot be resolved', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    try {
      const host = 'dsock-no-such-host.invalid';
      const outcome = await probe(netns.name, `${host}:80`);
      assert.equal(outcome.name, 'NameResolutionError', JSON.stringify(outcome));
      assert.equal(outcome.code, 'ENOTFOUND');
      assert.equal(outcome.hostname, host);
      assert.deepEqual(outcome.endpoint, { host, port: 80 });
      assert.match(outcome.message ?? '', /cannot resolve host name "dsock-no-such-host\.invalid"/);
    } finally {
      await netns.delete();
    }
  });
});
