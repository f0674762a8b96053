/** The sender's clock in microseconds mod 2^32, as DATA and FIN carry it. */
export function stampOf(now: number): number {
  return (now * 1000) >>> 0;
}

/** Milliseconds since `stamp` was taken, at `now`. */
export function elapsedSince(stamp: number, now: number): number {
  return ((stampOf(now) - stamp) >>> 0) / 1000;
}
