import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { streamNumbers } from '../../src/apps/streamer.js';
import { DatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock, type LineChild } from '../helpers/child.js';

describe('dsock echo', () => {
  it('echoes 50 MiB of random bytes byte-exact through server and client', async () => {
    const server = dsock(['echo', 'server', 0, '--once', '--host', '127.0.0.1']);
    let echoClient: ChildProcessWithoutNullStreams | undefined;
    try {
      const port = Number((await server.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const client = spawn(
        process.execPath,
        ['bin/dsock.js', 'echo', 'client', `127.0.0.1:${port}`],
        {
          stdio: 'pipe',
        },
      );
      echoClient = client;
      const exited = once(client, 'close');
      const payload = randomBytes(50 << 20);
      const got = createHash('sha256');
      let received = 0;
      client.stdout.on('data', (chunk: Buffer) => {
        got.update(chunk);
        received += chunk.length;
      });
      let stderr = '';
      client.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Write the whole input at once: the client must read the echo while it sends, or this
      // would deadlock once both directions' buffers fill.
      client.stdin.end(payload);
      const [code] = (await within(exited, 60_000, 'echo client to finish')) as [number];
      assert.equal(code, 0, stderr);
      assert.equal(received, payload.length);
      assert.equal(got.digest('hex'), createHash('sha256').update(payload).digest('hex'));
      assert.match(stderr, /52428800 bytes sent and echoed back intact/);
      assert.equal(await server.exitCode(), 0);
      assert.ok(server.stderrLines.some((l) => /^# echoed \d+ bytes$/.test(l)));
    } finally {
      echoClient?.kill('SIGKILL');
      await server.close();
    }
  });
});

describe('dsock stream udp into dsock sink udp', () => {
  it('prints the summary with every key', async () => {
    const children: LineChild[] = [];
    try {
      const sink = dsock([
        'sink',
        'udp',
        0,
        '--expect',
        2000,
        '--idle-timeout',
        5,
        '--host',
        '127.0.0.1',
      ]);
      children.push(sink);
      const port = Number((await sink.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const streamer = dsock(['stream', 'udp', 2000, `127.0.0.1:${port}`, '--rate', 10_000]);
      children.push(streamer);
      assert.equal(await streamer.exitCode(), 0);
      assert.equal(await sink.exitCode(), 0);
      assert.deepEqual(sink.stdoutLines, [
        'received: 2000',
        'distinct: 2000',
        'lost: 0',
        'duplicated: 0',
        'out of order: 0',
      ]);
    } finally {
      await Promise.all(children.map((c) => c.close()));
    }
  });

  it('counts what never came as lost when the stream is shorter than expected', async () => {
    const children: LineChild[] = [];
    // The streamer is this process, up before the sink starts: the sink's idle time runs out
    // only after the 30 messages, however long the sink takes to start.
    const streamer = await DatagramSocket.bind('127.0.0.1:0');
    try {
      const sink = dsock([
        'sink',
        'udp',
        0,
        '--expect',
        50,
        '--idle-timeout',
        2,
        '--host',
        '127.0.0.1',
      ]);
      children.push(sink);
      const port = Number((await sink.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const sent = await within(
        streamNumbers(streamer, { count: 30, peers: [{ host: '127.0.0.1', port }] }),
        5000,
        '30 messages',
      );
      assert.equal(sent, 30);
      assert.equal(await sink.exitCode(), 0);
      assert.deepEqual(sink.stdoutLines.slice(0, 3), ['received: 30', 'distinct: 30', 'lost: 20']);
    } finally {
      await Promise.all(children.map((c) => c.close()));
      await streamer.close();
    }
  });
});
