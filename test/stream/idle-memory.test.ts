import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { SocketClosedError, StreamServer, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { assertLeastDifferenceUnder } from '../helpers/least-of-rounds.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { allocatedDuring, heapUsedAfterGc } from '../helpers/resources.js';

const CONNECTIONS = 500;
// A first, smaller round of each kind compiles the code both use before anything is measured.
const WARM_UP = 50;
// What a dsock connection (both ends, no read pending) may cost the heap beyond raw node:net
// sockets with a data and an error listener each. It measures about -100 bytes: a socket never
// read holds no receive buffer, and its StreamSocket (104 bytes per end) is smaller than the
// raw handler's two listener closures and their context (152); about 0 while the StreamSocket
// held 32 bytes more, about 310 while each end made its buffer at once, and about
// 1,020 while dsock kept Node's cached address objects and added a close and an end listener.
// The bound leaves room for the noise of a loaded machine (one run alongside other tests
// measured 550).
const EXTRA_BYTES_PER_CONNECTION = 650;
// What a `recv` waiting on each end costs the heap per connection, both ends, beyond the same
// connections with no read: the read's promise with its resolve function (152 bytes per end),
// so 304, and 16 for the test's array of reads: about 320 in a plain process. The test runner
// tracks async context, which gives every promise its async ids (about 140 bytes more per
// connection), so about 360 to 600 here. It was 640 to 660 while the first read made the receive
// buffer (104 bytes per end), and about 100 more while each waiting read was an object of its
// own and the buffer kept a spare one; a timer, signal listener or closure made per read would
// show here. The bound leaves room for the noise of a loaded machine.
const PENDING_READ_BYTES_PER_CONNECTION = 650;
// What a `forEachChunk` waiting on each end costs, both ends, beyond no read: its promise with
// its resolve function, as a pending recv's, with the handler in the socket's own fields (no
// receive buffer and no object for it), so about what a pending recv costs. Its caller holds
// no suspended async function, where a loop awaiting recv holds one.
// It measures about 330 to 500 in the test runner; with the receive buffer made at once and the
// handler in an object of its own (152 bytes more per end), 800 to 950.
const PENDING_FOR_EACH_BYTES_PER_CONNECTION = 560;
// What opening a dsock connection (both ends: connect, accept) may allocate, garbage included,
// beyond raw node:net sockets opened the same way. What a burst of connections allocates, and
// not only what it keeps, decides how far V8 grows the young generation, which stays resident.
// It measures about 300 to 2,100 bytes less than raw; it was 2,100 to 4,200 more while a connect
// waited in two async functions with listener closures and a deadline wait, and accept was an
// async function. The bound leaves room for the noise of a loaded machine.
const EXTRA_ALLOCATED_PER_CONNECTION = 1_000;
/**
 * At most this many rounds of both kinds are measured in turn; the least difference is held to
 * the bound, so the rounds stop at the first one under it.
 */
const ROUNDS = 3;
/** At most this many rounds of the pending-read tests, each measuring both kinds in turn. */
const PENDING_ROUNDS = 3;

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

/** What opening connections costs the heap: kept, or allocated (garbage included). */
type Measure = (open: () => Promise<void>) => Promise<number>;

/** The heap kept once `open` has run and garbage is gone. */
async function kept(open: () => Promise<void>): Promise<number> {
  const before = await settledHeap();
  await open();
  return (await settledHeap()) - before;
}

/** The heap allocated while `open` runs, garbage included. */
const allocated: Measure = allocatedDuring;

/**
 * Heap growth per connection while `open` opens `count` of them (or, with `measure`,
 * another heap figure); then `close` closes them all and resolves once every socket is
 * released.
 */
async function heapPerConnection(
  count: number,
  open: () => Promise<void>,
  close: () => Promise<void>,
  measure: Measure = kept,
): Promise<number> {
  try {
    return (await measure(() => within(open(), 60_000, `${count} connections to open`))) / count;
  } finally {
    await within(close(), 30_000, `${count} connections to close`);
  }
}

async function rawConnections(count: number, measure: Measure = kept): Promise<number> {
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
    measure,
  );
}

/** A handler for data that never comes. */
function neverCalled(): void {
  assert.fail('data came on an idle connection');
}

