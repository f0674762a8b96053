/**
 * Sealed datagrams (docs/psk.md): every datagram encrypted and authenticated with
 * AES-256-GCM under a key that HKDF derives from the pre-shared key and the sender's random
 * 128-bit id; the nonce is the sender's datagram counter, so it is never used twice under one
 * key. Receivers keep a replay window per sender, in a bounded table of senders.
 */
import { Buffer } from 'node:buffer';
import { hkdfSync, randomFillSync } from 'node:crypto';
import { checkInteger } from '../internal/validate.js';
import {
  defaultGcm,
  GCM_TAG_LENGTH,
  nodeGcm,
  type GcmEngine,
  type GcmOpener,
  type GcmSealer,
} from './gcm.js';
import { parsePsk } from './key.js';
import { ReplayWindow } from './replay-window.js';

/** The first byte of every sealed datagram: the format's version. */
export const SEALED_VERSION = 0x01;
const ID_LENGTH = 16;
const COUNTER_OFFSET = 1 + ID_LENGTH;
/** Version, sender id and counter: authenticated, not encrypted. */
export const SEALED_HEADER = COUNTER_OFFSET + 8;
const TAG_LENGTH = GCM_TAG_LENGTH;
/** The nonce: four zero bytes, then the datagram's 64-bit counter. */
const NONCE_LENGTH = 12;
const NONCE_COUNTER_OFFSET = 4;
/** The bytes a sealed datagram adds to its payload: header and tag, 41. */
export const SEALED_OVERHEAD = SEALED_HEADER + TAG_LENGTH;
const SALT = Buffer.from('dsock psk v1', 'ascii');
/** Counters stay exact JavaScript integers; a sender that reaches this many stops sealing. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
const TWO_32 = 2 ** 32;

/** How many senders a receiver keeps replay windows for unless told otherwise: 1024. */
export const DEFAULT_PSK_MAX_SENDERS = 1024;

/** The options that turn sealing on. */
export interface PskOptions {
  /**
   * A pre-shared key (64 hexadecimal digits, or 32 bytes; see {@link generatePsk}): every
   * datagram is then encrypted and authenticated (docs/psk.md), and datagrams that are not
   * sealed with the same key, tampered with or replayed are dropped and counted. Every peer
   * must use the same key.
   */
  psk?: string | Uint8Array;
  /**
   * How many senders a receiver keeps a replay window for (default 1024); the one heard from
   * least recently is forgotten first.
   */
  pskMaxSenders?: number;
}

/** Counters of sealed datagrams. */
export interface PskStats {
  /** Datagrams sealed and handed on to be sent. */
  sealed: number;
  /** Datagrams that were authenticated and passed on. */
  opened: number;
  /** Datagrams dropped as too short or of an unknown version: not sealed by dsock. */
  malformed: number;
  /**
   * Datagrams dropped because they did not authenticate: changed on the way, forged, or sealed
   * with another key (an outsider's, or a peer with a different --psk).
   */
  forged: number;
  /** Authentic datagrams dropped because they were received before (or are older than the window). */
  replayed: number;
  /** Our own datagrams sent back to us, dropped. */
  reflected: number;
  /** Senders whose replay window was forgotten to make room for another (see `pskMaxSenders`). */
  sendersForgotten: number;
  /** Senders a replay window is kept for now. */
  senders: number;
}

interface Sender {
  opener: GcmOpener;
  window: ReplayWindow;
  /** The sender id as four 32-bit words, to tell at a glance whether a datagram is its. */
  id0: number;
  id1: number;
  id2: number;
  id3: number;
}

/**
 * {@link PskSealer.open} for a datagram the caller owns and reads no more: where the native
 * engine opens it, the payload is decrypted where it lies and returned as a view of
 * `datagram` (whose body is zeroed if it is forged), which saves a buffer and a copy per
 * datagram. For the sockets' own receive paths, which are handed each received datagram
 * alone; not part of the package's interface.
 */
export let openInPlace: (sealer: PskSealer, datagram: Uint8Array) => Buffer | undefined;

