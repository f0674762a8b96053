import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_WAIT } from '../../src/internal/deadline.js';
import { onPressure, peerOf, readNow, type PressureSink } from '../../src/stream/pressure-sink.js';
import { ReceiveBuffer } from '../../src/stream/receive-buffer.js';
import { within } from '../helpers/bounded.js';

const KiB = 1024;

/** A source that only records what the buffer tells it. */
function recordingSink(): PressureSink & { paused: boolean[] } {
  const paused: boolean[] = [];
  return {
    paused,
    [onPressure]: (value: boolean) => paused.push(value),
    [peerOf]: () => undefined,
    [readNow]: () => 0,
  };
}

describe('ReceiveBuffer.readInto', () => {
  it('reads from the source at once, and asks again after a "not now", not after an empty read', async () => {
    const answers = [-1, 3, 0];
    let asked = 0;
    const sink: PressureSink = {
      [onPressure]: () => undefined,
      [peerOf]: () => undefined,
      [readNow]: (target: Uint8Array) => {
        asked++;
        const n = answers.shift() ?? 0;
        if (n > 0) target.set(Buffer.from('xyz').subarray(0, n));
        return n;
      },
    };
    const buffer = new ReceiveBuffer(1024 * KiB, sink);
    const target = Buffer.alloc(8);
    // "Not now": the read waits for the source's delivery.
    const first = buffer.readInto(target, NO_WAIT, 'read');
    buffer.push(Buffer.from('ab'));
    assert.equal(await first, 2);
    // Asked again: it reads at once.
    assert.equal(await within(buffer.readInto(target, NO_WAIT, 'read'), 1000, 'a read at once'), 3);
    assert.equal(target.subarray(0, 3).toString(), 'xyz');
    // Empty: the read waits, and later reads do not ask until a large delivery.
    const third = buffer.readInto(target, NO_WAIT, 'read');
    buffer.push(Buffer.from('c'));
    assert.equal(await third, 1);
    const fourth = buffer.readInto(target, NO_WAIT, 'read');
    buffer.push(Buffer.from('d'));
    assert.equal(await fourth, 1);
    assert.equal(asked, 3);
    buffer.push(Buffer.alloc(16 * KiB));
    assert.equal(await buffer.readInto(target, NO_WAIT, 'read'), 8);
    answers.push(5);
    const fifth = buffer.readInto(Buffer.alloc(16 * KiB), NO_WAIT, 'read');
    assert.equal(await fifth, 16 * KiB - 8);
    assert.equal(await within(buffer.readInto(target, NO_WAIT, 'read'), 1000, 'a read at once'), 5);
    assert.equal(asked, 4);
  });

  it('fills the memory from every held chunk it can take, in one read', async () => {
    const buffer = new ReceiveBuffer(1024 * KiB, recordingSink());
    buffer.push(Buffer.from('abc'));
    buffer.push(Buffer.from('defg'));
    buffer.push(Buffer.from('hij'));
    const target = Buffer.alloc(8, '.');
    assert.equal(await buffer.readInto(target, NO_WAIT, 'read'), 8);
    assert.equal(target.toString(), 'abcdefgh');
    assert.equal(buffer.length, 2);
    assert.equal(await buffer.readInto(target, NO_WAIT, 'read'), 2);
    assert.equal(target.subarray(0, 2).toString(), 'ij');
  });

  it('fills a waiting read from every chunk held once it is served', async () => {
    const buffer = new ReceiveBuffer(1024 * KiB, recordingSink());
    // An exact read that waits holds the chunks back from the read into memory queued behind
    // it; once it gives up, that read is served with all of them.
    const controller = new AbortController();
    const exact = buffer.read(100, true, { signal: controller.signal }, 'read');
    const target = Buffer.alloc(16, '.');
    const into = buffer.readInto(target, NO_WAIT, 'read');
    for (const chunk of ['a', 'bc', 'def']) buffer.push(Buffer.from(chunk));
    controller.abort();
    await assert.rejects(exact, { name: 'AbortError' });
    assert.equal(await into, 6);
    assert.equal(target.subarray(0, 6).toString(), 'abcdef');
    assert.equal(buffer.length, 0);
  });

  it('restarts a paused source once the read has taken the buffer down to half its limit', async () => {
    const sink = recordingSink();
    const buffer = new ReceiveBuffer(8, sink);
    for (const chunk of ['abcd', 'efgh', 'ij']) buffer.push(Buffer.from(chunk));
    assert.deepEqual(sink.paused, [true]);
    assert.equal(await buffer.readInto(Buffer.alloc(6), NO_WAIT, 'read'), 6);
    assert.deepEqual(sink.paused, [true, false]);
  });
});
