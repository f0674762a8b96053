import type { Endpoint } from '../endpoint/endpoint.js';
import type { SocketError } from '../errors.js';
import type { ChatMessage } from './chat-message.js';

/** What happens in a chat, as the peer sees it. */
export type ChatEvent =
  | {
      type: 'message';
      /** The message exactly as received. */
      raw: string;
      /** The message taken apart, or null when it is not in the chat format. */
      message: ChatMessage | null;
      sender: Endpoint;
    }
  /** A datagram came from an endpoint that was not a peer yet: it is one now. */
  | { type: 'join'; peer: Endpoint }
  /**
   * A peer sent its leave message and was forgotten; `name` is the sender name its messages
   * gave (at most {@link MAX_SHOWN_NAME} characters), when they gave one.
   */
  | { type: 'leave'; peer: Endpoint; name: string | undefined }
  /**
   * A peer was dropped from the chat: it is unreachable, reset or gone (`error` says how), or
   * it did not take what was sent to it: `queued` bytes waited `stalledFor` ms.
   */
  | {
      type: 'dropped';
      peer: Endpoint;
      name?: string | undefined;
      reason: 'unreachable';
      error: SocketError;
    }
  | {
      type: 'dropped';
      peer: Endpoint;
      name?: string | undefined;
      reason: 'stalled';
      queued: number;
      stalledFor: number;
    }
  /** A peer that joined by sending fell silent for longer than the peer expiry: forgotten. */
  | { type: 'expired'; peer: Endpoint; name: string | undefined }
  /** The peer set is full: datagrams from new senders are ignored (and counted) from now on. */
  | { type: 'full'; limit: number }
  /** A datagram of dsock's reliable protocol reached a plain chat (reported once). */
  | { type: 'foreign'; peer: Endpoint }
  /** Sending to one peer failed; the chat goes on. */
  | { type: 'error'; peer: Endpoint | undefined; error: SocketError };

/**
 * The most characters of a peer's name a chat keeps (from the sender field of its messages) to
 * name it in events: a name is text from the network, so what is kept per peer stays small.
 */
export const MAX_SHOWN_NAME = 64;

/** The sender name of chat message `message`, cut to {@link MAX_SHOWN_NAME} characters. */
export function senderName(message: ChatMessage | null): string | undefined {
  const name = message?.sender.trim();
  if (name === undefined || name === '') return undefined;
  return name.length > MAX_SHOWN_NAME ? `${name.slice(0, MAX_SHOWN_NAME)}...` : name;
}
