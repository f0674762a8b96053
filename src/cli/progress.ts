/** How often a progress line is redrawn, in ms: ten times a second is smooth and cheap. */
const REFRESH_MS = 100;
/** The rate shown is taken over the last second or so: this many redraws. */
const RATE_WINDOW = 10;

/** What a progress line is drawn from: a count, and an optional tail (e.g. retransmissions). */
export interface ProgressSample {
  /** What has been counted so far (sent, acknowledged, received). */
  count: number;
  /** Further text after the count and rate, e.g. "lost 3". */
  detail?: string;
}

/** Options of {@link ProgressLine}. */
export interface ProgressOptions {
  /** Where the line goes (default stderr). Nothing is drawn unless it is a terminal. */
  stream?: NodeJS.WriteStream;
  /** What is counted, e.g. "sent": the line reads "# sent 1200 (4800/s)" (the rate over the last second). */
  noun: string;
}

/** `n` per second with at most three significant digits, e.g. 4810, 52.3, 0.41. */
function perSecond(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0';
  return n >= 100 ? String(Math.round(n)) : n.toPrecision(3).replace(/\.?0+$/, '');
}

/**
 * One status line on a terminal, redrawn in place at most ten times a second from `sample()`
 * while a long run goes on: "# sent 1200 (4800/s)" (the rate over the last second). Nothing at all is written when the stream is
 * not a terminal (a pipe or a file gets only the final summary). `finish()` erases the line, so
 * that what follows starts on a clean line.
 */
export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #noun: string;
  readonly #sample: () => ProgressSample | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The last samples (time, count), oldest first, for the rate. */
  readonly #history: { at: number; count: number }[] = [];
  #drawn = false;

  constructor(sample: () => ProgressSample | undefined, options: ProgressOptions) {
    this.#stream = options.stream ?? process.stderr;
    this.#noun = options.noun;
    this.#sample = sample;
  }

  /** Starts redrawing (only on a terminal). */
  start(): void {
    if (this.#stream.isTTY !== true || this.#timer !== undefined) return;
    this.#history.splice(0, Infinity, { at: performance.now(), count: 0 });
    // Unreferenced: the line never keeps the process alive.
    this.#timer = setInterval(() => this.#draw(), REFRESH_MS).unref();
  }

  /** Stops and erases the line. Idempotent. */
  finish(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }

  #draw(): void {
    const sample = this.#sample();
    const now = performance.now();
    if (sample === undefined) {
      // Nothing to count yet (a sink before the first message): the rate starts from now.
      this.#history.splice(0, Infinity, { at: now, count: 0 });
      return;
    }
    this.#history.push({ at: now, count: sample.count });
    if (this.#history.length > RATE_WINDOW + 1) this.#history.shift();
    const oldest = this.#history[0] as { at: number; count: number };
    const rate =
      now > oldest.at
        ? ` (${perSecond(((sample.count - oldest.count) * 1000) / (now - oldest.at))}/s)`
        : '';
    const detail = sample.detail === undefined ? '' : `, ${sample.detail}`;
    // Carriage return, then erase to the end of the line: the line is rewritten in place.
    this.#stream.write(`\r\x1b[K# ${this.#noun} ${sample.count}${rate}${detail}`);
    this.#drawn = true;
  }
}
