import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FaultPlan } from '../../src/chaos/fault-plan.js';

function tally(plan: FaultPlan, n: number) {
  const counts = { dropped: 0, duplicated: 0, reordered: 0, copies: 0, maxDelay: 0 };
  for (let i = 0; i < n; i++) {
    const d = plan.decide();
    if (d.dropped) counts.dropped++;
    if (d.duplicated) counts.duplicated++;
    if (d.reordered) counts.reordered++;
    counts.copies += d.deliveries.length;
    counts.maxDelay = Math.max(counts.maxDelay, ...d.deliveries);
  }
  return counts;
}

describe('FaultPlan', () => {
  it('applies each fault at about its probability', () => {
    const n = 20_000;
    const counts = tally(new FaultPlan({ loss: 0.2, dup: 0.1, reorder: 0.1, seed: 7 }), n);
    assert.ok(Math.abs(counts.dropped / n - 0.2) < 0.02, `loss ${counts.dropped / n}`);
    const kept = n - counts.dropped;
    assert.ok(Math.abs(counts.duplicated / kept - 0.1) < 0.02, `dup ${counts.duplicated / kept}`);
    assert.ok(Math.abs(counts.reordered / kept - 0.1) < 0.02, `reorder ${counts.reordered / kept}`);
    assert.equal(counts.copies, kept + counts.duplicated);
  });

  it('repeats exactly with the same seed, and differs with another', () => {
    const run = (seed: number) => {
      const plan = new FaultPlan({ loss: 0.3, dup: 0.2, reorder: 0.2, jitter: 3, seed });
      return Array.from({ length: 200 }, () => plan.decide());
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('keeps delays within delay + jitter, plus the hold-back of reordered datagrams', () => {
    const plain = tally(new FaultPlan({ delay: 2, jitter: 2, seed: 1 }), 5000);
    assert.ok(plain.maxDelay <= 4 && plain.maxDelay >= 2);
    const held = tally(new FaultPlan({ delay: 2, jitter: 2, reorder: 1, seed: 1 }, 5), 1000);
    assert.ok(held.maxDelay > 4 && held.maxDelay <= 14);
  });

  it('passes everything through untouched without faults', () => {
    const counts = tally(new FaultPlan({ seed: 3 }), 1000);
    assert.deepEqual(counts, {
      dropped: 0,
      duplicated: 0,
      reordered: 0,
      copies: 1000,
      maxDelay: 0,
    });
  });

  it('refuses settings out of range, naming them', () => {
    assert.throws(
      () => new FaultPlan({ loss: 1.5 }),
      /loss must be a probability from 0 to 1, got 1.5/,
    );
    assert.throws(() => new FaultPlan({ dup: -0.1 }), /dup must be a probability/);
    assert.throws(
      () => new FaultPlan({ delay: -1 }),
      /delay must be a number of milliseconds from 0 up, got -1/,
    );
    assert.throws(
      () => new FaultPlan({ jitter: Number.NaN }),
      /jitter must be a number of milliseconds/,
    );
  });
});
