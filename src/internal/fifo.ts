/** Consumed slots tolerated at the front before a compaction is considered. */
const COMPACT_AFTER = 1024;

/**
 * A first-in first-out queue on one array and a head index, for the queues on hot paths
 * (received chunks and datagrams, segments awaiting acknowledgement, sends libuv holds).
 *
 * Why not `Array.prototype.shift()`: it moves every remaining item, so draining a long queue is
 * quadratic. Here a shift clears its slot (so the item can be collected) and moves the head; the
 * array is reset in place once empty, and compacted in place once the consumed front is past
 * {@link COMPACT_AFTER} slots and more than half of it. A queue that never drains under steady
 * load therefore holds memory in proportion to what it holds, at O(1) amortised per shift. No
 * operation allocates except the array's own growth on push and the compaction's splice.
 */
export class Fifo<T> {
  readonly #items: (T | undefined)[] = [];
  #head = 0;

  /** Items held. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item, or undefined when empty. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** The item `offset` places after the first (0 is the first), or undefined past the end. */
  at(offset: number): T | undefined {
    return offset < 0 ? undefined : this.#items[this.#head + offset];
  }

  /**
   * Puts `item` in place of the first item (the rest of a chunk partly read, say). The queue
   * must not be empty.
   */
  replaceFirst(item: T): void {
    if (this.#head >= this.#items.length) throw new Error('Fifo.replaceFirst on an empty queue');
    this.#items[this.#head] = item;
  }

  /** Removes and returns the first item, or undefined when empty. */
  shift(): T | undefined {
    const items = this.#items;
    const head = this.#head;
    if (head >= items.length) return undefined;
    const item = items[head];
    items[head] = undefined;
    this.#head = head + 1;
    if (head + 1 === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (head >= COMPACT_AFTER && (head + 1) * 2 > items.length) {
      items.splice(0, head + 1);
      this.#head = 0;
    }
    return item;
  }

  /** Removes every item. */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
  }

  /** Removes and returns every item, oldest first. */
  takeAll(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.clear();
    return items;
  }
}
