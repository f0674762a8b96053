import { lookup } from 'node:dns';
import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import type { SocketError } from '../errors.js';

import { pendingPromise, takeReject, takeResolve } from '../internal/pending-promise.js';
import type { BatchDone, SendDone, UdpTransport } from './transport.js';

/** What a failed send turns into, decided by the socket (which knows if it is closed). */
export type SendFailure = (error: Error, size: number, to: Endpoint | undefined) => SocketError;

/** Marks a send settled because the socket closed before Node sent it. */
export const CLOSED = new Error('socket closed');

/** How long the address a host name resolved to is used before it is looked up again. */
export const NAME_CACHE_MS = 5_000;

/** How many host names' addresses a socket remembers. */
const NAME_CACHE_SIZE = 16;

/** How many settled send records an outbox keeps for later sends. */
const SPARE_SENDS = 32;

/**
 * One send in flight: how to settle its promise, and what its error names. The transport's
 * callback, {@link done}, is made once with the record; once the transport has called it back,
 * the record serves a later send, so that a send makes no closure of its own.
 */
class PendingSend {
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((error: Error) => void) | undefined = undefined;
  size = 0;
  host: string | undefined = undefined;
  port = 0;
  /** Its place among the tracked sends, or -1. */
  place = -1;
  readonly done: SendDone;

  constructor(settle: (send: PendingSend, error: Error | null, bytes?: number) => void) {
    this.done = (error, bytes) => settle(this, error, bytes);
  }
}

/** A send waiting, in call order, behind the lookup of a host name. */
interface Held {
  payload: Uint8Array;
  host: string;
  port: number;
  named: boolean;
  done: SendDone;
}

/**
 * The sending side of a datagram socket: hands datagrams to the transport, counts what went out, and
 * keeps every send in flight so that none is left unsettled when the socket closes.
 *
 * Datagrams leave in the order they were sent. Node looks up a host name for every datagram
 * in its thread pool, where lookups finish in any order, so a name is resolved here instead:
 * once, and its address is remembered for {@link NAME_CACHE_MS}. While a name is being looked
 * up, later sends (to any destination) wait behind it.
 */
export class Outbox {
  readonly #socket: UdpTransport;
  readonly #failure: SendFailure;
  readonly #lookupFamily: 4 | 6;
  /**
   * The sends in flight, kept only where the transport may drop some without a call back
   * (node:dgram), so that close can settle them: each in a place of its own, given back once
   * it settles and taken again by a later send. A table of places rather than a Set, which
   * makes a new hash table each time it empties.
   */
  readonly #pending: (SendDone | undefined)[] = [];
  /** The free places of {@link #pending}, the last freed on top. */
  readonly #free: number[] = [];
  readonly #tracked: boolean;
  readonly #names = new Map<string, { address: string; expires: number }>();
  readonly #held: Held[] = [];
  /** Send records called back, for later sends (see {@link PendingSend}). */
  readonly #spare: PendingSend[] = [];
  #resolving = false;
  sent = 0;
  bytesSent = 0;

  constructor(socket: UdpTransport, family: AddressFamily, failure: SendFailure) {
    this.#socket = socket;
    this.#tracked = !socket.callsBackEverySend;
    this.#lookupFamily = family === 'IPv6' ? 6 : 4;
    this.#failure = failure;
  }

  /**
   * Sends `payload` to `host`:`port`, or to the connected peer when `host` is undefined.
   * `named` says that `host` is a host name rather than an address literal.
   */
  send(
    payload: Uint8Array,
    host: string | undefined,
    port: number,
    named = false,
  ): Promise<number> {
    // Made through the shared executor, and settled through a record kept from send to send:
    // no closure per send.
    const promise = pendingPromise<number>();
    const reject = takeReject();
    const send = this.#spare.pop() ?? new PendingSend(this.#settle);
    send.resolve = takeResolve();
    send.reject = reject;
    send.size = payload.length;
    send.host = host;
    send.port = port;
    send.place = this.#tracked ? this.#track(send.done) : -1;
    this.#route(payload, host, port, named, send.done);
    return promise;
  }

  /** The transport's call back for `send` (or close's, with {@link CLOSED}). */
  readonly #settle = (send: PendingSend, error: Error | null, bytes?: number): void => {
    const resolve = send.resolve;
    const fail = send.reject;
    // Settled already (close came first): a late call back changes nothing.
    if (resolve === undefined || fail === undefined) return;
    const { size, host, port, place } = send;
    send.resolve = undefined;
    send.reject = undefined;
    send.host = undefined;
    send.place = -1;
    if (place >= 0) this.#untrack(place);
    // Called back by the transport, the record is free for a later send; one that close
    // settled may still be called back, and is left alone.
    if (error !== CLOSED && this.#spare.length < SPARE_SENDS) this.#spare.push(send);
    // A datagram that went out counts as sent even if close() came before the callback.
    if (error === null) {
      const sent = bytes ?? size;
      this.sent++;
      this.bytesSent += sent;
      resolve(sent);
    } else {
      fail(this.#failure(error, size, host === undefined ? undefined : { host, port }));
    }
  };

  /** Keeps `done`, a send in flight, for close; returns its place. */
  #track(done: SendDone): number {
    const place = this.#free.pop() ?? this.#pending.length;
    this.#pending[place] = done;
    return place;
  }

