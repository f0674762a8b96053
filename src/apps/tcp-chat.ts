import type { Endpoint } from '../endpoint/endpoint.js';
import { SocketError } from '../errors.js';
import { formatChatMessage, parseChatMessage } from '../framing/chat-message.js';
import { MessageStream } from '../framing/message-stream.js';
import type { MessageStreamOptions } from '../framing/message-stream.js';
import type { StreamSocket } from '../stream/stream-socket.js';
import type { ChatEvent } from './udp-chat.js';

/**
 * The course's TCP chat frames each chat message with a 2-byte big-endian length prefix
 * (Python: `struct.pack('>H', len(data))`), so no message can exceed 65,535 bytes encoded.
 */
export const TCP_CHAT_FRAMING: MessageStreamOptions = { prefix: 'uint16be' };

/** Events of a stream chat: the datagram chat's, plus the end of a connection. */
export type StreamChatEvent =
  | ChatEvent
  /** The peer ended the connection (it left), or it failed (`error` says how). */
  | { type: 'closed'; peer: Endpoint; error: SocketError | undefined };

function asSocketError(error: unknown): SocketError {
  return error instanceof SocketError ? error : new SocketError(String(error), 'ERR_SOCKET');
}

/**
 * One chat connection: chat messages framed over a stream socket. Received messages and the
 * end of the connection are reported through `onEvent`.
 */
export class TcpChatConnection {
  readonly stream: MessageStream;
  readonly peer: Endpoint;
  /** Resolves once the peer has left or the connection failed (never rejects). */
  readonly ended: Promise<void>;

  constructor(
    socket: StreamSocket,
    readonly name: string,
    onEvent: (event: StreamChatEvent) => void,
  ) {
    this.stream = new MessageStream(socket, TCP_CHAT_FRAMING);
    this.peer = socket.remoteEndpoint;
    this.ended = this.#receive(onEvent);
  }

  /**
   * Sends `text` as a chat message; refused with `MessageTooLargeError` (nothing sent) when
   * the encoded message exceeds 65,535 bytes.
   */
  say(text: string): Promise<void> {
    return this.stream.send(formatChatMessage(text, this.name));
  }

  /** Closes the connection: the peer sees it end. */
  async close(): Promise<void> {
    await this.stream.flush().catch(() => undefined);
    await this.stream.close();
    await this.ended;
  }

  async #receive(onEvent: (event: StreamChatEvent) => void): Promise<void> {
    let failure: SocketError | undefined;
    try {
      for await (const data of this.stream) {
        const raw = data.toString('utf8');
        onEvent({ type: 'message', raw, message: parseChatMessage(raw), sender: this.peer });
      }
    } catch (error) {
      failure = asSocketError(error);
    }
    onEvent({ type: 'closed', peer: this.peer, error: failure });
  }
}
