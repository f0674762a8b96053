/**
 * The datagrams a chaos relay holds for their delay to pass, capped in count and bytes so that
 * memory stays bounded whatever clients send.
 */
export class DelayedDeliveries<T> {
  readonly #pending = new Set<Delivery<T>>();
  readonly #maxDelayed: number;
  readonly #maxDelayedBytes: number;
  readonly #deliver: (data: Buffer, to: T) => void;
  /** Payload bytes of {@link #pending}. */
  #pendingBytes = 0;

  /**
   * @param maxDelayed datagrams held at most
   * @param maxDelayedBytes payload bytes held at most
   * @param deliver sends a datagram once its delay has passed
   */
  constructor(maxDelayed: number, maxDelayedBytes: number, deliver: (data: Buffer, to: T) => void) {
    this.#maxDelayed = maxDelayed;
    this.#maxDelayedBytes = maxDelayedBytes;
    this.#deliver = deliver;
  }

  /** Datagrams held now. */
  get size(): number {
    return this.#pending.size;
  }

  /** Payload bytes held now. */
  get bytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Holds `data` for `delay` ms, then delivers it to `to`; false (nothing held) when the caps
   * leave no room for it.
   */
  hold(data: Buffer, to: T, delay: number): boolean {
    if (
      this.#pending.size >= this.#maxDelayed ||
      this.#pendingBytes + data.length > this.#maxDelayedBytes
    ) {
      return false;
    }
    const delivery: Delivery<T> = { timer: undefined, data, to };
    delivery.timer = setTimeout(this.#deliverLater, delay, delivery);
    this.#pending.add(delivery);
    this.#pendingBytes += data.length;
    return true;
  }

  /** Cancels every delivery still waiting for its delay. */
  clear(): void {
    for (const delivery of this.#pending) clearTimeout(delivery.timer);
    this.#pending.clear();
    this.#pendingBytes = 0;
  }

  readonly #deliverLater = (delivery: Delivery<T>): void => {
    if (!this.#pending.delete(delivery)) return;
    this.#pendingBytes -= delivery.data.length;
    this.#deliver(delivery.data, delivery.to);
  };
}

/** A datagram waiting for its delay to pass. */
interface Delivery<T> {
  timer: NodeJS.Timeout | undefined;
  readonly data: Buffer;
  readonly to: T;
}
