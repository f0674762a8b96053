/**
 * An application's tests may mock the global timers (node:test's `mock.timers`, fake timers)
 * while its reliable sockets talk to real peers. The work the socket defers to the end of a
 * turn of the event loop (acknowledging what arrived, taking a copy of what is held) must still
 * run, during the mock and after it is gone.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { Resources } from './helpers.js';

const resources = new Resources();
afterEach(async () => {
  mock.timers.reset();
  await resources.closeAll();
});

describe('ReliableDatagramSocket with setImmediate mocked', () => {
  it('acknowledges, delivers and owns held messages while the mock is on, and after', async () => {
    const a = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const b = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    mock.timers.enable({ apis: ['setImmediate'] });
    try {
      // Each resolves once b has acknowledged it, which b does at the end of its turn; the
      // messages then wait in b's queue, where they are given memory of their own at the end
      // of that turn (two sent at once may come in one buffer).
      const texts = ['during the mock a', 'during the mock b'];
      const sends = texts.map((text) => a.sendTo(text, b.localEndpoint));
      await within(Promise.all(sends), 5000, 'the acknowledgements during the mock');
      for (const text of texts) {
        const received = await within(b.recvFrom(), 5000, text);
        assert.equal(received.data.toString(), text);
      }
    } finally {
      // Drops whatever the mock still holds.
      mock.timers.reset();
    }
    for (let round = 0; round < 3; round++) {
      const texts = [`after the mock ${round}a`, `after the mock ${round}b`];
      const sends = texts.map((text) => a.sendTo(text, b.localEndpoint));
      await within(Promise.all(sends), 5000, `the acknowledgements of round ${round}`);
      for (const text of texts) {
        const { data } = await within(b.recvFrom(), 5000, text);
        assert.equal(data.toString(), text);
        // Held past a turn, a small message no longer keeps a buffer shared with others alive
        // (the native path packs small datagrams together).
        assert.equal(data.buffer.byteLength, data.length, `the memory of ${text}`);
      }
    }
  });
});