/**
 * Heap per dsock connection, both ends; with `pendingRead`, each end has a `recv` waiting for
 * data that never comes (its promise kept in an array), or with 'each' a `forEachChunk`.
 */
async function dsockConnections(
  count: number,
  pendingRead: boolean | 'each' = false,
  measure: Measure = kept,
): Promise<number> {
  const sockets: StreamSocket[] = [];
  const reads: Promise<Buffer | void>[] = [];
  const server = await StreamServer.listen('127.0.0.1:0', { maxConnections: count });
  return heapPerConnection(
    count,
    async () => {
      for (let i = 0; i < count; i++) {
        sockets.push(await StreamSocket.connect(server.localEndpoint));
        sockets.push(await server.accept());
        if (pendingRead === 'each') {
          reads.push(
            sockets.at(-2)!.forEachChunk(neverCalled),
            sockets.at(-1)!.forEachChunk(neverCalled),
          );
        } else if (pendingRead) {
          reads.push(sockets.at(-2)!.recv(65536), sockets.at(-1)!.recv(65536));
        }
      }
    },
    async () => {
      // A recv rejects on close; forEachChunk ends quietly.
      const closed = reads.map((read) =>
        read.then(
          () => assert.equal(pendingRead, 'each', 'a read on an idle connection resolved'),
          (error: unknown) => assert.ok(error instanceof SocketClosedError, String(error)),
        ),
      );
      await Promise.all(sockets.map((socket) => socket.close()));
      await Promise.all(closed);
      await server.close();
    },
    measure,
  );
}

/**
 * Holds what `pending` (a recv, or forEachChunk) waiting on each end costs the heap per
 * connection, both ends, beyond the same connections with no read, to `bound`: each round
 * measures both kinds in turn, and the least difference of up to PENDING_ROUNDS rounds counts
 * (noise only adds to one measurement, so comparing the least of each kind across rounds would
 * pair a low outlier of one kind with another round of the other).
 */
async function assertPendingCostUnder(
  t: TestContext,
  pending: true | 'each',
  bound: number,
  what: string,
): Promise<void> {
  await dsockConnections(WARM_UP, pending);
  await dsockConnections(WARM_UP);
  await assertLeastDifferenceUnder(
    (message) => t.diagnostic(message),
    PENDING_ROUNDS,
    bound,
    'heap per connection',
    { name: 'no read', measure: () => dsockConnections(CONNECTIONS) },
    { name: `${what} on each end`, measure: () => dsockConnections(CONNECTIONS, pending) },
    (least, all) =>
      `${what} on each end costs ${least} bytes of heap per connection (the least of the ` +
      `rounds: ${all})`,
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
      // The least difference is what is held to the bound: one round under it settles it.
      if (dsock - raw < EXTRA_BYTES_PER_CONNECTION) break;
    }
    const least = Math.min(...extra);
    assert.ok(
      least < EXTRA_BYTES_PER_CONNECTION,
      `a dsock connection costs ${Math.round(least)} bytes of heap more than a raw one ` +
        `(the least of ${extra.length} rounds: ${extra.map(Math.round).join(', ')})`,
    );
  });

  it('costs the heap little more with a recv pending on each end', async (t) => {
    await assertPendingCostUnder(t, true, PENDING_READ_BYTES_PER_CONNECTION, 'a read pending');
  });

  it('costs the heap no more than a pending recv with forEachChunk waiting on each end', async (t) => {
    await assertPendingCostUnder(t, 'each', PENDING_FOR_EACH_BYTES_PER_CONNECTION, 'forEachChunk');
  });

  it('is opened allocating no more than raw node:net sockets', async (t) => {
    await rawConnections(WARM_UP, allocated);
    await dsockConnections(WARM_UP, false, allocated);
    await assertLeastDifferenceUnder(
      (message) => t.diagnostic(message),
      ROUNDS,
      EXTRA_ALLOCATED_PER_CONNECTION,
      'heap allocated per connection opened',
      { name: 'raw node:net', measure: () => rawConnections(CONNECTIONS, allocated) },
      { name: 'dsock', measure: () => dsockConnections(CONNECTIONS, false, allocated) },
      (least, all) =>
        `opening a dsock connection allocates ${least} bytes more than a raw one ` +
        `(the least of the rounds: ${all})`,
    );
  });
});
