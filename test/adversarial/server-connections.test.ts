import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as pause } from 'node:timers/promises';
import { StreamServer, TimeoutError, type ConnectionRefusal } from '../../src/index.js';
import { until, within } from '../helpers/bounded.js';
import { dsock, LineChild } from '../helpers/child.js';

const sockets: Socket[] = [];
const servers: StreamServer[] = [];
after(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A raw TCP client on loopback: what an attacker holds open. */
async function client(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  await within(once(socket, 'connect'), 5000, `connect to ${port}`);
  return socket;
}

/** Resolves once the peer ended or reset the connection: what a client sees when it is closed. */
function closedByPeer(socket: Socket): Promise<unknown> {
  socket.resume();
  // 'close' follows a reset too; once() would reject on the 'error' a reset emits.
  return new Promise((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
}

describe('StreamServer against connections that are held open', () => {
  it('closes a connection idle past idleTimeout: the client reads end of stream, the server a TimeoutError', async () => {
    const server = await StreamServer.listen('127.0.0.1:0', { idleTimeout: 300 });
    servers.push(server);
    const idle = await client(server.localEndpoint.port);
    const accepted = await within(server.accept(), 5000, 'accept');
    const ended = closedByPeer(idle);
    await assert.rejects(within(accepted.recv(100), 5000, 'recv'), TimeoutError);
    await within(ended, 5000, 'end of stream at the idle client');
    await until(() => server.stats.open === 0, 5000, 'the closed connection to leave the count');
  });

  it('frees the slot of a connection closed by idleTimeout while it waits to be accepted', async () => {
    const server = await StreamServer.listen('127.0.0.1:0', {
      maxConnections: 1,
      idleTimeout: 200,
    });
    servers.push(server);
    const port = server.localEndpoint.port;
    // Never accepted: the server closes it once it has been idle that long.
    const waiting = await client(port);
    await within(closedByPeer(waiting), 5000, 'the waiting connection to be closed');
    await until(() => server.stats.open === 0, 5000, 'the closed connection to leave the count');
    // The slot is free: the next connection is taken, not refused at the limit. The closed one
    // is still handed out first, and says why it closed.
    const next = await client(port);
    const closed = await within(server.accept(), 5000, 'accept of the closed connection');
    await assert.rejects(
      within(closed.recv(10), 5000, 'recv on the closed connection'),
      TimeoutError,
    );
    const accepted = await within(server.accept(), 5000, 'accept after the slot was freed');
    next.write('hello');
    assert.equal((await within(accepted.recv(10), 5000, 'recv')).toString(), 'hello');
    assert.equal(server.stats.refusedAtLimit, 0);
    await accepted.close();
  });

  it('keeps a connection that keeps talking, however long', async () => {
    const server = await StreamServer.listen('127.0.0.1:0', { idleTimeout: 300 });
    servers.push(server);
    const talker = await client(server.localEndpoint.port);
    const accepted = await within(server.accept(), 5000, 'accept');
    let closed = false;
    talker.on('close', () => (closed = true));
    // Three idle timeouts' worth of time, with a byte every 100 ms.
    for (let i = 0; i < 9; i++) {
      talker.write('x');
      assert.equal((await within(accepted.recv(10), 5000, 'a byte')).toString(), 'x');
      await pause(100);
    }
    assert.equal(closed, false);
    await accepted.close();
  });

  it('refuses connections past maxConnections, counts and reports them, and takes new ones once some close', async () => {
    const refusals: ConnectionRefusal[] = [];
    const server = await StreamServer.listen('127.0.0.1:0', {
      maxConnections: 4,
      onRefused: (refusal) => refusals.push(refusal),
    });
    servers.push(server);
    const port = server.localEndpoint.port;
    const held: Socket[] = [];
    for (let i = 0; i < 4; i++) held.push(await client(port));
    const accepted = [];
    for (let i = 0; i < 4; i++) accepted.push(await within(server.accept(), 5000, `accept ${i}`));
    const extra = [await client(port), await client(port)];
    await within(Promise.all(extra.map(closedByPeer)), 5000, 'the refused clients to be closed');
    assert.equal(server.stats.refusedAtLimit, 2);
    assert.equal(server.stats.open, 4);
    assert.deepEqual(
      refusals.map((r) => r.reason),
      ['connection limit', 'connection limit'],
    );
    assert.equal(refusals[0]?.remote?.host, '127.0.0.1');

    // One leaves: there is room again.
    await accepted[0]!.close();
    await until(() => server.stats.open === 3, 5000, 'the closed connection to leave the count');
    const late = await client(port);
    const lateAccepted = await within(server.accept(), 5000, 'accept after room');
    late.write('hello');
    assert.equal((await within(lateAccepted.recv(10), 5000, 'recv')).toString(), 'hello');
  });
});

describe('dsock echo server against connections that are held open', () => {
  it('closes an idle client after --idle-timeout and says so', async () => {
    const server = dsock(['echo', 'server', 0, '--host', '127.0.0.1', '--idle-timeout', 0.5]);
    try {
      const port = Number((await server.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const idle = await client(port);
      await within(closedByPeer(idle), 5000, 'end of stream at the idle client');
      await server.stderrMatch(/idle for 500 ms/);
    } finally {
      await server.close();
    }
  });

  it('turns clients past --max-connections away with a status line, and still serves the others', async () => {
    const server = dsock(['echo', 'server', 0, '--host', '127.0.0.1', '--max-connections', 2]);
    try {
      const port = Number((await server.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const first = await client(port);
      const second = await client(port);
      await server.stderrMatch(/^# 127\.0\.0\.1:\d+ connected$/);
      await server.stderrMatch(/^# 127\.0\.0\.1:\d+ connected$/);
      const third = await client(port);
      await within(closedByPeer(third), 5000, 'the third client to be closed');
      await server.stderrMatch(/^# refused a connection: 2 connections are open/);
      first.write('still served');
      const [echo] = (await within(once(first, 'data'), 5000, 'the echo')) as [Buffer];
      assert.equal(echo.toString(), 'still served');
      second.destroy();
    } finally {
      await server.close();
    }
  });

  it('says so when it runs out of file descriptors, and serves again once they are back', async () => {
    // The server runs with its descriptor limit lowered to 256 (soft and hard, so Node cannot
    // raise it): room for loading its modules, which Node opens several at a time; 300 clients
    // then exhaust it without touching the machine's own limits.
    const server = new LineChild(
      'prlimit',
      [
        '--nofile=256:256',
        process.execPath,
        'bin/dsock.js',
        'echo',
        'server',
        0,
        '--host',
        '127.0.0.1',
      ].map(String),
    );
    const flood: Socket[] = [];
    try {
      const port = Number((await server.stderrMatch(/listening on .*:(\d+)$/))[1]);
      for (let i = 0; i < 300; i++) flood.push(await client(port));
      await server.stderrMatch(/^# refused .*out of file descriptors \(EMFILE\)/, 20_000);
      for (const socket of flood) socket.destroy();
      // Once the flood is gone, an honest client is served.
      const honest = await within(
        (async () => {
          for (let attempt = 0; attempt < 50; attempt++) {
            const socket = await client(port);
            socket.write('hello');
            const reply = await new Promise<string>((resolve) => {
              const timer = setTimeout(() => resolve(''), 1000);
              socket.once('data', (data: Buffer) => {
                clearTimeout(timer);
                resolve(data.toString());
              });
              socket.once('close', () => {
                clearTimeout(timer);
                resolve('');
              });
            });
            if (reply === 'hello') return socket;
            socket.destroy();
          }
          throw new Error('no echo after the flood');
        })(),
        30_000,
        'an echo once the flood is gone',
      );
      honest.destroy();
    } finally {
      for (const socket of flood) socket.destroy();
      await server.close();
    }
  });
});
