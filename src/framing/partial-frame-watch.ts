/** What a {@link PartialFrameWatch} asks of the stream it watches. */
export interface WatchedStream {
  /** True while part of a frame (its prefix or body) is held. */
  partial(): boolean;
  /** How many messages the stream has handed out so far. */
  messagesTaken(): number;
  /** True while a receiver waits and the stream is reading for it. */
  reading(): boolean;
  /** The frame stayed incomplete for `timeout` ms while the stream read: fail the stream. */
  expire(timeout: number): void;
}

/**
 * Fails a stream whose peer starts a frame and does not finish it within `timeout` ms while
 * the application waits for it (a peer that sends the prefix of a large message and then
 * trickles or stops would otherwise hold the frame's buffer, and the receive, for ever).
 *
 * One timer per stream, armed when a chunk leaves a frame incomplete and none runs, never
 * re-armed per chunk: when it fires, the frame it saw is still incomplete if no message was
 * handed out since. A frame that completed and a newer one that is incomplete re-arm it, so a
 * frame gets between `timeout` and twice that. Time the application spends not receiving does
 * not count against the peer.
 */
export class PartialFrameWatch {
  readonly #timeout: number;
  readonly #stream: WatchedStream;
  #timer: NodeJS.Timeout | undefined;
  #seen = 0;

  constructor(timeout: number, stream: WatchedStream) {
    this.#timeout = timeout;
    this.#stream = stream;
  }

  /** After a chunk was decoded: starts watching if it left a frame incomplete. */
  afterChunk(): void {
    if (this.#timer === undefined && this.#timeout > 0 && this.#stream.partial()) this.#arm();
  }

  /** Stops watching for good (the stream ended). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#seen = this.#stream.messagesTaken();
    this.#timer = setTimeout(this.#fire, this.#timeout);
    // The connection keeps the process alive, not this timer.
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const stream = this.#stream;
    if (!stream.partial()) return;
    if (stream.messagesTaken() === this.#seen && stream.reading()) {
      stream.expire(this.#timeout);
      return;
    }
    this.#arm();
  };
}