  /** Gives the place of a send that settled back. */
  #untrack(place: number): void {
    this.#pending[place] = undefined;
    this.#free.push(place);
    // Once every send has settled, a table grown by a burst is let go.
    if (this.#free.length === this.#pending.length && this.#pending.length > 64) {
      this.#pending.length = 0;
      this.#free.length = 0;
    }
  }

  /**
   * Sends every payload to `host`:`port` (or to the connected peer when `host` is undefined),
   * in order, after the sends made before: through the transport's batch call where it has
   * one (one system call per batch on the native path), else one {@link send} each. Resolves with the number of datagrams
   * once each has left; if one failed, rejects with the first failure once all have settled
   * (the others still went out, and count as sent).
   */
  sendMany(
    payloads: readonly Uint8Array[],
    host: string | undefined,
    port: number,
    named = false,
  ): Promise<number> {
    if (payloads.length === 0) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      let left = payloads.length;
      let open = true;
      let failure: Error | undefined;
      let failedSize = 0;
      const finish = (): void => {
        open = false;
        if (place >= 0) this.#untrack(place);
        if (failure === undefined) resolve(payloads.length);
        else {
          reject(
            this.#failure(failure, failedSize, host === undefined ? undefined : { host, port }),
          );
        }
      };
      // One entry per batch, not per datagram: where the transport drops sends at close
      // without a call back, close settles the whole batch through it.
      const abandoned: SendDone = (error) => {
        if (!open || error === null) return;
        failure ??= error;
        finish();
      };
      const settle: BatchDone = (index, error, bytes) => {
        if (!open) return;
        const payload = payloads[index] as Uint8Array;
        if (error === null) {
          this.sent++;
          this.bytesSent += bytes ?? payload.length;
        } else if (failure === undefined) {
          failure = error;
          failedSize = payload.length;
        }
        if (--left === 0) finish();
      };
      const place = this.#tracked ? this.#track(abandoned) : -1;
      const address = this.#direct(host, named);
      const socket = this.#socket;
      if (address !== null && socket.sendBatch !== undefined) {
        try {
          socket.sendBatch(payloads, port, address, settle);
        } catch (error) {
          const cause = error instanceof Error ? error : new Error(String(error));
          for (let i = 0; i < payloads.length; i++) settle(i, cause);
        }
        return;
      }
      for (let i = 0; i < payloads.length; i++) {
        this.#route(payloads[i] as Uint8Array, host, port, named, (error, bytes) =>
          settle(i, error, bytes),
        );
      }
    });
  }

  /**
   * The address a send to `host` can go to at once (undefined: the connected peer), or null
   * when it must wait: behind a lookup in progress, or for its own.
   */
  #direct(host: string | undefined, named: boolean): string | undefined | null {
    if (host === undefined) return undefined;
    if (this.#held.length > 0) return null;
    if (!named) return host;
    return this.#cached(host) ?? null;
  }

  /** Hands one send to the transport now, or holds it behind a lookup in progress. */
  #route(
    payload: Uint8Array,
    host: string | undefined,
    port: number,
    named: boolean,
    done: SendDone,
  ): void {
    const address = this.#direct(host, named);
    if (address !== null) {
      this.#transmit(payload, address, address === undefined ? 0 : port, done);
      return;
    }
    // Only a send to a host waits (#direct): behind the lookup in progress, or for its own,
    // which #release starts when none is (with one in progress, it does nothing).
    this.#held.push({ payload, host: host as string, port, named, done });
    this.#release();
  }

  /**
   * Settles the sends still in flight once the socket has closed: Node drops, without a
   * callback, a send whose address was still being looked up when the socket closed.
   */
  abandon(): void {
    const held = this.#held.splice(0);
    for (const send of held) send.done(CLOSED);
    for (const done of this.#pending.slice()) done?.(CLOSED);
  }

  #transmit(payload: Uint8Array, host: string | undefined, port: number, done: SendDone): void {
    try {
      this.#socket.send(payload, port, host, done);
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #cached(name: string): string | undefined {
    const entry = this.#names.get(name);
    if (entry === undefined) return undefined;
    if (entry.expires > Date.now()) return entry.address;
    this.#names.delete(name);
    return undefined;
  }

  /** Sends the held datagrams in order, up to the first whose name must be looked up. */
  #release(): void {
    const held = this.#held;
    while (held.length > 0 && !this.#resolving) {
      const next = held[0] as Held;
      const address = next.named ? this.#cached(next.host) : next.host;
      if (address === undefined) {
        this.#lookup(next.host);
        return;
      }
      held.shift();
      this.#transmit(next.payload, address, next.port, next.done);
    }
  }

  #lookup(name: string): void {
    this.#resolving = true;
    lookup(name, { family: this.#lookupFamily }, (error, address) => {
      this.#resolving = false;
      if (error) {
        // Every send waiting for this name gets the error; the others go on in order.
        const held = this.#held;
        const failed: Held[] = [];
        let kept = 0;
        for (const send of held) {
          if (send.named && send.host === name) failed.push(send);
          else held[kept++] = send;
        }
        held.length = kept;
        for (const send of failed) send.done(error);
      } else {
        if (this.#names.size >= NAME_CACHE_SIZE) {
          this.#names.delete(this.#names.keys().next().value as string);
        }
        this.#names.set(name, { address, expires: Date.now() + NAME_CACHE_MS });
      }
      this.#release();
    });
  }
}
