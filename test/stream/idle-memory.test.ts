import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { StreamServer, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { heapUsedAfterGc } from '../helpers/resources.js';

const CONNECTIONS = 500;
// A first, smaller round of each kind compiles the code both use before anything is measured.
const WARM_UP = 50;
// What a dsock connection (both ends, no read pending) may cost the heap beyond raw node:net
// sockets with a data and an error listener each. It measures about 0 bytes, as a socket never
// read holds no receive buffer; about 310 while each end made its buffer at once, and about
// 1,020 while dsock kept Node's cached address objects and added a close and an end listener.
// The bound leaves room for the noise of a loaded machine (one run alongside other tests
// measured 550).
const EXTRA_BYTES_PER_CONNECTION = 650;
/** Rounds of both kinds measured in turn; the least difference is held to the bound. */
const ROUNDS = 3;

/**
 * The heap in use once garbage is gone: closed sockets release their objects through weak
 * callbacks that run on later turns of the event loop, so a collection alone leaves them.
 */
async function settledHeap(): Promise<number> {
  let used = heapUsedAfterGc();
  for (let turn = 0; turn < 3; turn++) {
    await nextTurn();
    used = heapUsedAfterGc();
  }
  return used;
}

/**
 * Heap growth per connection while `open` opens `count` of them; then `close` closes them all
 * and resolves once every socket is released.
 */
async function heapPerConnection(
  count: number,
  open: () => Promise<void>,
  close: () => Promise<void>,
): Promise<number> {
  const before = await settledHeap();
  try {
    await within(open(), 60_000, `${count} connections to open`);
    return ((await settledHeap()) - before) / count;
  } finally {
    await within(close(), 30_000, `${count} connections to close`);
  }
}

async function rawConnections(count: number): Promise<number> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return heapPerConnection(
    count,
    async () => {
      for (let i = 0; i < count; i++) {
        const socket = connect(address.port, '127.0.0.1');
        sockets.push(socket);
        socket.on('data', () => undefined);
        socket.on('error', () => socket.destroy());
        await once(socket, 'connect');
      }
      while (sockets.length < 2 * count) await once(server, 'connection');
    },
    async () => {
      const released = sockets.map((socket) => once(socket, 'close'));
      for (const socket of sockets) socket.destroy();
      await Promise.all(released);
      await new Promise((resolve) => server.close(resolve));
    },
  );
}

async function dsockConnections(count: number): Promise<number> {
  const sockets: StreamSocket[] = [];
  const server = await StreamServer.listen('127.0.0.1:0', { maxConnections: count });
  return heapPerConnection(
    count,
    async () => {
      for (let i = 0; i < count; i++) {
        sockets.push(await StreamSocket.connect(server.localEndpoint));
        sockets.push(await server.accept());
      }
    },
    async () => {
      await Promise.all(sockets.map((socket) => socket.close()));
      await server.close();
    },
  );
}

describe('an idle stream connection', () => {
  it('costs the heap little more than raw node:net sockets', async (t) => {
    await rawConnections(WARM_UP);
    await dsockConnections(WARM_UP);
    // Other work on a loaded machine lands in one measurement now and then; what the code
    // itself costs shows in every one, so the smallest difference of a few rounds is kept.
    const extra: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const raw = await rawConnections(CONNECTIONS);
      const dsock = await dsockConnections(CONNECTIONS);
      t.diagnostic(
        `round ${round + 1}: heap per connection, both ends: raw node:net ${Math.round(raw)} B, ` +
          `dsock ${Math.round(dsock)} B`,
      );
      extra.push(dsock - raw);
    }
    const least = Math.min(...extra);
    assert.ok(
      least < EXTRA_BYTES_PER_CONNECTION,
      `a dsock connection costs ${Math.round(least)} bytes of heap more than a raw one ` +
        `(the least of ${ROUNDS} rounds: ${extra.map(Math.round).join(', ')})`,
    );
  });
});
