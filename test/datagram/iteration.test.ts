import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { until, within } from '../helpers/bounded.js';
import { ConnectionRefusedError, type ReceivedDatagram } from '../../src/index.js';
import { recv, socketTracker } from './sockets.js';

const sockets = socketTracker();

describe('DatagramSocket async iteration', () => {
  it('yields datagrams in order; breaking out leaves the socket open and its datagrams held', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    for (let i = 0; i < 5; i++) await sender.sendTo(`datagram ${i}`, socket.localEndpoint);
    const seen: ReceivedDatagram[] = [];
    await within(
      (async () => {
        for await (const datagram of socket) {
          seen.push(datagram);
          if (seen.length === 3) break;
        }
      })(),
      5_000,
      'three datagrams from the loop',
    );
    assert.deepEqual(
      seen.map((d) => d.data.toString()),
      ['datagram 0', 'datagram 1', 'datagram 2'],
    );
    assert.deepEqual(seen[0]?.sender, sender.localEndpoint);
    assert.equal(socket.closed, false);
    assert.equal((await recv(socket)).data.toString(), 'datagram 3');
    await sender.sendTo('after the loop', socket.localEndpoint);
    assert.equal((await recv(socket)).data.toString(), 'datagram 4');
    assert.equal((await recv(socket)).data.toString(), 'after the loop');
  });

  it('ends the loop cleanly when the socket is closed', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const datagram of socket) {
        seen.push(datagram.data.toString());
        if (seen.length === 2) void socket.close();
      }
    })();
    await sender.sendTo('one', socket.localEndpoint);
    await sender.sendTo('two', socket.localEndpoint);
    await within(loop, 5_000, 'the loop to end');
    assert.deepEqual(seen, ['one', 'two']);
  });

  it('hands each datagram to a loop that waits for it, and tells the receive channel', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const published: string[] = [];
    const onReceive = (message: unknown): void => {
      const { source, data } = message as { source: unknown; data: Buffer };
      if (source === socket) published.push(data.toString());
    };
    subscribe('dsock:datagram:receive', onReceive);
    try {
      const seen: ReceivedDatagram[] = [];
      const loop = (async () => {
        for await (const datagram of socket) {
          seen.push(datagram);
          if (seen.length === 3) break;
        }
      })();
      // Each datagram is sent once the loop has taken the one before, so it waits for each.
      for (const text of ['one', 'two', 'three']) {
        await sender.sendTo(text, socket.localEndpoint);
        await until(
          () => seen.some((d) => d.data.toString() === text),
          5_000,
          `the loop to take ${text}`,
        );
      }
      await within(loop, 5_000, 'the loop to end');
      assert.deepEqual(
        seen.map((d) => d.data.toString()),
        ['one', 'two', 'three'],
      );
      assert.deepEqual(seen[2]?.sender, sender.localEndpoint);
      assert.deepEqual(published, ['one', 'two', 'three']);
    } finally {
      unsubscribe('dsock:datagram:receive', onReceive);
    }
  });

  it('throws from a loop that waits an error the system reports (the peer port is closed)', async () => {
    const gone = await sockets.bind('127.0.0.1:0');
    const port = gone.localEndpoint.port;
    await gone.close();
    const socket = await sockets.bind('127.0.0.1:0');
    await socket.connect({ host: '127.0.0.1', port });
    let iterations = 0;
    const loop = (async () => {
      for await (const _ of socket) iterations++;
    })();
    // The system answers with "port unreachable", which the waiting receive gets.
    await socket.send('anyone there?');
    await assert.rejects(within(loop, 5_000, 'the loop to end'), ConnectionRefusedError);
    assert.equal(iterations, 0);
    assert.equal(socket.closed, false);
  });

  it('ends a loop that waits when another task closes the socket', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    let iterations = 0;
    const loop = (async () => {
      for await (const _ of socket) iterations++;
    })();
    await socket.close();
    await within(loop, 5_000, 'the loop to end');
    assert.equal(iterations, 0);
  });

  it('gives next() calls made while others wait one datagram each, in call order, again and again', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const iterator = socket[Symbol.asyncIterator]();
    for (let round = 0; round < 3; round++) {
      // Three steps wait at once, then one alone: each must settle with its own datagram.
      const waiting = [iterator.next(), iterator.next(), iterator.next()];
      for (let i = 0; i < 3; i++) await sender.sendTo(`${round}.${i}`, socket.localEndpoint);
      const results = await within(Promise.all(waiting), 5_000, 'three waiting steps');
      assert.deepEqual(
        results.map((r) => (r.done === true ? 'done' : r.value.data.toString())),
        [`${round}.0`, `${round}.1`, `${round}.2`],
      );
      const alone = iterator.next();
      await sender.sendTo(`${round}.alone`, socket.localEndpoint);
      const result = await within(alone, 5_000, 'the step alone');
      assert.equal(result.done === true ? 'done' : result.value.data.toString(), `${round}.alone`);
    }
    // A step waiting when the socket closes ends the iteration quietly.
    const last = iterator.next();
    await socket.close();
    assert.deepEqual(await within(last, 5_000, 'the last step'), { value: undefined, done: true });
  });
});
