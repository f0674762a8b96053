import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { until, within } from '../helpers/bounded.js';
import { DatagramSocket } from '../../src/index.js';
import { nativeBinding } from '../../src/datagram/native-binding.js';
import { recv, socketTracker } from './sockets.js';

const sockets = socketTracker();

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Memory after a full collection, once finalizers queued by it have had a turn to run. */
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

const MiB = 1024 * 1024;

describe('DatagramSocket resources', () => {
  it('holds at most receiveQueueLimit datagrams under a flood: the rest are dropped and counted, memory stays flat', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', {
      receiveQueueLimit: 16,
      kernelReceiveBufferSize: 4 * MiB,
    });
    const sender = await sockets.bind('127.0.0.1:0');
    const before = await settledMemory();
    const rounds = 200;
    const perRound = 100;
    let sent = 0;
    for (let round = 0; round < rounds; round++) {
      const sends: Promise<number>[] = [];
      for (let i = 0; i < perRound; i++) {
        const data = Buffer.alloc(1024, round % 256);
        data.writeUInt32BE(sent++);
        sends.push(sender.sendTo(data, receiver.localEndpoint));
      }
      await within(Promise.all(sends), 5_000, `round ${round} of sends`);
      // Each round fits the kernel buffer; waiting for it keeps the kernel from dropping any.
      await until(
        () => receiver.stats.datagramsReceived === sent,
        5_000,
        () => `round ${round} to arrive (stats: ${JSON.stringify(receiver.stats)})`,
      );
    }
    const after = await settledMemory();
    const flood = sent * 1024;
    const grown = after.arrayBuffers - before.arrayBuffers;
    assert.ok(grown < 2 * MiB, `${flood / MiB} MiB flooded in, buffers grew by ${grown} bytes`);
    assert.equal(receiver.stats.datagramsDropped, sent - 16);
    for (let i = 0; i < 16; i++) {
      assert.equal((await recv(receiver)).data.readUInt32BE(), i, 'the first ones are held');
    }
    await sender.sendTo('after the flood', receiver.localEndpoint);
    assert.equal((await recv(receiver)).data.toString(), 'after the flood');
  });

  it('keeps no payload once it has left: sends of one tick, few or many, hold no memory after', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { receiveQueueLimit: 1 });
    const sender = await sockets.bind('127.0.0.1:0');
    const size = 60 * 1024;
    // A few sends in a tick, then a tick of more than the native path sends in one call: each
    // payload is made here and dropped once its send has settled.
    const tick = async (count: number, fill: number): Promise<void> => {
      const sends: Promise<number>[] = [];
      for (let i = 0; i < count; i++) {
        sends.push(sender.sendTo(Buffer.alloc(size, fill), receiver.localEndpoint));
      }
      await within(Promise.all(sends), 5_000, `${count} sends in one tick`);
    };
    await tick(1, 0);
    const before = await settledMemory();
    await tick(100, 1);
    const afterFew = await settledMemory();
    await tick(300, 2);
    const afterMany = await settledMemory();
    // 100 payloads are 6 MiB, 300 are 18 MiB: holding even one tick's would show.
    for (const [what, after] of [
      ['100 sends', afterFew],
      ['300 sends', afterMany],
    ] as const) {
      const grown = after.arrayBuffers - before.arrayBuffers;
      assert.ok(grown < 2 * MiB, `after ${what} in one tick, buffers grew by ${grown} bytes`);
    }
  });

  it('gives back every descriptor and its memory over 10,000 bind and close cycles', async () => {
    const cycle = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const socket = await DatagramSocket.bind('127.0.0.1:0');
        await socket.close();
      }
    };
    // A first round grows the heaps to their working size, which is not a leak (the native
    // path's rss levels off between 5,000 and 10,000 cycles).
    await within(cycle(10_000), 30_000, 'warm-up cycles');
    const descriptors = openDescriptors();
    const before = await settledMemory();
    const cycles = 10_000;
    await within(cycle(cycles), 60_000, `${cycles} bind and close cycles`);
    assert.equal(openDescriptors(), descriptors, 'open descriptors');
    const after = await settledMemory();
    // Each cycle opens two sockets (a probe for the port, then the socket): keeping even
    // 1 KiB of either would add 20 MiB.
    const grown = after.rss - before.rss;
    assert.ok(grown < 16 * MiB, `rss grew by ${(grown / MiB).toFixed(1)} MiB`);
    if (nativeBinding !== undefined) {
      // The addon frees a socket once libuv has closed it, a turn of the loop after close().
      await until(
        () => nativeBinding?.liveSockets() === 0,
        5_000,
        () => `the native sockets to be freed (${nativeBinding?.liveSockets()} left)`,
      );
    }
  });
});
