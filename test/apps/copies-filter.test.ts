import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COPY_MEMORY, COPY_WINDOW_MS, CopiesFilter } from '../../src/apps/copies-filter.js';

const LINE = '[2026-12-07T14:07:46.834000] A:\n\thello';

describe('CopiesFilter: the copies of a message that came on two connections', () => {
  it('shows a message once per arrival on one connection, and its copies on another not again', () => {
    const filter = new CopiesFilter<string>();
    // Said twice in one millisecond: two equal messages, each on both connections.
    const shown = ['one', 'two', 'one', 'two'].map((connection) =>
      filter.take(LINE, connection, 0),
    );
    assert.deepEqual(shown, [true, false, true, false]);
    // In any order: the copies may come first on either connection.
    const other = `${LINE}!`;
    const order = ['two', 'two', 'one', 'one'].map((connection) =>
      filter.take(other, connection, 1),
    );
    assert.deepEqual(order, [true, true, false, false]);
  });

  it('tells apart messages that differ anywhere, however long', () => {
    const filter = new CopiesFilter<string>();
    const long = 'x'.repeat(60_000);
    assert.equal(filter.take(`${LINE}${long}a`, 'one', 0), true);
    assert.equal(filter.take(`${LINE}${long}b`, 'two', 0), true);
    assert.equal(filter.take(`${LINE}a${long}`, 'two', 0), true);
    assert.equal(filter.take(`${LINE}${long}a`, 'two', 0), false);
  });

  it('forgets a message after its window, and the oldest once it holds its most', () => {
    const filter = new CopiesFilter<string>();
    assert.equal(filter.take(LINE, 'one', 0), true);
    assert.equal(filter.take(LINE, 'two', COPY_WINDOW_MS - 1), false);
    assert.equal(filter.take(LINE, 'two', COPY_WINDOW_MS + 1), true);

    const bounded = new CopiesFilter<string>();
    for (let i = 0; i <= COPY_MEMORY; i++) bounded.take(`${LINE} ${i}`, 'one', 0);
    // The first was forgotten to make room; the last is still known.
    assert.equal(bounded.take(`${LINE} 0`, 'two', 0), true);
    assert.equal(bounded.take(`${LINE} ${COPY_MEMORY}`, 'two', 0), false);
  });
});
