import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket, readTrace } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { traceDir } from './scratch.js';

describe('a traced process killed with -9', () => {
  it('leaves a readable trace of every datagram it sent and received before', async () => {
    const children: LineChild[] = [];
    const dir = await traceDir();
    const peer = await DatagramSocket.bind('127.0.0.1:0');
    try {
      const file = dir.file('killed.jsonl');
      const child = dsock(['udp', 'listen', 0, '--host', '127.0.0.1', '--trace', file]);
      children.push(child);
      const port = Number((await child.stderrMatch(/listening on .*:(\d+)$/))[1]);
      for (let i = 0; i < 50; i++) {
        await peer.sendTo(`datagram ${i}`, { host: '127.0.0.1', port });
        // Each one printed, so each one was received (and recorded) before the kill.
        await child.stdoutMatch(new RegExp(`^datagram ${i}$`));
      }
      child.process.kill('SIGKILL');
      assert.equal(await within(child.exited, 10_000, 'the killed child'), null);
      const events = readTrace(file);
      const received = events.filter((e) => e.event === 'datagram:receive');
      assert.deepEqual(
        received.map((e) => e.preview),
        Array.from({ length: 50 }, (_, i) => `datagram ${i}`),
      );
      assert.ok(received.every((e) => e.remote === `127.0.0.1:${peer.localEndpoint.port}`));
      assert.ok(
        received.every((e) => e.local === `127.0.0.1:${port}` && e.command === 'udp listen'),
      );
    } finally {
      await peer.close();
      await Promise.all(children.map((c) => c.close()));
      await dir.remove();
    }
  });
});
