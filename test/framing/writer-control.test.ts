import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameWriter, MessageStream, SocketClosedError, SocketError } from '../../src/index.js';
import type { WriteCallback } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { connectedPair } from '../stream/pair.js';

// The writer's control calls, each shown to do what it says: fail() stops everything pending,
// write() reports the high-water mark, drain() waits below it, and `await using` closes.

describe('FrameWriter.fail', () => {
  it('rejects the pending send, flush and drain, and refuses later writes', async () => {
    // A sink that holds every write, as a stalled connection would.
    const held: WriteCallback[] = [];
    const writer = new FrameWriter(
      { write: (_data: Uint8Array, done: WriteCallback) => held.push(done) },
      { highWaterMark: 16 },
    );
    const sent = writer.send('held by the sink');
    const flushed = writer.flush();
    const drained = writer.drain();
    assert.ok(writer.buffered >= 16, `${writer.buffered} bytes buffered`);
    assert.equal(held.length, 1, 'one write handed to the sink');
    writer.fail(new Error('the link went down'));
    for (const [what, promise] of [
      ['send', sent as Promise<unknown>],
      ['flush', flushed],
      ['drain', drained],
    ] as const) {
      await assert.rejects(within(promise, 5000, what), (error: unknown) => {
        assert.ok(error instanceof SocketError, `${what}: ${String(error)}`);
        assert.match(error.message, /the link went down/);
        return true;
      });
    }
    const failure = writer.failure;
    assert.ok(failure instanceof SocketError);
    assert.throws(
      () => writer.write('more'),
      (error: unknown) => error === failure,
    );
    await assert.rejects(writer.send('more'), (error: unknown) => error === failure);
    // A second failure changes nothing, and the sink's late answer neither.
    writer.fail(new Error('another reason'));
    assert.equal(writer.failure, failure);
    held[0]?.();
    assert.equal(writer.failure, failure);
  });
});

describe('MessageStream backpressure', () => {
  it('write() returns false at the high-water mark; drain() resolves below it', async () => {
    const pair = await connectedPair('127.0.0.1');
    const highWaterMark = 64 * 1024;
    const sender = new MessageStream(pair.client, { highWaterMark });
    const receiver = new MessageStream(pair.peer);
    try {
      const message = Buffer.alloc(1000, 0x61);
      assert.equal(sender.buffered, 0);
      assert.equal(sender.write(message), true, 'the first write is below the mark');
      let written = 1;
      // Written in one tick: nothing has reached the kernel yet.
      while (sender.write(message)) {
        written++;
        assert.ok(written < 1000, 'write() never reported the high-water mark');
      }
      written++;
      assert.ok(sender.buffered >= highWaterMark, `${sender.buffered} bytes buffered`);
      assert.ok(written >= highWaterMark / 1004, `false after ${written} messages`);
      await within(sender.drain(), 10_000, 'drain');
      assert.ok(sender.buffered < highWaterMark, `${sender.buffered} bytes after drain`);
      await within(sender.flush(), 10_000, 'flush');
      assert.equal(sender.buffered, 0);
      for (let i = 0; i < written; i++) {
        const received = await within(receiver.recv(), 5000, `message ${i}`);
        assert.ok(received?.equals(message), `message ${i}`);
      }
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
      await pair.close();
    }
  });
});

describe('MessageStream with await using', () => {
  it('is closed at the end of the block, after its messages were handed over', async () => {
    const pair = await connectedPair('127.0.0.1');
    const receiver = new MessageStream(pair.peer);
    let escaped: MessageStream | undefined;
    try {
      {
        await using stream = new MessageStream(pair.client);
        escaped = stream;
        await stream.send('last words');
      }
      assert.equal((await within(receiver.recv(), 5000, 'the message'))?.toString(), 'last words');
      assert.equal(await within(receiver.recv(), 5000, 'the end of the stream'), null);
      await assert.rejects(escaped.send('too late'), SocketClosedError);
      await assert.rejects(escaped.recv(), SocketClosedError);
    } finally {
      await receiver.close();
      await pair.close();
    }
  });
});
