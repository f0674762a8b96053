/**
 * recvFrom() without arguments, the receive a busy socket makes for every datagram: an error
 * reported before a held datagram comes first, the receive channel hears of held and waited-for
 * datagrams, and close rejects waiting and later receives. Run on both datagram paths
 * (DSOCK_NATIVE=0 for node:dgram).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { until, within } from '../helpers/bounded.js';
import { ConnectionRefusedError, DatagramSocket, SocketClosedError } from '../../src/index.js';
import { socketTracker } from './sockets.js';

const sockets = socketTracker();

describe('DatagramSocket.recvFrom() without arguments', () => {
  it('reports an error held before a held datagram first, then hands out the datagram', async () => {
    // A port nobody is bound to: bound once, then closed.
    const probe = await within(DatagramSocket.bind('127.0.0.1:0'), 5_000, 'bind');
    const dead = probe.localEndpoint;
    await probe.close();
    const socket = await sockets.bind('127.0.0.1:0');
    await within(socket.connect(dead), 5_000, 'connect');
    await within(socket.send('anyone there?'), 5_000, 'send');
    // The refusal is reported before anything received after it: once a datagram from the
    // peer (now bound at that port) has been taken in, the error is held ahead of it.
    const peer = await sockets.bind(dead);
    await within(peer.sendTo('late', socket.localEndpoint), 5_000, 'sendTo');
    await until(() => socket.stats.datagramsReceived === 1, 5_000, 'the datagram to be held');
    await assert.rejects(within(socket.recvFrom(), 5_000, 'receive'), ConnectionRefusedError);
    const held = await within(socket.recvFrom(), 5_000, 'receive');
    assert.equal(held.data.toString(), 'late');
    assert.deepEqual(held.sender, dead);
    assert.equal(held.truncated, false);
  });

  it('tells the receive channel of each datagram, held or waited for', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const published: string[] = [];
    const onReceive = (message: unknown): void => {
      const { source, data, remote } = message as {
        source: unknown;
        data: Buffer;
        remote: unknown;
      };
      if (source !== socket) return;
      assert.deepEqual(remote, sender.localEndpoint);
      published.push(data.toString());
    };
    subscribe('dsock:datagram:receive', onReceive);
    try {
      // Waited for: the receive is made before the datagram is sent.
      const waiting = socket.recvFrom();
      await sender.sendTo('waited', socket.localEndpoint);
      assert.equal((await within(waiting, 5_000, 'receive')).data.toString(), 'waited');
      // Held: the datagram is in the queue before the receive is made.
      await sender.sendTo('held', socket.localEndpoint);
      await until(() => socket.stats.datagramsReceived === 2, 5_000, 'the datagram to be held');
      assert.equal((await within(socket.recvFrom(), 5_000, 'receive')).data.toString(), 'held');
      assert.deepEqual(published, ['waited', 'held']);
    } finally {
      unsubscribe('dsock:datagram:receive', onReceive);
    }
  });

  it('rejects with SocketClosedError once closed, waiting or made after', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const waiting = socket.recvFrom();
    await socket.close();
    await assert.rejects(within(waiting, 5_000, 'the waiting receive'), SocketClosedError);
    await assert.rejects(within(socket.recvFrom(), 5_000, 'a later receive'), SocketClosedError);
  });
});
