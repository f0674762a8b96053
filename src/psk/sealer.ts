/**
 * Sealed datagrams (docs/psk.md): every datagram encrypted and authenticated with
 * AES-256-GCM under a key that HKDF derives from the pre-shared key and the sender's random
 * 128-bit id; the nonce is the sender's datagram counter, so it is never used twice under one
 * key. Receivers keep a replay window per sender, in a bounded table of senders.
 */
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { checkInteger } from '../internal/validate.js';
import { parsePsk } from './key.js';
import { ReplayWindow } from './replay-window.js';

/** The first byte of every sealed datagram: the format's version. */
export const SEALED_VERSION = 0x01;
const ID_LENGTH = 16;
const COUNTER_OFFSET = 1 + ID_LENGTH;
/** Version, sender id and counter: authenticated, not encrypted. */
export const SEALED_HEADER = COUNTER_OFFSET + 8;
const TAG_LENGTH = 16;
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
  key: Buffer;
  window: ReplayWindow;
}

/** The sealing and opening of one socket's datagrams. */
export class PskSealer {
  readonly #psk: Buffer;
  readonly #id: Buffer = randomBytes(ID_LENGTH);
  readonly #idText: string;
  readonly #key: Buffer;
  readonly #maxSenders: number;
  readonly #senders = new Map<string, Sender>();
  #lastSender = '';
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

  constructor(psk: string | Uint8Array, maxSenders = DEFAULT_PSK_MAX_SENDERS) {
    this.#psk = parsePsk(psk);
    this.#maxSenders = checkInteger('pskMaxSenders', maxSenders, 1, 2 ** 24);
    this.#idText = this.#id.toString('latin1');
    this.#key = this.#keyOf(this.#id);
  }

  get stats(): PskStats {
    return { ...this.#stats, senders: this.#senders.size };
  }

  /** `payload` sealed: header, ciphertext, tag. */
  seal(payload: Uint8Array): Buffer {
    const counter = this.#counter++;
    if (counter >= MAX_COUNTER) throw new Error('pre-shared key: datagram counter exhausted');
    const sealed = Buffer.allocUnsafe(SEALED_OVERHEAD + payload.length);
    sealed[0] = SEALED_VERSION;
    this.#id.copy(sealed, 1);
    sealed.writeUInt32BE(Math.floor(counter / TWO_32), COUNTER_OFFSET);
    sealed.writeUInt32BE(counter % TWO_32, COUNTER_OFFSET + 4);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonceOf(sealed), {
      authTagLength: TAG_LENGTH,
    });
    cipher.setAAD(sealed.subarray(0, SEALED_HEADER));
    const body = cipher.update(payload);
    cipher.final();
    body.copy(sealed, SEALED_HEADER);
    cipher.getAuthTag().copy(sealed, SEALED_HEADER + payload.length);
    this.#stats.sealed++;
    return sealed;
  }

  /**
   * The payload of `datagram` if it is authentic and not a replay; undefined (and counted)
   * otherwise. Nothing about a sender is kept until one of its datagrams authenticates.
   */
  open(datagram: Uint8Array): Buffer | undefined {
    const stats = this.#stats;
    if (datagram.length < SEALED_OVERHEAD || datagram[0] !== SEALED_VERSION) {
      stats.malformed++;
      return undefined;
    }
    const bytes = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
    const high = bytes.readUInt32BE(COUNTER_OFFSET);
    if (high >= 2 ** 21) {
      stats.malformed++; // beyond any counter a sender reaches (MAX_COUNTER)
      return undefined;
    }
    const counter = high * TWO_32 + bytes.readUInt32BE(COUNTER_OFFSET + 4);
    const idText = bytes.toString('latin1', 1, COUNTER_OFFSET);
    if (idText === this.#idText) {
      stats.reflected++;
      return undefined;
    }
    let sender = this.#senders.get(idText);
    if (sender !== undefined && !sender.window.fresh(counter)) {
      stats.replayed++;
      return undefined;
    }
    const key = sender?.key ?? this.#keyOf(bytes.subarray(1, COUNTER_OFFSET));
    const end = bytes.length - TAG_LENGTH;
    const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(bytes), {
      authTagLength: TAG_LENGTH,
    });
    decipher.setAAD(bytes.subarray(0, SEALED_HEADER));
    decipher.setAuthTag(bytes.subarray(end));
    const payload = decipher.update(bytes.subarray(SEALED_HEADER, end));
    try {
      decipher.final();
    } catch {
      stats.forged++;
      return undefined;
    }
    if (sender === undefined) sender = this.#admit(idText, key);
    else if (this.#lastSender !== idText) {
      // Most recently heard last: the first in the map is the one to forget.
      this.#senders.delete(idText);
      this.#senders.set(idText, sender);
    }
    this.#lastSender = idText;
    sender.window.accept(counter);
    stats.opened++;
    return payload;
  }

  #admit(idText: string, key: Buffer): Sender {
    if (this.#senders.size >= this.#maxSenders) {
      for (const oldest of this.#senders.keys()) {
        this.#senders.delete(oldest);
        this.#stats.sendersForgotten++;
        break;
      }
    }
    const sender = { key, window: new ReplayWindow() };
    this.#senders.set(idText, sender);
    return sender;
  }

  #keyOf(id: Uint8Array): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#psk, SALT, id, 32));
  }
}

/** The 96-bit nonce of a sealed datagram: four zero bytes, then its 64-bit counter. */
function nonceOf(sealed: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  sealed.copy(nonce, 4, COUNTER_OFFSET, SEALED_HEADER);
  return nonce;
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
