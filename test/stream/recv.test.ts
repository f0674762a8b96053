import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortError,
  IncompleteReadError,
  TimeoutError,
  InvalidArgumentError,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { FAMILIES, unavailable } from '../helpers/families.js';
import { connectedPair } from './pair.js';

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket receiving over ${family}`, () => {
    it('recv returns at most bufsize bytes and keeps the rest for the next read', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.sendAll('abcdefghij');
        assert.equal((await within(pair.peer.recv(4), 5000, 'recv')).toString(), 'abcd');
        assert.equal((await within(pair.peer.recv(100), 5000, 'recv')).toString(), 'efghij');
      } finally {
        await pair.close();
      }
    });

    it('recv returns an empty Buffer at end of stream, and on every call after', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const pending = pair.peer.recv(10);
        await pair.client.sendAll('hi');
        await pair.client.shutdown('write');
        assert.equal((await within(pending, 5000, 'data')).toString(), 'hi');
        for (let i = 0; i < 3; i++) {
          const chunk = await within(pair.peer.recv(10), 5000, 'end of stream');
          assert.ok(Buffer.isBuffer(chunk));
          assert.equal(chunk.length, 0);
        }
      } finally {
        await pair.close();
      }
    });

    it('recvExactly gathers exactly n bytes from several sends', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const reading = pair.peer.recvExactly(9);
        for (const piece of ['abc', 'def', 'ghijk']) await pair.client.sendAll(piece);
        assert.equal((await within(reading, 5000, 'recvExactly')).toString(), 'abcdefghi');
        assert.equal((await within(pair.peer.recvExactly(2), 5000, 'rest')).toString(), 'jk');
        assert.equal((await pair.peer.recvExactly(0)).length, 0);
      } finally {
        await pair.close();
      }
    });

    it('recvExactly can ask for far more than the receive buffer limit', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback, { server: { receiveBufferLimit: 1024 } });
      try {
        const data = pattern(0, 300_000);
        const reading = pair.peer.recvExactly(data.length);
        await within(pair.client.sendAll(data), 5000, 'sendAll');
        assert.ok((await within(reading, 5000, 'recvExactly')).equals(data));
      } finally {
        await pair.close();
      }
    });

    it('recvExactly rejects with IncompleteReadError holding the partial bytes', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.sendAll('12345');
        await pair.client.shutdown('write');
        const error = await within(
          pair.peer.recvExactly(10).then(
            () => assert.fail('recvExactly resolved at end of stream'),
            (e: unknown) => e,
          ),
          5000,
          'IncompleteReadError',
        );
        assert.ok(error instanceof IncompleteReadError, String(error));
        assert.equal(error.partial.toString(), '12345');
        assert.equal(error.expected, 10);
        assert.deepEqual(error.endpoint, pair.peer.remoteEndpoint);
        assert.match(error.message, /ended after 5 of 10 expected bytes/);
        assert.equal((await pair.peer.recv(10)).length, 0);
      } finally {
        await pair.close();
      }
    });

    it('serves concurrent reads in the order they were made', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const first = pair.peer.recv(3);
        const second = pair.peer.recvExactly(4);
        const third = pair.peer.recv(100);
        await pair.client.sendAll('abcdefghij');
        const got = await within(Promise.all([first, second, third]), 5000, 'three reads');
        assert.deepEqual(
          got.map((b) => b.toString()),
          ['abc', 'defg', 'hij'],
        );
      } finally {
        await pair.close();
      }
    });

    it('a timed-out recv rejects with TimeoutError and loses no data', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const error = await within(
          pair.peer.recv(10, { timeout: 50 }).catch((e: unknown) => e),
          5000,
          'timeout',
        );
        assert.ok(error instanceof TimeoutError, String(error));
        assert.equal(error.timeout, 50);
        assert.match(error.message, /recv from .* timed out after 50 ms/);
        await pair.client.sendAll('after');
        assert.equal((await within(pair.peer.recv(10), 5000, 'recv')).toString(), 'after');
      } finally {
        await pair.close();
      }
    });

    it('a timed-out recvExactly keeps the bytes it had gathered', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const waiting = pair.peer.recvExactly(6, { timeout: 300 }).catch((e: unknown) => e);
        await pair.client.sendAll('abc');
        assert.ok((await within(waiting, 5000, 'timeout')) instanceof TimeoutError);
        await pair.client.sendAll('def');
        assert.equal((await within(pair.peer.recvExactly(6), 5000, 'rest')).toString(), 'abcdef');
      } finally {
        await pair.close();
      }
    });

    it('an aborted recv rejects with AbortError and a later read still gets the data', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const controller = new AbortController();
        const aborted = pair.peer.recv(10, { signal: controller.signal }).catch((e: unknown) => e);
        const next = pair.peer.recv(10);
        controller.abort();
        const error = await within(aborted, 5000, 'abort');
        assert.ok(error instanceof AbortError, String(error));
        assert.deepEqual(error.endpoint, pair.peer.remoteEndpoint);
        await pair.client.sendAll('x');
        assert.equal((await within(next, 5000, 'recv')).toString(), 'x');
      } finally {
        await pair.close();
      }
    });
  });
}

describe('StreamSocket receive timeouts', () => {
  it('refuses a timeout longer than a timer can wait, naming the limit', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      // Node would fire such a timer after 1 ms: the read must not time out early instead.
      for (const timeout of [2 ** 31, 2 ** 32, 1e12]) {
        await assert.rejects(
          pair.peer.recv(10, { timeout }),
          (e: unknown) =>
            e instanceof InvalidArgumentError && /from 0 to 2147483647/.test(e.message),
        );
        await assert.rejects(pair.peer.recvExactly(10, { timeout }), InvalidArgumentError);
      }
      await pair.client.sendAll('still there');
      const data = await within(pair.peer.recvExactly(11), 5000, 'data');
      assert.equal(data.toString(), 'still there');
    } finally {
      await pair.close();
    }
  });

  it('refuses bad options even when the data is already there, and keeps the data', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      await pair.client.sendAll('held');
      assert.equal((await within(pair.peer.recvExactly(1), 5000, 'first byte')).toString(), 'h');
      await assert.rejects(pair.peer.recv(10, { timeout: -1 }), /timeout must be/);
      await assert.rejects(pair.peer.recvExactly(1, { timeout: 2 ** 31 }), InvalidArgumentError);
      await assert.rejects(pair.peer.recv(10, null as never), {
        name: 'InvalidArgumentError',
        message: /options must be an object/,
      });
      assert.equal((await within(pair.peer.recv(10), 5000, 'rest')).toString(), 'eld');
    } finally {
      await pair.close();
    }
  });

  it('waits without a limit for timeout Infinity, and for the largest timeout', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      const reading = pair.peer.recv(10, { timeout: Infinity });
      const exact = pair.peer.recvExactly(3, { timeout: 2 ** 31 - 1 });
      await pair.client.sendAll('forever');
      assert.equal((await within(reading, 5000, 'recv')).toString(), 'forever');
      await pair.client.sendAll('abc');
      assert.equal((await within(exact, 5000, 'recvExactly')).toString(), 'abc');
    } finally {
      await pair.close();
    }
  });
});

describe('StreamSocket receive argument checks', () => {
  it('rejects sizes that are not whole numbers in range, naming them', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      await assert.rejects(pair.peer.recv(0), /bufsize must be an integer from 1/);
      await assert.rejects(pair.peer.recv(1.5), InvalidArgumentError);
      await assert.rejects(pair.peer.recv('10' as never), /bufsize .* got "10"/);
      await assert.rejects(pair.peer.recvExactly(-1), /n must be an integer from 0/);
      await assert.rejects(pair.peer.recv(10, { timeout: Number.NaN }), /timeout must be/);
    } finally {
      await pair.close();
    }
  });
});
