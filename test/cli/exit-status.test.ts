import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { DatagramSocket, formatChatMessage, StreamServer } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock } from '../helpers/child.js';

/** A TCP server on 127.0.0.1 that resets every connection it accepts, once told to. */
async function resettingServer(): Promise<{ server: Server; port: number; reset: () => void }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 5000, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    server,
    port: address.port,
    reset: () => accepted.forEach((s) => s.resetAndDestroy()),
  };
}

describe('dsock exit status', () => {
  it('chat tcp client whose connection fails mid-chat exits 1 with one line', async () => {
    const { server, port, reset } = await resettingServer();
    const client = dsock(['chat', 'tcp', 'client', `127.0.0.1:${port}`, '--name', 'Bob']);
    try {
      await client.stderrMatch(/^# chatting with 127\.0\.0\.1:\d+$/);
      reset();
      assert.equal(await client.exitCode(), 1);
      const after = client.stderrLines.slice(
        client.stderrLines.indexOf(`# chatting with 127.0.0.1:${port}`) + 1,
      );
      assert.deepEqual(after, [
        `dsock chat tcp client: receive from 127.0.0.1:${port} failed: connection reset by peer`,
      ]);
    } finally {
      await client.close();
      server.close();
    }
  });

  it('chat tcp client that cannot connect exits 1 with one line, before asking a name', async () => {
    const closed = await StreamServer.listen('127.0.0.1:0');
    const port = closed.localEndpoint.port;
    await closed.close();
    const client = dsock(['chat', 'tcp', 'client', `127.0.0.1:${port}`]);
    try {
      assert.equal(await client.exitCode(), 1);
      assert.deepEqual(client.stderrLines, [
        `dsock chat tcp client: connect to 127.0.0.1:${port} failed: connection refused`,
      ]);
    } finally {
      await client.close();
    }
  });

  for (const args of [
    ['chat', 'udp'],
    ['chat', 'tcp', 'server'],
    ['chat', 'tcp', 'group'],
  ]) {
    it(`dsock ${args.join(' ')} reports a busy port before asking for the name`, async () => {
      // The port is taken on every address, as the chat would bind it.
      const taken =
        args[1] === 'udp'
          ? await DatagramSocket.bind('0.0.0.0:0')
          : await StreamServer.listen('0.0.0.0:0');
      const child = dsock([...args, taken.localEndpoint.port]);
      try {
        // stdin stays open: a chat that asked first would wait for a name forever.
        assert.equal(await child.exitCode(), 1);
        assert.equal(child.stderrLines.length, 1, child.stderr);
        assert.match(child.stderr, /failed: address already in use$/);
        assert.doesNotMatch(child.stderr, /username/);
      } finally {
        await child.close();
        await taken.close();
      }
    });
  }

  it('a --reliable chat whose peer never acknowledged exits 1', { timeout: 60_000 }, async () => {
    // A bound socket that never answers: nothing said is ever acknowledged.
    const silent = await DatagramSocket.bind('127.0.0.1:0');
    const peer = `127.0.0.1:${silent.localEndpoint.port}`;
    // With a 1 s peer timeout (10 s by default) the chat gives up on it within a few seconds.
    const chat = dsock([
      'chat',
      'udp',
      0,
      peer,
      '--reliable',
      '--peer-timeout',
      1,
      '--name',
      'Ann',
    ]);
    try {
      await chat.stderrMatch(/chatting on/);
      chat.write('is anyone there?\n');
      await chat.stderrMatch(new RegExp(`^# dropped ${peer.replace(/\./g, '\\.')}: `), 40_000);
      chat.endInput();
      assert.equal(await chat.exitCode(), 1);
      assert.match(
        chat.stderrLines.at(-1) ?? '',
        new RegExp(`^dsock chat udp: ${peer.replace(/\./g, '\\.')} stopped acknowledging`),
      );
      assert.doesNotMatch(chat.stderr, /::ffff:|at .*\.js/);
    } finally {
      await chat.close();
      await silent.close();
    }
  });
});

describe('dsock sink udp', () => {
  it('waits for the first message without limit; the idle timeout counts from the last', async () => {
    const sender = await DatagramSocket.bind('127.0.0.1:0');
    const sink = dsock(['sink', 'udp', 0, '--host', '127.0.0.1', '--idle-timeout', 0.2]);
    try {
      const port = Number((await sink.stderrMatch(/listening on .*:(\d+)$/))[1]);
      // Five idle timeouts with no streamer yet: a sink that counted from its start has ended.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(sink.process.exitCode, null, `the sink gave up: ${sink.stderr}`);
      for (let i = 0; i < 3; i++) {
        await sender.sendTo(formatChatMessage(`Number ${i}`, 'Streamer'), {
          host: '127.0.0.1',
          port,
        });
      }
      assert.equal(await sink.exitCode(), 0);
      assert.deepEqual(sink.stdoutLines.slice(0, 3), ['received: 3', 'distinct: 3', 'lost: 0']);
    } finally {
      await sink.close();
      await sender.close();
    }
  });
});
