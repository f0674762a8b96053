import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatSequenceSummary, SequenceTracker } from '../../src/apps/sequence-tracker.js';

describe('SequenceTracker', () => {
  it('counts a clean run', () => {
    const t = new SequenceTracker();
    for (let i = 0; i < 5000; i++) t.record(i);
    assert.deepEqual(t.summary(5000), {
      received: 5000,
      distinct: 5000,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
    });
  });

  it('counts losses, duplicates and reordering', () => {
    const t = new SequenceTracker();
    for (const n of [0, 1, 3, 2, 3, 5, 5, 9]) t.record(n);
    // 0..9 spans 10 numbers; 0,1,2,3,5,9 arrived: 4,6,7,8 are lost.
    assert.deepEqual(t.summary(), {
      received: 8,
      distinct: 6,
      lost: 4,
      duplicated: 2,
      outOfOrder: 1,
    });
    assert.equal(t.summary(12).lost, 6);
  });

  it('does not track numbers beyond its bound, but counts them received', () => {
    const t = new SequenceTracker(100);
    assert.equal(t.record(101), false);
    assert.equal(t.record(-1), false);
    assert.equal(t.record(100), true);
    assert.equal(t.summary().received, 3);
    assert.equal(t.summary().distinct, 1);
    assert.equal(t.untracked, 2);
  });

  it('prints the summary keys the CLI promises', () => {
    const text = formatSequenceSummary(new SequenceTracker().summary(3));
    assert.equal(text, 'received: 0\ndistinct: 0\nlost: 3\nduplicated: 0\nout of order: 0\n');
  });
});
