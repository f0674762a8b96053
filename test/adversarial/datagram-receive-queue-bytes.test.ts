import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket } from '../../src/datagram/datagram-socket.js';
import { DEFAULT_RECEIVE_QUEUE_BYTES } from '../../src/datagram/options.js';
import { collectGarbage } from '../helpers/resources.js';
import { until } from '../helpers/bounded.js';
import { recv, socketTracker } from '../datagram/sockets.js';

const sockets = socketTracker();
const path = DatagramSocket.nativeAvailable ? 'native addon' : 'node:dgram';

/** Near the largest IPv4 datagram: what costs a receiver the most per datagram held. */
const LARGE = 64_000;
/** More than the default receive queue limit (1,024 datagrams): every slot could be taken. */
const FLOOD = 1_200;

describe(`a flood of large datagrams nobody receives (${path})`, () => {
  it('is held up to the byte bound of the receive queue; the rest is dropped and counted', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    // The bytes of Buffers alive after a full collection: what held datagrams cost, without
    // the allocator's noise that RSS carries after a flood of short-lived buffers.
    const bufferBytes = (): number => {
      collectGarbage();
      return process.memoryUsage().arrayBuffers;
    };
    const before = bufferBytes();
    const payload = Buffer.alloc(LARGE, 0x61);
    for (let i = 0; i < FLOOD; i++) {
      payload.writeUInt32BE(i, 0);
      await sender.sendTo(payload, receiver.localEndpoint);
      // One at a time, so that the kernel's buffer never drops: every datagram reaches the queue.
      await until(
        () => receiver.stats.datagramsReceived === i + 1,
        5_000,
        () => `datagram ${i} to arrive (stats: ${JSON.stringify(receiver.stats)})`,
      );
    }
    const grown = bufferBytes() - before;
    const held = Math.floor(DEFAULT_RECEIVE_QUEUE_BYTES / LARGE);
    assert.equal(receiver.stats.datagramsDropped, FLOOD - held, JSON.stringify(receiver.stats));
    // 4 MiB held, and a margin; bounded in datagrams only, 1,024 of them were held (65 MB).
    assert.ok(grown < 8 * 1024 * 1024, `buffers grew ${(grown / 1048576).toFixed(1)} MiB`);

    // What was held is the start of the flood, intact and in order; the socket still works.
    for (let i = 0; i < held; i++) {
      const datagram = await recv(receiver);
      assert.equal(datagram.data.length, LARGE);
      assert.equal(datagram.data.readUInt32BE(0), i);
    }
    await sender.sendTo('after the flood', receiver.localEndpoint);
    assert.equal((await recv(receiver)).data.toString(), 'after the flood');
  });

  it('honours a byte bound given as an option, and counts datagrams dropped past it', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { receiveQueueBytes: 10_000 });
    const sender = await sockets.bind('127.0.0.1:0');
    assert.equal(receiver.receiveQueueBytes, 10_000);
    for (let i = 0; i < 10; i++) {
      await sender.sendTo(Buffer.alloc(3_000, i), receiver.localEndpoint);
      await until(
        () => receiver.stats.datagramsReceived === i + 1,
        5_000,
        () => `datagram ${i} to arrive`,
      );
    }
    assert.equal(receiver.stats.datagramsDropped, 7);
    for (let i = 0; i < 3; i++) assert.equal((await recv(receiver)).data[0], i);
    // Receiving frees the bytes: the queue takes datagrams again.
    await sender.sendTo(Buffer.alloc(9_000, 42), receiver.localEndpoint);
    assert.equal((await recv(receiver)).data[0], 42);
    await assert.rejects(
      DatagramSocket.bind('127.0.0.1:0', { receiveQueueBytes: 0 }),
      /receiveQueueBytes must be an integer/,
    );
  });
});
