import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../helpers/bounded.js';
import { encodeFrame, FrameTooLargeError } from '../../src/index.js';
import { RawPeer, withPair, write } from './raw-peer.js';

function frames(...messages: string[]): Buffer {
  return Buffer.concat(messages.map((m) => encodeFrame(m)));
}

describe('Iterating a MessageStream', () => {
  const peer = new RawPeer();
  before(() => peer.listen('127.0.0.1'));
  after(() => peer.close());

  it('leaves the stream open after a break: later receives and loops go on in order', async () => {
    await withPair(peer, {}, async (stream, socket) => {
      await write(socket, frames('a', 'b', 'c', 'd'));
      const seen: string[] = [];
      for await (const message of stream) {
        seen.push(message.toString());
        if (seen.length === 2) break;
      }
      assert.deepEqual(seen, ['a', 'b']);
      assert.equal((await within(stream.recv(), 5_000, 'receive'))?.toString(), 'c');
      socket.end(frames('e'));
      const rest: string[] = [];
      const loop = async (): Promise<void> => {
        for await (const message of stream) rest.push(message.toString());
      };
      await within(loop(), 5_000, 'the second loop');
      assert.deepEqual(rest, ['d', 'e']);
    });
  });

  it('hands out a result object per message, each keeping its own message', async () => {
    await withPair(peer, {}, async (stream, socket) => {
      await write(socket, frames('one', 'two'));
      const iterator = stream[Symbol.asyncIterator]();
      const first = await within(iterator.next(), 5_000, 'first');
      const second = await within(iterator.next(), 5_000, 'second');
      assert.notEqual(first, second);
      assert.deepEqual(
        [first.value?.toString(), first.done, second.value?.toString(), second.done],
        ['one', false, 'two', false],
      );
    });
  });

  it('waits for a message that is not there yet', async () => {
    await withPair(peer, {}, async (stream, socket) => {
      const iterator = stream[Symbol.asyncIterator]();
      const pending = iterator.next();
      await write(socket, frames('late'));
      const result = await within(pending, 5_000, 'the late message');
      assert.equal(result.value?.toString(), 'late');
    });
  });

  it('ends after return() or throw(), as a generator does, without closing the stream', async () => {
    await withPair(peer, {}, async (stream, socket) => {
      await write(socket, frames('kept', 'also kept'));
      const returned = stream[Symbol.asyncIterator]();
      assert.deepEqual(await returned.return(), { value: undefined, done: true });
      assert.deepEqual(await returned.next(), { value: undefined, done: true });
      const thrown = stream[Symbol.asyncIterator]();
      const reason = new Error('stop here');
      await assert.rejects(thrown.throw(reason), (error) => error === reason);
      assert.deepEqual(await thrown.next(), { value: undefined, done: true });
      assert.equal((await within(stream.recv(), 5_000, 'receive'))?.toString(), 'kept');
    });
  });

  it('delivers the messages before a bad frame, then throws its error once and ends', async () => {
    await withPair(peer, { maxMessageSize: 16 }, async (stream, socket) => {
      const tooLarge = Buffer.alloc(4);
      tooLarge.writeUInt32BE(1000);
      await write(socket, Buffer.concat([frames('fine', 'also fine'), tooLarge]));
      const iterator = stream[Symbol.asyncIterator]();
      const seen: string[] = [];
      const failure = await within(
        (async () => {
          try {
            for (;;) {
              const result = await iterator.next();
              if (result.done === true) return undefined;
              seen.push(result.value.toString());
            }
          } catch (error) {
            return error;
          }
        })(),
        5_000,
        'iteration up to the bad frame',
      );
      assert.deepEqual(seen, ['fine', 'also fine']);
      assert.ok(failure instanceof FrameTooLargeError, String(failure));
      assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    });
  });
});
