/**
 * The replay window of one sender: the highest counter accepted and a sliding bitmap of the
 * {@link REPLAY_WINDOW} counters below it, as IPsec and WireGuard keep. A counter above the
 * highest moves the window; one inside it is accepted once; one below it is refused, as a
 * replay cannot be told from a datagram delayed that long.
 */

/** Counters a datagram may lag behind the highest one seen and still be accepted: 1024. */
export const REPLAY_WINDOW = 1024;

const WORDS = REPLAY_WINDOW / 32;

export class ReplayWindow {
  /** The highest counter accepted, -1 before the first. */
  #top = -1;
  readonly #bits = new Uint32Array(WORDS);

  /** True when `counter` has not been accepted yet and is not too old. */
  fresh(counter: number): boolean {
    if (counter > this.#top) return true;
    if (this.#top - counter >= REPLAY_WINDOW) return false;
    const slot = counter % REPLAY_WINDOW;
    return ((this.#bits[slot >>> 5] as number) & (1 << (slot & 31))) === 0;
  }

  /** Records `counter` as accepted (after its datagram was authenticated and {@link fresh}). */
  accept(counter: number): void {
    if (counter > this.#top) {
      if (counter - this.#top >= REPLAY_WINDOW) this.#bits.fill(0);
      else for (let c = this.#top + 1; c < counter; c++) this.#clear(c % REPLAY_WINDOW);
      this.#top = counter;
    }
    const slot = counter % REPLAY_WINDOW;
    this.#bits[slot >>> 5] = (this.#bits[slot >>> 5] as number) | (1 << (slot & 31));
  }

  #clear(slot: number): void {
    this.#bits[slot >>> 5] = (this.#bits[slot >>> 5] as number) & ~(1 << (slot & 31));
  }
}
