import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Fifo } from '../../src/internal/fifo.js';
import { collectGarbage, heapUsedAfterGc } from '../helpers/resources.js';

describe('Fifo', () => {
  it('hands items out in the order they came, and undefined once empty', () => {
    const queue = new Fifo<string>();
    assert.equal(queue.shift(), undefined);
    assert.equal(queue.peek(), undefined);
    queue.push('a');
    queue.push('b');
    queue.push('c');
    assert.equal(queue.length, 3);
    assert.equal(queue.peek(), 'a');
    assert.deepEqual(
      [queue.at(0), queue.at(1), queue.at(2), queue.at(3), queue.at(-1)],
      ['a', 'b', 'c', undefined, undefined],
    );
    assert.equal(queue.shift(), 'a');
    assert.equal(queue.at(0), 'b');
    assert.equal(queue.shift(), 'b');
    assert.equal(queue.shift(), 'c');
    assert.equal(queue.shift(), undefined);
    assert.equal(queue.length, 0);
  });

  it('replaces the first item in place, and refuses to on an empty queue', () => {
    const queue = new Fifo<string>();
    assert.throws(() => queue.replaceFirst('x'), /empty/);
    assert.equal(queue.length, 0);
    queue.push('abc');
    queue.push('d');
    queue.replaceFirst('bc');
    assert.deepEqual(queue.takeAll(), ['bc', 'd']);
  });

  it('takeAll and clear empty it, and it works on afterwards', () => {
    const queue = new Fifo<number>();
    for (let i = 0; i < 5; i++) queue.push(i);
    queue.shift();
    assert.deepEqual(queue.takeAll(), [1, 2, 3, 4]);
    assert.equal(queue.length, 0);
    queue.push(7);
    queue.push(8);
    queue.clear();
    assert.equal(queue.length, 0);
    assert.equal(queue.shift(), undefined);
    queue.push(9);
    assert.deepEqual(queue.takeAll(), [9]);
  });

  it('behaves as an array used with push and shift, for any sequence of operations', () => {
    const operation = fc.oneof(
      fc.record({ push: fc.integer() }),
      fc.constant({ shift: true as const }),
      fc.constant({ clear: true as const }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 3000 }), (operations) => {
        const queue = new Fifo<number>();
        const model: number[] = [];
        for (const op of operations) {
          if ('push' in op) {
            queue.push(op.push);
            model.push(op.push);
          } else if ('shift' in op) {
            assert.equal(queue.shift(), model.shift());
          } else {
            queue.clear();
            model.length = 0;
          }
          assert.equal(queue.length, model.length);
          assert.equal(queue.peek(), model[0]);
          assert.equal(queue.at(model.length - 1), model[model.length - 1]);
        }
        assert.deepEqual(queue.takeAll(), model);
      }),
      { numRuns: 200 },
    );
  });

  it('holds memory in proportion to what it holds when it never drains', () => {
    // About 100 items held while a million pass through: without compaction the consumed front
    // would keep a million slots (8 MB of pointers); compacted, a few thousand.
    const queue = new Fifo<number>();
    let next = 0;
    for (; next < 100; next++) queue.push(next);
    const before = heapUsedAfterGc();
    let expected = 0;
    for (let round = 0; round < 1_000_000; round++) {
      queue.push(next++);
      assert.equal(queue.shift(), expected++);
    }
    const growth = heapUsedAfterGc() - before;
    assert.equal(queue.length, 100);
    assert.ok(growth < 2 * 1024 * 1024, `heap grew by ${growth} bytes over a million items`);
  });

  it('clears the slot of an item it hands out, so that the item can be collected', async () => {
    const queue = new Fifo<object>();
    const handedOut = ((): WeakRef<object> => {
      const item = {};
      queue.push(item);
      queue.push({});
      queue.shift();
      return new WeakRef(item);
    })();
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise<void>((resolve) => setImmediate(resolve));
    collectGarbage();
    assert.equal(handedOut.deref(), undefined, 'the queue still held the item it handed out');
    assert.equal(queue.length, 1);
  });
});