/**
 * The sealing and opening of one socket's datagrams. The cipher work is the engine's (gcm.ts:
 * the native addon's where it is loaded, node:crypto otherwise); the rest is kept to writes into
 * buffers made once: the header and the nonces are rewritten in place for every datagram (the
 * engines copy or use the nonce at once), and the sender of a datagram is recognised by
 * comparing numbers before any text is made of its id.
 */
export class PskSealer {
  readonly #psk: Buffer;
  readonly #gcm: GcmEngine;
  readonly #sealer: GcmSealer;
  /** The header of our next datagram: version and our id, then the counter written per seal. */
  readonly #header = Buffer.alloc(SEALED_HEADER);
  readonly #sealNonce = Buffer.alloc(NONCE_LENGTH);
  readonly #openNonce = Buffer.alloc(NONCE_LENGTH);
  /** Our id as words: a datagram that carries it is our own, reflected. */
  readonly #id0: number;
  readonly #id1: number;
  readonly #id2: number;
  readonly #id3: number;
  readonly #maxSenders: number;
  readonly #senders = new Map<string, Sender>();
  /** The sender heard from last: the one most datagrams come from, found without the table. */
  #lastSender: Sender | undefined;
  #counter = 0;
  readonly #stats: Omit<PskStats, 'senders'> = {
    sealed: 0,
    opened: 0,
    malformed: 0,
    forged: 0,
    replayed: 0,
    reflected: 0,
    sendersForgotten: 0,
  };

  /** `gcm` chooses the cipher engine (tests compare the two); both produce the same bytes. */
  constructor(
    psk: string | Uint8Array,
    maxSenders = DEFAULT_PSK_MAX_SENDERS,
    gcm: GcmEngine = defaultGcm,
  ) {
    this.#psk = parsePsk(psk);
    this.#gcm = gcm;
    this.#maxSenders = checkInteger('pskMaxSenders', maxSenders, 1, 2 ** 24);
    const header = this.#header;
    header[0] = SEALED_VERSION;
    randomFillSync(header, 1, ID_LENGTH);
    this.#id0 = header.readUInt32BE(1);
    this.#id1 = header.readUInt32BE(5);
    this.#id2 = header.readUInt32BE(9);
    this.#id3 = header.readUInt32BE(13);
    this.#sealer = gcm.sealer(this.#keyOf(header.subarray(1, COUNTER_OFFSET)));
  }

  get stats(): PskStats {
    return { ...this.#stats, senders: this.#senders.size };
  }

  /** `payload` sealed: header, ciphertext, tag. */
  seal(payload: Uint8Array): Buffer {
    const counter = this.#counter++;
    if (counter >= MAX_COUNTER) throw new Error('pre-shared key: datagram counter exhausted');
    const high = Math.floor(counter / TWO_32);
    const low = counter % TWO_32;
    const header = this.#header;
    header.writeUInt32BE(high, COUNTER_OFFSET);
    header.writeUInt32BE(low, COUNTER_OFFSET + 4);
    const nonce = this.#sealNonce;
    nonce.writeUInt32BE(high, NONCE_COUNTER_OFFSET);
    nonce.writeUInt32BE(low, NONCE_COUNTER_OFFSET + 4);
    const sealed = this.#sealer.seal(nonce, header, payload);
    this.#stats.sealed++;
    return sealed;
  }

  /**
   * The payload of `datagram` if it is authentic and not a replay; undefined (and counted)
   * otherwise. Nothing about a sender is kept until one of its datagrams authenticates.
   * `datagram` is left as it is: the payload is memory of its own.
   */
  open(datagram: Uint8Array): Buffer | undefined {
    return this.#open(datagram, false);
  }

  static {
    openInPlace = (sealer, datagram) => sealer.#open(datagram, true);
  }

  #open(datagram: Uint8Array, inPlace: boolean): Buffer | undefined {
    const stats = this.#stats;
    if (datagram.length < SEALED_OVERHEAD || datagram[0] !== SEALED_VERSION) {
      stats.malformed++;
      return undefined;
    }
    const bytes = Buffer.isBuffer(datagram)
      ? datagram
      : Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
    const high = bytes.readUInt32BE(COUNTER_OFFSET);
    if (high >= 2 ** 21) {
      stats.malformed++; // beyond any counter a sender reaches (MAX_COUNTER)
      return undefined;
    }
    const low = bytes.readUInt32BE(COUNTER_OFFSET + 4);
    const counter = high * TWO_32 + low;
    const id0 = bytes.readUInt32BE(1);
    const id1 = bytes.readUInt32BE(5);
    const id2 = bytes.readUInt32BE(9);
    const id3 = bytes.readUInt32BE(13);
    let sender = this.#lastSender;
    let idText: string | undefined;
    if (
      sender === undefined ||
      sender.id0 !== id0 ||
      sender.id1 !== id1 ||
      sender.id2 !== id2 ||
      sender.id3 !== id3
    ) {
      // Not the last sender (which is never ourselves: our own datagrams are not admitted).
      if (id0 === this.#id0 && id1 === this.#id1 && id2 === this.#id2 && id3 === this.#id3) {
        stats.reflected++;
        return undefined;
      }
      idText = bytes.toString('latin1', 1, COUNTER_OFFSET);
      sender = this.#senders.get(idText);
    }
    if (sender !== undefined && !sender.window.fresh(counter)) {
      stats.replayed++;
      return undefined;
    }
    // A sender's own cipher context is made once it is admitted: made for every datagram of an
    // unknown id, contexts would pile up as fast as a flood of forged ids comes in (their
    // memory is freed only when the collector gets round to them).
    const key = sender === undefined ? this.#keyOf(bytes.subarray(1, COUNTER_OFFSET)) : undefined;
    const opener = sender?.opener ?? nodeGcm.opener(key as Buffer);
    const nonce = this.#openNonce;
    nonce.writeUInt32BE(high, NONCE_COUNTER_OFFSET);
    nonce.writeUInt32BE(low, NONCE_COUNTER_OFFSET + 4);
    const payload = opener.open(nonce, bytes, SEALED_HEADER, inPlace);
    if (payload === undefined) {
      stats.forged++;
      return undefined;
    }
    if (sender === undefined) {
      sender = this.#admit(idText as string, this.#ownOpener(key as Buffer), id0, id1, id2, id3);
    } else if (idText !== undefined) {
      // Most recently heard last: the first in the map is the one to forget.
      this.#senders.delete(idText);
      this.#senders.set(idText, sender);
    }
    this.#lastSender = sender;
    sender.window.accept(counter);
    stats.opened++;
    return payload;
  }

  /**
   * The opener an admitted sender keeps: on the engine chosen (native where loaded), or
   * node:crypto's when the native one cannot be made (out of memory), so that an authentic
   * datagram is never lost to it.
   */
  #ownOpener(key: Buffer): ReturnType<typeof nodeGcm.opener> {
    try {
      return this.#gcm.opener(key);
    } catch {
      return nodeGcm.opener(key);
    }
  }

  #admit(
    idText: string,
    opener: GcmOpener,
    id0: number,
    id1: number,
    id2: number,
    id3: number,
  ): Sender {
    if (this.#senders.size >= this.#maxSenders) {
      for (const [oldest, forgotten] of this.#senders) {
        this.#senders.delete(oldest);
        if (forgotten === this.#lastSender) this.#lastSender = undefined;
        this.#stats.sendersForgotten++;
        break;
      }
    }
    const sender = { opener, window: new ReplayWindow(), id0, id1, id2, id3 };
    this.#senders.set(idText, sender);
    return sender;
  }

  #keyOf(id: Uint8Array): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#psk, SALT, id, 32));
  }
}

/** A sealer for `options`, or undefined when they ask for none. */
export function sealerFor(options: PskOptions): PskSealer | undefined {
  if (options.psk === undefined) {
    if (options.pskMaxSenders !== undefined)
      checkInteger('pskMaxSenders', options.pskMaxSenders, 1, 2 ** 24);
    return undefined;
  }
  return new PskSealer(options.psk, options.pskMaxSenders);
}
