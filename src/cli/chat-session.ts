import { formatEndpoint } from '../endpoint/format.js';
import { MessageTooLargeError, PeerUnreachableError } from '../errors.js';
import type { GroupChatEvent } from '../apps/tcp-group-chat.js';
import { chatName, InputLines, showReceived, status, terminationSignal } from './terminal.js';

/** What the reliable side adds when a peer never acknowledges: it may be a plain chat. */
const PLAIN_PEER_HINT = 'if it runs a plain chat, use --reliable on both sides';

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Shows a chat event: received messages on stdout as they came (a newline after each; control
 * characters escaped on a terminal), everything else as a status line on stderr.
 */
export function showChatEvent(event: GroupChatEvent): void {
  switch (event.type) {
    case 'message':
      showReceived(event.raw);
      break;
    case 'join':
      status(`# new peer ${formatEndpoint(event.peer)}`);
      break;
    case 'leave':
      status(`# ${formatEndpoint(event.peer)} left the chat`);
      break;
    case 'connected':
      status(`# connected ${event.outgoing ? 'to' : 'from'} ${formatEndpoint(event.peer)}`);
      break;
    case 'closed':
      status(
        event.error
          ? `# connection with ${formatEndpoint(event.peer)} failed: ${event.error.message}`
          : `# ${formatEndpoint(event.peer)} left the chat`,
      );
      break;
    case 'unreachable':
      status(`# cannot reach ${formatEndpoint(event.peer)}: ${event.error.message}`);
      break;
    case 'dropped':
      if (event.reason === 'stalled') {
        status(
          `# dropped ${formatEndpoint(event.peer)}: not reading (${event.queued} bytes ` +
            `waited ${seconds(event.stalledFor)} to be sent)`,
        );
      } else {
        const hint = event.error instanceof PeerUnreachableError ? ` (${PLAIN_PEER_HINT})` : '';
        status(`# dropped ${formatEndpoint(event.peer)}: ${event.error.message}${hint}`);
      }
      break;
    case 'expired':
      status(`# ${formatEndpoint(event.peer)} fell silent: no longer a peer`);
      break;
    case 'full':
      status(
        `# peer limit of ${event.limit} reached: ignoring new senders until a peer leaves or ` +
          'falls silent',
      );
      break;
    case 'foreign':
      status(
        `# a peer speaks dsock's reliable protocol: use --reliable (${formatEndpoint(event.peer)})`,
      );
      break;
    case 'error':
      status(`# ${event.error.message}`);
      break;
  }
}

/** How a chat's typing loop runs. */
export interface ChatLoop {
  input: InputLines;
  /** Ends the loop (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Sends one line to the chat. */
  say: (text: string) => Promise<void>;
  /** Resolves when the chat ended from the other side (e.g. the only peer left). */
  ended?: Promise<void>;
}

/** Resolves when `signal` aborts (never rejects). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Reads lines and sends each non-empty one until the end of input, the signal, or the end of
 * the chat. A line too long to send is refused with a message, and the chat goes on. A line
 * still being sent when the signal comes is left to the chat's close.
 */
export async function typeLines(loop: ChatLoop): Promise<void> {
  const { input, signal, say } = loop;
  const ended = new AbortController();
  void loop.ended?.then(() => ended.abort());
  const stop = AbortSignal.any([signal, ended.signal]);
  const stopped = aborted(stop);
  for (;;) {
    const line = await input.next(stop);
    if (line === null) return;
    if (line.trim() === '') continue;
    try {
      await Promise.race([say(line), stopped]);
    } catch (error) {
      if (!(error instanceof MessageTooLargeError)) throw error;
      status(`# not sent: ${error.message}`);
    }
    if (stop.aborted) return;
  }
}

/** What a chat command works with once its user has a name. */
export interface ChatTerminal {
  name: string;
  input: InputLines;
  /** Fires on SIGINT or SIGTERM. */
  signal: AbortSignal;
}

/**
 * Runs a chat command's terminal side: reads stdin lines, ends on SIGINT/SIGTERM, gets the user
 * name (`given`, or asked for), then runs `chat`, and cleans up. Resolves with exit status 0,
 * also when the user gives up before naming themselves; after a signal the process exits with
 * status 0 within a second, whatever the peers do (see {@link terminationSignal}).
 */
export async function runChatCommand(
  given: string | undefined,
  chat: (terminal: ChatTerminal) => Promise<void>,
): Promise<number> {
  const input = new InputLines();
  const termination = terminationSignal({ exitStatus: 0 });
  try {
    const name = await chatName(given, input, termination.signal);
    if (name !== null) await chat({ name, input, signal: termination.signal });
    return 0;
  } finally {
    termination.dispose();
    input.close();
  }
}
