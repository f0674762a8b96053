import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { until, within } from '../helpers/bounded.js';
import { recv, socketTracker } from './sockets.js';

const sockets = socketTracker();

describe('DatagramSocket receive queue limit', () => {
  it('holds up to the limit while nobody receives, drops and counts the rest', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { receiveQueueLimit: 8 });
    const sender = await sockets.bind('127.0.0.1:0');
    assert.equal(receiver.receiveQueueLimit, 8);
    for (let i = 0; i < 20; i++) await sender.sendTo(`datagram ${i}`, receiver.localEndpoint);
    await until(
      () => receiver.stats.datagramsReceived === 20,
      5_000,
      () => `all 20 datagrams to arrive (stats: ${JSON.stringify(receiver.stats)})`,
    );
    assert.equal(receiver.stats.datagramsDropped, 12);

    // The held ones are the first eight, in order; the dropped ones are gone for good.
    for (let i = 0; i < 8; i++)
      assert.equal((await recv(receiver)).data.toString(), `datagram ${i}`);
    await sender.sendTo('marker', receiver.localEndpoint);
    assert.equal((await recv(receiver)).data.toString(), 'marker');
    assert.equal(receiver.stats.datagramsDropped, 12);
  });

  it('does not drop while receivers are waiting, however many', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { receiveQueueLimit: 1 });
    const sender = await sockets.bind('127.0.0.1:0');
    const receives = Array.from({ length: 4 }, () => receiver.recvFrom());
    for (let i = 0; i < 4; i++) await sender.sendTo(`datagram ${i}`, receiver.localEndpoint);
    const received = await within(Promise.all(receives), 5_000, 'four receives');
    assert.deepEqual(
      received.map((d) => d.data.toString()),
      ['datagram 0', 'datagram 1', 'datagram 2', 'datagram 3'],
    );
    assert.equal(receiver.stats.datagramsDropped, 0);
  });

  it('counts datagrams still held at close as dropped', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    for (let i = 0; i < 3; i++) await sender.sendTo(`datagram ${i}`, receiver.localEndpoint);
    await until(() => receiver.stats.datagramsReceived === 3, 5_000, 'three datagrams to arrive');
    await receiver.close();
    assert.equal(receiver.stats.datagramsDropped, 3);
  });
});
