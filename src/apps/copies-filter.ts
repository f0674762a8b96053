/**
 * Two members of a group chat that name each other hold two connections, one made by each, and
 * each says every message on both: the same message arrives twice, on two connections. The
 * chat's wire format (the course's) has no room to tell a member who is on a connection it
 * accepted, so the copies are recognised by what they carry instead: a member says each message
 * once, with one timestamp, on all its connections, so its copies are equal to the byte.
 */

/** How long a message is remembered to recognise its copies (ms): copies come within it. */
export const COPY_WINDOW_MS = 10_000;
/** The most messages remembered at once; the oldest is forgotten first. */
export const COPY_MEMORY = 1024;

/** What is remembered of one message: how many times it came on each connection. */
interface Seen<C> {
  at: number;
  /** Arrivals per connection. */
  counts: Map<C, number>;
  /** Arrivals shown: the most that came on any one connection. */
  shown: number;
}

/**
 * Decides which arrivals of a message to show: on each connection, every arrival beyond those
 * already shown. A message said twice (two equal lines typed in the same millisecond) comes twice
 * on one connection and is shown twice; a message that came on a connection and again on a
 * second one is shown once. What it remembers is bounded by {@link COPY_MEMORY} and
 * {@link COPY_WINDOW_MS}, and costs a short key per message, whatever its length.
 */
export class CopiesFilter<C> {
  readonly #seen = new Map<string, Seen<C>>();

  /** True when `raw`, come on `connection`, is to be shown; false for a copy already shown. */
  take(raw: string, connection: C, now = performance.now()): boolean {
    this.#forgetOld(now);
    const key = keyOf(raw);
    let seen = this.#seen.get(key);
    if (seen === undefined) {
      if (this.#seen.size >= COPY_MEMORY) {
        for (const oldest of this.#seen.keys()) {
          this.#seen.delete(oldest);
          break;
        }
      }
      seen = { at: now, counts: new Map(), shown: 0 };
      this.#seen.set(key, seen);
    }
    const count = (seen.counts.get(connection) ?? 0) + 1;
    seen.counts.set(connection, count);
    if (count <= seen.shown) return false;
    seen.shown = count;
    return true;
  }

  /** Forgets `connection` (it closed): nothing more comes on it. */
  forget(connection: C): void {
    for (const seen of this.#seen.values()) seen.counts.delete(connection);
  }

  #forgetOld(now: number): void {
    for (const [key, seen] of this.#seen) {
      if (now - seen.at < COPY_WINDOW_MS) return;
      this.#seen.delete(key);
    }
  }
}

/**
 * A short key for `raw`: its length, two 32-bit FNV-1a hashes (forwards and backwards) and its
 * first characters (the timestamp and sender). Equal messages have equal keys; different ones
 * share a key only by a chance of about 2^-64.
 */
function keyOf(raw: string): string {
  let forwards = 0x811c9dc5;
  let backwards = 0x811c9dc5;
  for (let i = 0, j = raw.length - 1; i < raw.length; i++, j--) {
    forwards = Math.imul(forwards ^ raw.charCodeAt(i), 0x01000193);
    backwards = Math.imul(backwards ^ raw.charCodeAt(j), 0x01000193);
  }
  return `${raw.length}:${(forwards >>> 0).toString(36)}:${(backwards >>> 0).toString(36)}:${raw.slice(0, 48)}`;
}
