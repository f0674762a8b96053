import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { streamNumbers } from '../../src/apps/streamer.js';
import { DatagramSocket, StreamServer } from '../../src/index.js';
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
      // One line when the client comes, one when it leaves: none per chunk of the 50 MiB.
      assert.deepEqual(
        server.stderrLines.slice(1).map((l) => l.replace(/127\.0\.0\.1:\d+/, 'CLIENT')),
        ['# CLIENT connected', '# CLIENT left after 52428800 bytes'],
      );
    } finally {
      echoClient?.kill('SIGKILL');
      await server.close();
    }
  });
});

describe('dsock echo, verbose and with a time limit', () => {
  it('logs each chunk with --verbose', async () => {
    const server = dsock(['echo', 'server', 0, '--once', '--verbose', '--host', '127.0.0.1']);
    const port = Number((await server.stderrMatch(/listening on .*:(\d+)$/))[1]);
    const client = dsock(['echo', 'client', `127.0.0.1:${port}`]);
    try {
      client.write('hello\n');
      client.endInput();
      assert.equal(await client.exitCode(), 0);
      assert.equal(await server.exitCode(), 0);
      assert.match(server.stderr, /^# 127\.0\.0\.1:\d+ connected$/m);
      assert.match(server.stderr, /^# echoed 6 bytes to 127\.0\.0\.1:\d+$/m);
      assert.match(server.stderr, /^# 127\.0\.0\.1:\d+ left after 6 bytes$/m);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('gives up with exit 1 and one line when the echo does not come in --timeout', async () => {
    // A server that accepts and never echoes (nor closes).
    const server = await StreamServer.listen('127.0.0.1:0');
    const accepted = server.accept({ timeout: 10_000 });
    const target = `127.0.0.1:${server.localEndpoint.port}`;
    const client = dsock(['echo', 'client', target, '--timeout', 0.5]);
    try {
      client.write('anyone?\n');
      assert.equal(await client.exitCode(10_000), 1);
      assert.deepEqual(client.stderrLines, [
        `dsock echo client: no complete echo from ${target} within 0.5 s (--timeout)`,
      ]);
    } finally {
      await client.close();
      await (await accepted.catch(() => undefined))?.close();
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
      // Fewer than expected arrived: the summary is printed, and it is a failure.
      assert.equal(await sink.exitCode(), 1);
      assert.deepEqual(sink.stdoutLines.slice(0, 3), ['received: 30', 'distinct: 30', 'lost: 20']);
      assert.match(sink.stderr, /^dsock sink udp: 20 of the 50 messages expected never came$/m);
    } finally {
      await Promise.all(children.map((c) => c.close()));
      await streamer.close();
    }
  });
});
