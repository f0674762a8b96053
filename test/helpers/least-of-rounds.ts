import assert from 'node:assert/strict';

/**
 * Asserts that an allocation figure stays under `bound`: `measure` is run up to `rounds` times
 * and returns one round's figure (dsock's less raw's), and the least of them is what is held
 * to the bound. Other work on a loaded machine lands in one measurement now and then; what the
 * code itself costs shows in every one, so the rounds stop at the first under the bound.
 * `describe(least, all)` words the failure.
 */
export async function assertLeastUnder(
  rounds: number,
  bound: number,
  measure: (round: number) => Promise<number>,
  describe: (least: number, all: string) => string,
): Promise<void> {
  const figures: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const figure = await measure(round);
    figures.push(figure);
    if (figure < bound) break;
  }
  const least = Math.min(...figures);
  assert.ok(least < bound, describe(Math.round(least), figures.map(Math.round).join(', ')));
}
