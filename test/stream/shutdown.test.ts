import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IncompleteReadError, SocketClosedError } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { FAMILIES, unavailable } from '../helpers/families.js';
import { connectedPair, readToEnd } from './pair.js';

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket.shutdown over ${family}`, () => {
    it("after shutdown('write') the peer reads end of stream and can still answer", async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.sendAll('request');
        await within(pair.client.shutdown('write'), 5000, 'shutdown');
        assert.equal((await readToEnd(pair.peer)).toString(), 'request');
        await pair.peer.sendAll('reply');
        await pair.peer.shutdown('write');
        assert.equal((await readToEnd(pair.client)).toString(), 'reply');
      } finally {
        await pair.close();
      }
    });

    it('after the peer half-closes we read end of stream and can still send', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.peer.shutdown('write');
        assert.equal((await within(pair.client.recv(10), 5000, 'end of stream')).length, 0);
        await pair.client.sendAll('still here');
        assert.equal(
          (await within(pair.peer.recvExactly(10), 5000, 'data')).toString(),
          'still here',
        );
      } finally {
        await pair.close();
      }
    });

    it("sendAll after shutdown('write') rejects with SocketClosedError", async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.shutdown('write');
        await assert.rejects(pair.client.sendAll('late'), (error: unknown) => {
          assert.ok(error instanceof SocketClosedError);
          assert.match(error.message, /sending side was shut down/);
          assert.deepEqual(error.endpoint, pair.client.remoteEndpoint);
          return true;
        });
        // A second shutdown of the same direction is harmless.
        await within(pair.client.shutdown('write'), 5000, 'second shutdown');
      } finally {
        await pair.close();
      }
    });

    it("shutdown('write') rejects when close() discards the data still queued", async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback, { server: { receiveBufferLimit: 1024 } });
      try {
        // Far more than the kernel buffers of both sides hold, so it is still queued at close.
        const sending = pair.client
          .sendAll(Buffer.alloc(32 * 1024 * 1024))
          .catch((e: unknown) => e);
        const shutting = pair.client.shutdown('write').then(
          () => 'resolved',
          (e: unknown) => e,
        );
        await pair.client.close();
        const error = await within(shutting, 5000, 'shutdown');
        assert.ok(error instanceof SocketClosedError, String(error));
        assert.deepEqual(error.endpoint, pair.client.remoteEndpoint);
        assert.ok((await within(sending, 5000, 'sendAll')) instanceof SocketClosedError);
      } finally {
        await pair.close();
      }
    });

    it("shutdown('read') ends pending and later reads and discards what arrives", async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.sendAll('unread');
        await within(pair.peer.recvExactly(1), 5000, 'first byte');
        const pendingExact = pair.peer.recvExactly(100).catch((e: unknown) => e);
        await pair.peer.shutdown('read');
        const error = await within(pendingExact, 5000, 'pending recvExactly');
        assert.ok(error instanceof IncompleteReadError, String(error));
        assert.equal(error.partial.length, 0);
        await pair.client.sendAll('discarded');
        assert.equal((await within(pair.peer.recv(100), 5000, 'recv')).length, 0);
        // Our sending side is untouched.
        await pair.peer.sendAll('ok');
        assert.equal((await within(pair.client.recv(10), 5000, 'reply')).toString(), 'ok');
      } finally {
        await pair.close();
      }
    });

    it("shutdown('both') half-closes both directions", async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.shutdown();
        assert.equal((await within(pair.client.recv(10), 5000, 'own read')).length, 0);
        assert.equal((await within(pair.peer.recv(10), 5000, 'peer read')).length, 0);
        await assert.rejects(pair.client.sendAll('x'), SocketClosedError);
      } finally {
        await pair.close();
      }
    });
  });
}

describe('StreamSocket.shutdown argument checks', () => {
  it('rejects an unknown direction and a closed socket', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      await assert.rejects(
        pair.client.shutdown('sideways' as never),
        /how must be 'read', 'write' or 'both', got "sideways"/,
      );
      await pair.client.close();
      await assert.rejects(pair.client.shutdown('write'), SocketClosedError);
    } finally {
      await pair.close();
    }
  });
});
