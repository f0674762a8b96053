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

/** One side of a comparison: what its figures are called, and how one round measures it. */
export interface Measured {
  name: string;
  measure: () => Promise<number>;
}

/**
 * {@link assertLeastUnder} for a figure that is the difference of two measurements made in
 * turn each round: `subject`'s less `baseline`'s, each round reported through `diagnostic` as
 * `<what> per <unit>, both ends: <baseline> B, <subject> B`. `failure(least, all)` words the
 * failure.
 */
export async function assertLeastDifferenceUnder(
  diagnostic: (message: string) => void,
  rounds: number,
  bound: number,
  figure: string,
  baseline: Measured,
  subject: Measured,
  failure: (least: number, all: string) => string,
): Promise<void> {
  await assertLeastUnder(
    rounds,
    bound,
    async (round) => {
      const base = await baseline.measure();
      const measured = await subject.measure();
      diagnostic(
        `round ${round + 1}: ${figure}, both ends: ${baseline.name} ${Math.round(base)} B, ` +
          `${subject.name} ${Math.round(measured)} B`,
      );
      return measured - base;
    },
    failure,
  );
}
