import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerHandle, processPeer } from '../../bench/lib/peer.js';
import type { PeerMessage } from '../../bench/lib/peer-protocol.js';

const ECHO_PEER = new URL('./fixtures/echo-peer.js', import.meta.url).href;

/** Whether process `pid` still exists. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a benchmark peer run as a Node.js process of its own (processPeer)', () => {
  it('gets its parameters, carries messages both ways with bigint timestamps, and ends when told to stop', async () => {
    const peer = new PeerHandle('echo', processPeer(ECHO_PEER, 'echoPeer'), { greeting: 'hi' });
    let pid: number | undefined;
    try {
      const ready = await peer.next<PeerMessage & { greeting: string; pid: number }>(
        'ready',
        10_000,
      );
      pid = ready.pid;
      assert.equal(ready.greeting, 'hi');
      assert.notEqual(pid, process.pid, 'the peer runs in a process of its own');
      const before = process.hrtime.bigint();
      for (const n of [1, 2, 3]) {
        peer.post({ type: 'ping', n });
        const pong = await peer.next<PeerMessage & { n: number; atNs: bigint }>('pong', 5000);
        assert.equal(pong.n, n);
        assert.equal(typeof pong.atNs, 'bigint');
        // The same monotonic clock in both processes.
        assert.ok(pong.atNs >= before && pong.atNs <= process.hrtime.bigint());
      }
    } finally {
      await peer.close();
    }
    // Closed within the grace period, having ended on its own rather than been killed.
    assert.ok(pid !== undefined && !running(pid), 'the peer process has ended');
    await assert.rejects(peer.next('pong', 100), /ended \(exit code 0\)/);
  });
});
