/** Small statistics over plain number arrays; none of them modifies its input. */

/** The values in ascending order, as a new array. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * The nearest-rank percentile `p` (0..100) of `values`: the smallest value with at least p% of
 * the values at or below it. NaN for an empty array.
 */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(sorted(values), p);
}

/** {@link percentile} of values already in ascending order. */
export function percentileOfSorted(ordered: readonly number[], p: number): number {
  if (ordered.length === 0) return NaN;
  const rank = Math.min(ordered.length, Math.max(1, Math.ceil((p / 100) * ordered.length)));
  return ordered[rank - 1] as number;
}

/** The median: the middle value, or the mean of the two middle values. NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const ordered = sorted(values);
  const middle = ordered.length >> 1;
  if (ordered.length % 2 === 1) return ordered[middle] as number;
  return ((ordered[middle - 1] as number) + (ordered[middle] as number)) / 2;
}

/** Median, extremes and count of a series of measurements. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Summarises `values`; every field but `n` is NaN for an empty array. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const ordered = sorted(values);
  return {
    median: median(ordered),
    min: ordered[0] as number,
    max: ordered[ordered.length - 1] as number,
    n: ordered.length,
  };
}
