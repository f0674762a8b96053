import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { StreamServer, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { assertLeastDifferenceUnder } from '../helpers/least-of-rounds.js';
import { allocatedDuring } from '../helpers/resources.js';
import { connectedPair } from './pair.js';

const SIZE = 64;
const WARM_UP = 2_000;
const TRIPS = 5_000;
// What a 64-byte echo round trip (client `await sendAll; await recvExactly`, server
// `for await (chunk) await sendAll(chunk)`, both in this process) may allocate beyond raw
// node:net doing the same with a 'data' handler and write(), garbage included. dsock's own code
// allocates less than Node's stream path per trip (its reads skip the 'data' event and its
// ticks); the difference is the four awaits of the loops themselves (about 200 bytes each in a
// plain process): about 540 bytes in a plain process, about 890 here (the test runner tracks
// async context, which gives every promise and await more to carry). A promise, closure and write callback per send, with the tick Node queues for that
// callback, measured about 3,850 here; a second promise per read (a `.then` on it) about 1,100.
// The bound leaves room for the noise of a loaded machine.
const EXTRA_ALLOCATED_PER_TRIP = 1_050;
/** Rounds of both kinds measured in turn, stopping at the first one under the bound. */
const ROUNDS = 3;

/** Counts the promises and ticks made while `run` runs (synchronously). */
function madeDuring(run: () => void): { promises: number; ticks: number } {
  const made = { promises: 0, ticks: 0 };
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') made.promises++;
      else if (type === 'TickObject') made.ticks++;
    },
  });
  hook.enable();
  try {
    run();
  } finally {
    hook.disable();
  }
  return made;
}

/** Heap allocated per round trip by `trips` round trips of `run`. */
async function perTrip(run: (trips: number) => Promise<void>): Promise<number> {
  return (await allocatedDuring(() => within(run(TRIPS), 60_000, `${TRIPS} round trips`))) / TRIPS;
}

/** Round trips of an echo, then its sockets closed. */
interface Echo {
  run(this: void, trips: number): Promise<void>;
  close(this: void): Promise<void>;
}

/** Round trips between a raw node:net client and echo server in this process. */
async function rawEcho(): Promise<Echo> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const client = connect(address.port, '127.0.0.1');
  client.setNoDelay(true);
  sockets.push(client);
  client.on('error', () => client.destroy());
  await within(once(client, 'connect'), 5000, 'connect');
  const payload = Buffer.alloc(SIZE, 0x61);
  let pending = 0;
  let left = 0;
  let done = (): void => undefined;
  client.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending > 0) return;
    if (--left === 0) return done();
    pending = SIZE;
    client.write(payload);
  });
  return {
    run: (trips) =>
      new Promise<void>((resolve) => {
        done = resolve;
        left = trips;
        pending = SIZE;
        client.write(payload);
      }),
    async close() {
      const released = sockets.map((socket) => once(socket, 'close'));
      for (const socket of sockets) socket.destroy();
      await within(Promise.all(released), 5000, 'raw sockets to close');
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Round trips between a dsock client and echo server in this process, as the bench makes. */
async function dsockEcho(): Promise<Echo> {
  const server = await StreamServer.listen('127.0.0.1:0');
  const client = await within(
    StreamSocket.connect(server.localEndpoint, { noDelay: true }),
    5000,
    'connect',
  );
  const peer = await within(server.accept(), 5000, 'accept');
  const serving = (async () => {
    for await (const chunk of peer) await peer.sendAll(chunk);
  })();
  const payload = Buffer.alloc(SIZE, 0x61);
  return {
    async run(trips) {
      for (let i = 0; i < trips; i++) {
        await client.sendAll(payload);
        await client.recvExactly(SIZE);
      }
    },
    async close() {
      await within(Promise.all([client.close(), peer.close(), server.close()]), 5000, 'close');
      await within(serving, 5000, 'the echo loop to end');
    },
  };
}

describe('a stream round trip', () => {
  it('makes no promise or tick for a send the kernel takes whole (but a turn per 32), one per read', async () => {
    const pair = await connectedPair('127.0.0.1');
    const reads: Promise<Buffer>[] = [];
    try {
      const payload = Buffer.alloc(SIZE, 0x62);
      const sends: Promise<void>[] = [];
      // 50 sends of 64 bytes fit in any kernel's send buffer: each is written within the call.
      const sending = madeDuring(() => {
        for (let i = 0; i < 50; i++) sends.push(pair.client.sendAll(payload));
      });
      await within(Promise.all(sends), 5000, 'sends');
      // But for the turn of the event loop that every 32nd send at once waits for.
      assert.equal(sending.ticks, 0, 'ticks made by 50 sendAll calls');
      assert.ok(sending.promises <= 2, `${sending.promises} promises made by 50 sendAll calls`);
      // A read that waits, and one served from held data, make the promise they return only.
      const waiting = madeDuring(() => reads.push(pair.client.recvExactly(SIZE)));
      assert.deepEqual(waiting, { promises: 1, ticks: 0 }, 'made by a recvExactly that waits');
      await within(pair.peer.recvExactly(50 * SIZE), 5000, 'the sent bytes');
      await pair.peer.sendAll(Buffer.alloc(2 * SIZE, 0x63));
      assert.equal((await within(reads[0]!, 5000, 'the waiting read')).length, SIZE);
      const held = madeDuring(() => reads.push(pair.client.recvExactly(SIZE)));
      assert.deepEqual(held, { promises: 1, ticks: 0 }, 'made by a recvExactly of held data');
      assert.deepEqual(await within(reads[1]!, 5000, 'the held read'), Buffer.alloc(SIZE, 0x63));
    } finally {
      // A read still waiting when an assertion failed rejects on close: the assertion is the news.
      for (const read of reads) read.catch(() => undefined);
      await pair.close();
    }
  });

  it('allocates little more than raw node:net for a 64-byte echo', async (t) => {
    const raw = await rawEcho();
    const dsock = await dsockEcho();
    try {
      await within(raw.run(WARM_UP), 60_000, 'raw warm-up');
      await within(dsock.run(WARM_UP), 60_000, 'dsock warm-up');
      await assertLeastDifferenceUnder(
        (message) => t.diagnostic(message),
        ROUNDS,
        EXTRA_ALLOCATED_PER_TRIP,
        'heap allocated per round trip',
        { name: 'raw node:net', measure: () => perTrip(raw.run) },
        { name: 'dsock', measure: () => perTrip(dsock.run) },
        (least, all) =>
          `a dsock round trip allocates ${least} bytes more than a raw one ` +
          `(the least of the rounds: ${all})`,
      );
    } finally {
      await raw.close();
      await dsock.close();
    }
  });
});
