/**
 * The chat apps' message format (the course's chat): UTF-8 text `[TIMESTAMP] SENDER:\n\tTEXT`,
 * where TIMESTAMP is local time as Python's `datetime.isoformat()` writes it. Python peers build
 * it with `f"[{datetime.now().isoformat()}] {name}:\n\t{text}"`, so this format is a wire
 * contract. It is the payload of the UDP and TCP chats, the streamer and the sink, carried by
 * whatever framing or datagram they use; it is no part of the framing layer.
 */

/** The TEXT of the message a peer sends when it leaves the chat. */
export const LEAVE_TEXT = '<LEAVES THE CHAT>';

/** A chat message of the chat apps' format, taken apart by {@link parseChatMessage}. */
export interface ChatMessage {
  /** The timestamp exactly as written on the wire. */
  timestamp: string;
  /** The timestamp as a Date (local time), or null when the text is not a valid time. */
  time: Date | null;
  sender: string;
  text: string;
}

const HEAD = /^\[([^\]\n]*)\] /;
const SEPARATOR = ':\n\t';
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * Local time as Python's `datetime.isoformat()` writes it: `2024-02-03T12:15:00`, with six
 * fractional digits (`2024-02-03T12:15:00.175000`) only when the sub-second part is not zero.
 */
export function isoLocalTimestamp(time: Date = new Date()): string {
  const base =
    `${pad(time.getFullYear(), 4)}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}` +
    `T${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`;
  const ms = time.getMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms * 1000, 6)}`;
}

function parseIsoLocal(text: string): Date | null {
  const m = ISO_LOCAL.exec(text);
  if (!m) return null;
  const [year = 0, month = 1, day = 1, hours = 0, minutes = 0, seconds = 0] = m
    .slice(1, 7)
    .map(Number);
  const micros = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
  const date = new Date(year, month - 1, day, hours, minutes, seconds, Math.floor(micros / 1000));
  if (year < 100) date.setFullYear(year);
  // Date rolls 2024-02-30 over into March; such a timestamp is not a valid time.
  return date.getMonth() === month - 1 && date.getDate() === day ? date : null;
}

/**
 * Builds a message in the chat apps' format. `timestamp` is a Date (formatted as local ISO
 * time) or text used as it is; it defaults to now.
 *
 * @example
 * ```ts
 * import { formatChatMessage, parseChatMessage } from 'dsock';
 *
 * const message = formatChatMessage('hello', 'ana', '2024-02-03T12:15:00');
 * console.log(JSON.stringify(message)); // "[2024-02-03T12:15:00] ana:\n\thello"
 * console.log(parseChatMessage(message)?.sender); // ana
 * ```
 */
export function formatChatMessage(text: string, sender: string, timestamp?: Date | string): string {
  const stamp = typeof timestamp === 'string' ? timestamp : isoLocalTimestamp(timestamp);
  return `[${stamp}] ${sender}${SEPARATOR}${text}`;
}

/**
 * Takes a message of the chat apps' format apart, or returns null when `message` is not in that
 * format (such text is still worth showing raw). The sender ends at the first `":\n\t"`, so the text may hold
 * anything, new lines included.
 */
export function parseChatMessage(message: string): ChatMessage | null {
  const head = HEAD.exec(message);
  if (!head) return null;
  const rest = message.slice(head[0].length);
  const at = rest.indexOf(SEPARATOR);
  if (at < 0) return null;
  const timestamp = head[1] as string;
  return {
    timestamp,
    time: parseIsoLocal(timestamp),
    sender: rest.slice(0, at),
    text: rest.slice(at + SEPARATOR.length),
  };
}

/** True for the message a peer sends as it leaves: its text ends with {@link LEAVE_TEXT}. */
export function isLeaveMessage(message: string): boolean {
  return message.endsWith(LEAVE_TEXT);
}
