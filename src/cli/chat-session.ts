import { formatEndpoint } from '../endpoint/format.js';
import { MessageTooLargeError } from '../errors.js';
import type { GroupChatEvent } from '../apps/tcp-group-chat.js';
import { chatName, InputLines, status, terminationSignal } from './terminal.js';

/**
 * Shows a chat event: received messages on stdout exactly as they came (a newline after each),
 * everything else as a status line on stderr.
 */
export function showChatEvent(event: GroupChatEvent): void {
  switch (event.type) {
    case 'message':
      process.stdout.write(`${event.raw}\n`);
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

/**
 * Reads lines and sends each non-empty one until the end of input, the signal, or the end of
 * the chat. A line too long to send is refused with a message, and the chat goes on.
 */
export async function typeLines(loop: ChatLoop): Promise<void> {
  const { input, signal, say } = loop;
  const ended = new AbortController();
  void loop.ended?.then(() => ended.abort());
  const stop = AbortSignal.any([signal, ended.signal]);
  for (;;) {
    const line = await input.next(stop);
    if (line === null) return;
    if (line.trim() === '') continue;
    try {
      await say(line);
    } catch (error) {
      if (!(error instanceof MessageTooLargeError)) throw error;
      status(`# not sent: ${error.message}`);
    }
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
 * also when the user gives up before naming themselves.
 */
export async function runChatCommand(
  given: string | undefined,
  chat: (terminal: ChatTerminal) => Promise<void>,
): Promise<number> {
  const input = new InputLines();
  const termination = terminationSignal();
  try {
    const name = await chatName(given, input, termination.signal);
    if (name !== null) await chat({ name, input, signal: termination.signal });
    return 0;
  } finally {
    termination.dispose();
    input.close();
  }
}
