import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, describe, it } from 'node:test';
import { within } from '../helpers/bounded.js';
import { AbortError, DatagramSocket, SocketClosedError, TimeoutError } from '../../src/index.js';

describe('waits bounded by a shared signal or a timeout', () => {
  const open: DatagramSocket[] = [];
  after(async () => {
    await within(Promise.all(open.map((s) => s.close())), 5_000, 'closing sockets');
  });

  it('adds one abort listener to a signal that fifty waits share, and aborts all of them', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const sockets = await Promise.all(
        Array.from({ length: 50 }, () => DatagramSocket.bind('127.0.0.1:0')),
      );
      open.push(...sockets);
      const waits = sockets.map((s) => s.recvFrom(100, { signal: controller.signal }));
      assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
      controller.abort();
      const outcomes = await within(Promise.allSettled(waits), 5_000, 'aborted receives');
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(outcome.reason instanceof AbortError, String(outcome.reason));
      }
      // A turn for any deferred warning to be emitted.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('removes the listener once every wait on the signal is settled otherwise', async () => {
    const controller = new AbortController();
    const [a, b] = await Promise.all([
      DatagramSocket.bind('127.0.0.1:0'),
      DatagramSocket.bind('127.0.0.1:0'),
    ]);
    open.push(a, b);
    const first = a.recvFrom(100, { signal: controller.signal });
    const second = a.recvFrom(100, { signal: controller.signal });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    await b.sendTo('one', a.localEndpoint);
    await b.sendTo('two', a.localEndpoint);
    const got = await within(Promise.all([first, second]), 5_000, 'two datagrams');
    assert.deepEqual(
      got.map((d) => d.data.toString()),
      ['one', 'two'],
    );
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('lets a close in the same turn as the timeout settle the wait, not TimeoutError', async () => {
    // The close is scheduled after the wait's own timer with the same delay, so both usually
    // expire in one turn. Node reads the clock for each timer, though: when the two fall on
    // either side of a millisecond, the close comes a turn later, and the try is made again.
    // A wait that settled before the close could only have timed out in an earlier turn.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const socket = await DatagramSocket.bind('127.0.0.1:0');
      open.push(socket);
      const wait = socket.recvFrom(100, { timeout: 30 });
      let settled = false;
      wait.then(
        () => (settled = true),
        () => (settled = true),
      );
      const closedInTheSameTurn = new Promise<boolean>((resolve) => {
        setTimeout(() => {
          resolve(!settled);
          void socket.close();
        }, 30);
      });
      if (!(await within(closedInTheSameTurn, 5_000, 'the close'))) continue;
      await assert.rejects(within(wait, 5_000, 'the receive'), (error: unknown) => {
        assert.ok(error instanceof SocketClosedError, `got ${String(error)}`);
        return true;
      });
      return;
    }
    assert.fail('the timeout settled the wait before a close in its own turn, five times');
  });

  it('still times out when nothing else happens', async () => {
    const socket = await DatagramSocket.bind('127.0.0.1:0');
    open.push(socket);
    await assert.rejects(
      within(socket.recvFrom(100, { timeout: 20 }), 5_000, 'the receive'),
      TimeoutError,
    );
  });
});
