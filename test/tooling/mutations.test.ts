import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

interface Mutation {
  id: string;
  edits: { file: string; find: string; replace: string }[];
  tests: string[];
}

describe('the mutation list of npm run mutate', () => {
  it('finds each mutated text exactly once in its file, so every mutation still applies', async () => {
    // Compiled tests run from build/test/tooling; the list and the sources are read from the root.
    const { MUTATIONS } = (await import(
      new URL('../../../scripts/mutations.js', import.meta.url).href
    )) as {
      MUTATIONS: Mutation[];
    };
    assert.ok(MUTATIONS.length > 0);
    const stale: string[] = [];
    for (const mutation of MUTATIONS) {
      for (const edit of mutation.edits) {
        const source = readFileSync(new URL(`../../../${edit.file}`, import.meta.url), 'utf8');
        const count = source.split(edit.find).length - 1;
        if (count !== 1)
          stale.push(`${mutation.id}: ${edit.file} has ${count} of ${JSON.stringify(edit.find)}`);
      }
      assert.ok(mutation.tests.length > 0, `${mutation.id} names the tests that catch it`);
    }
    assert.deepEqual(stale, []);
  });
});
