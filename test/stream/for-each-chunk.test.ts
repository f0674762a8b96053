import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import {
  ConnectionResetError,
  InvalidArgumentError,
  SocketClosedError,
  StreamSocket,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { connectedPair } from './pair.js';
import { sendPattern, sendUntilStalled } from './pattern-transfer.js';

const KiB = 1024;

/** A promise and the function that settles it, for a handler to wait on. */
function gate(): { opened: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('StreamSocket.forEachChunk', () => {
  for (const when of ['before', 'after'] as const) {
    it(`hands every chunk over in order and resolves at end of stream (called ${when} data came)`, async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        const total = 2 * 1024 * KiB;
        if (when === 'after') {
          await pair.client.sendAll('first');
          // The first bytes are held before the handler comes.
          assert.equal(
            (await within(pair.peer.recvExactly(1), 5000, 'first byte')).toString(),
            'f',
          );
        }
        const pieces: Buffer[] = [];
        const served = pair.peer.forEachChunk((chunk) => {
          pieces.push(chunk);
        });
        if (when === 'before') await pair.client.sendAll('first');
        await sendPattern(pair.client, total, 64 * KiB);
        await pair.client.shutdown('write');
        assert.equal(await within(served, 10_000, 'the end of the stream'), undefined);
        const received = Buffer.concat(pieces);
        const head = when === 'after' ? 'irst' : 'first';
        assert.equal(received.subarray(0, head.length).toString(), head);
        assert.ok(received.subarray(head.length).equals(pattern(0, total)), 'bytes differ');
        // Reads after it see the end too.
        assert.equal((await within(pair.peer.recv(10), 5000, 'end of stream')).length, 0);
      } finally {
        await pair.close();
      }
    });
  }

  it('waits for the promise a handler returns before the next chunk, and holds no more than its limit meanwhile', async () => {
    const pair = await connectedPair('127.0.0.1', { server: { receiveBufferLimit: 64 * KiB } });
    try {
      const total = 64 * 1024 * KiB;
      const blocked = gate();
      let running = 0;
      let overlapped = false;
      let received = 0;
      let first = true;
      const served = pair.peer.forEachChunk(async (chunk) => {
        running++;
        overlapped ||= running > 1;
        assert.ok(chunk.equals(pattern(received, chunk.length)), `bytes differ at ${received}`);
        received += chunk.length;
        // The first chunk's promise stays pending until the sender has stalled.
        if (first) {
          first = false;
          await blocked.opened;
        }
        running--;
      });
      const { sending, held } = await sendUntilStalled(pair.client, total, 64 * KiB);
      assert.ok(held < total / 2, `the sender got ${held} bytes out to a handler still busy`);
      blocked.open();
      await within(sending, 30_000, 'the rest of the sending');
      await pair.client.shutdown('write');
      await within(served, 30_000, 'the end of the stream');
      assert.equal(received, total);
      assert.equal(overlapped, false, 'a chunk was handed over while the previous one was busy');
    } finally {
      await pair.close();
    }
  });

  for (const how of ['throws', 'rejects'] as const) {
    it(`rejects with what a handler ${how === 'throws' ? 'throws' : 'rejects with'}, hands nothing more to it, and leaves the socket open`, async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        const failure = new Error('the handler failed');
        let calls = 0;
        const served = pair.peer.forEachChunk((chunk) => {
          calls++;
          assert.equal(chunk.toString(), 'one');
          if (how === 'throws') throw failure;
          return Promise.reject(failure);
        });
        await pair.client.sendAll('one');
        await assert.rejects(within(served, 5000, 'the failure'), (error) => error === failure);
        await pair.client.sendAll('two');
        assert.equal((await within(pair.peer.recvExactly(3), 5000, 'recv')).toString(), 'two');
        assert.equal(calls, 1);
        await pair.peer.sendAll('still open');
        assert.equal(
          (await within(pair.client.recvExactly(10), 5000, 'reply')).toString(),
          'still open',
        );
      } finally {
        await pair.close();
      }
    });
  }

  it('lets reads made while it runs wait until it has ended', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      const served = pair.peer.forEachChunk((chunk) => {
        if (chunk.toString() === 'stop') throw new Error('stop');
      });
      const read = pair.peer.recv(100);
      await pair.client.sendAll('stop');
      await assert.rejects(within(served, 5000, 'the end of forEachChunk'), /stop/);
      await pair.client.sendAll('next');
      assert.equal((await within(read, 5000, 'the waiting read')).toString(), 'next');
    } finally {
      await pair.close();
    }
  });

  it('resolves quietly when the socket is closed locally, and at once on a closed socket', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      const served = pair.peer.forEachChunk(() => undefined);
      await pair.peer.close();
      assert.equal(await within(served, 5000, 'the end on close'), undefined);
      const late = pair.peer.forEachChunk(() => assert.fail('a closed socket handed a chunk'));
      assert.equal(await within(late, 5000, 'the end on a closed socket'), undefined);
    } finally {
      await pair.close();
    }
  });

  for (const how of ['throws', 'rejects'] as const) {
    it(`rejects with what a handler that closed the socket then ${how === 'throws' ? 'throws' : 'rejects with'}`, async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        const failure = new Error('a bad chunk');
        const served = pair.peer.forEachChunk((): Promise<void> => {
          void pair.peer.close();
          if (how === 'throws') throw failure;
          // An async handler that closes before it throws: its promise must not go unhandled.
          return Promise.reject(failure);
        });
        await pair.client.sendAll('bad');
        await assert.rejects(within(served, 5000, 'the failure'), (error) => error === failure);
      } finally {
        await pair.close();
      }
    });
  }

  it('settles the reads waiting behind a busy handler when the socket is closed', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      const blocked = gate();
      const called = gate();
      const served = pair.peer.forEachChunk(() => {
        called.open();
        return blocked.opened;
      });
      await pair.client.sendAll('one');
      await within(called.opened, 5000, 'the handler');
      // The handler still runs when the socket closes, but no byte can come to a read any more.
      const read = assert.rejects(
        within(pair.peer.recv(10), 5000, 'recv after close'),
        SocketClosedError,
      );
      const readInto = assert.rejects(
        within(pair.peer.recvInto(Buffer.alloc(10)), 5000, 'recvInto after close'),
        SocketClosedError,
      );
      await within(pair.peer.close(), 5000, 'close');
      await Promise.all([read, readInto]);
      blocked.open();
      assert.equal(await within(served, 5000, 'the end on close'), undefined);
    } finally {
      await pair.close();
    }
  });

  it('never calls a handler again while it runs, even when it calls forEachChunk itself', async () => {
    const limit = 256 * KiB;
    const pair = await connectedPair('127.0.0.1', { server: { receiveBufferLimit: limit } });
    try {
      // Several chunks held before the handler comes: the sender stalls once the limit is held.
      const total = 4 * 1024 * KiB;
      const { sending } = await sendUntilStalled(pair.client, total, 16 * KiB);
      const stop = new Error('on to the next handler');
      const pieces: Buffer[] = [];
      let depth = 0;
      let deepest = 0;
      let next: Promise<void> | undefined;
      const served = pair.peer.forEachChunk((chunk) => {
        depth++;
        deepest = Math.max(deepest, depth);
        pieces.push(chunk);
        next ??= pair.peer.forEachChunk((rest) => void pieces.push(rest));
        depth--;
        throw stop;
      });
      await assert.rejects(within(served, 5000, 'the first handler'), (error) => error === stop);
      assert.equal(deepest, 1, 'the handler was called again before it returned');
      await within(sending, 30_000, 'the rest of the sending');
      await pair.client.shutdown('write');
      await within(next as Promise<void>, 30_000, 'the second handler');
      assert.ok(Buffer.concat(pieces).equals(pattern(0, total)), 'bytes differ');
    } finally {
      await pair.close();
    }
  });

  it('takes only the first call back of a thenable a handler returns', async () => {
    const pair = await connectedPair('127.0.0.1', { server: { receiveBufferLimit: 256 * KiB } });
    try {
      const total = 4 * 1024 * KiB;
      // Several chunks held before the handler comes, as the sender stalls.
      const { sending } = await sendUntilStalled(pair.client, total, 16 * KiB);
      let received = 0;
      let running = 0;
      let overlapped = false;
      let release: (() => void) | undefined;
      let plain = false;
      const served = pair.peer.forEachChunk((chunk) => {
        running++;
        overlapped ||= running > 1;
        assert.ok(chunk.equals(pattern(received, chunk.length)), `bytes differ at ${received}`);
        received += chunk.length;
        if (plain) return void running--;
        // Not a promise: it fulfils twice, which must not let a second chunk in.
        const twice = (fulfil: () => void): void => {
          release = () => (running--, fulfil(), fulfil());
        };
        return { then: twice } as unknown as PromiseLike<void>;
      });
      for (let i = 0; i < 3; i++) release?.();
      plain = true;
      release?.();
      await within(sending, 30_000, 'the rest of the sending');
      await pair.client.shutdown('write');
      await within(served, 30_000, 'the end of the stream');
      assert.equal(received, total);
      assert.equal(overlapped, false, 'a chunk was handed over while the previous one was busy');
    } finally {
      await pair.close();
    }
  });

  it('rejects with ConnectionResetError when the peer resets the connection', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = await within(StreamSocket.connect({ host: '127.0.0.1', port }), 5000, 'connect');
    const [peer] = await within(accepted, 5000, 'accept');
    try {
      const served = client.forEachChunk(() => undefined);
      peer.resetAndDestroy();
      await assert.rejects(within(served, 5000, 'the reset'), ConnectionResetError);
    } finally {
      peer.destroy();
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects a handler that is not a function with InvalidArgumentError', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      const notAFunction = 'handler' as unknown as () => void;
      await assert.rejects(pair.peer.forEachChunk(notAFunction), InvalidArgumentError);
      // Nothing was taken: the data still goes to a read.
      await pair.client.sendAll('data');
      assert.equal((await within(pair.peer.recvExactly(4), 5000, 'recv')).toString(), 'data');
    } finally {
      await pair.close();
    }
  });
});
