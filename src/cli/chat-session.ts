import { formatEndpoint } from '../endpoint/format.js';
import { MessageTooLargeError, PeerUnreachableError } from '../errors.js';
import type { GroupChatEvent } from '../apps/tcp-group-chat.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import {
  chatName,
  harmless,
  InputLines,
  showReceived,
  status,
  terminationSignal,
} from './terminal.js';

/** What the reliable side adds when a peer never acknowledges: it may be a plain chat. */
const PLAIN_PEER_HINT = 'if it runs a plain chat, use --reliable on both sides';

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** An IPv4-mapped address in brackets, as a dual-stack socket's errors may name a peer. */
const MAPPED_IN_TEXT = /\[::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\]/gi;

/** An error's message with IPv4-mapped peers written as the user gave them (plain IPv4). */
function plain(error: Error): string {
  return error.message.replace(MAPPED_IN_TEXT, '$1');
}

/** A peer as status lines name it: the name its messages gave, else its endpoint. */
function who(peer: Endpoint, name: string | undefined): string {
  return name === undefined ? formatEndpoint(peer) : harmless(name);
}

/** A peer with its endpoint: `Bob (127.0.0.1:8081)`, or the endpoint alone. */
function whoAt(peer: Endpoint, name: string | undefined): string {
  return name === undefined ? formatEndpoint(peer) : `${harmless(name)} (${formatEndpoint(peer)})`;
}

/**
 * Shows a chat's events: received messages on stdout as they came (a newline after each;
 * control characters escaped on a terminal), everything else as a status line on stderr.
 * Departures name the person where the chat knows the name (`# Bob left the chat`). Once the
 * user leaves ({@link ChatDisplay.leave}), the connections closing because of it are not shown
 * as others leaving: the user sees `# you left the chat`.
 */
export class ChatDisplay {
  #left = false;

  /** Shows one event (nothing after the user left, but messages still arriving). */
  readonly show = (event: GroupChatEvent): void => {
    if (this.#left && event.type !== 'message') return;
    showChatEvent(event);
  };

  /** The user leaves: says so, once, and hides the departures this causes. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    status('# you left the chat');
  }
}

function showChatEvent(event: GroupChatEvent): void {
  switch (event.type) {
    case 'message':
      showReceived(event.raw);
      break;
    case 'join':
      status(`# new peer ${formatEndpoint(event.peer)}`);
      break;
    case 'leave':
      status(`# ${who(event.peer, event.name)} left the chat`);
      break;
    case 'connected':
      status(
        event.reconnected
          ? `# reconnected to ${formatEndpoint(event.peer)}`
          : `# connected ${event.outgoing ? 'to' : 'from'} ${formatEndpoint(event.peer)}`,
      );
      break;
    case 'reconnecting':
      status(
        `# reconnecting to ${formatEndpoint(event.peer)} in ${(event.delay / 1000).toFixed(1)} s`,
      );
      break;
    case 'closed':
      status(
        event.error
          ? `# connection with ${whoAt(event.peer, event.name)} failed: ${plain(event.error)}`
          : `# ${who(event.peer, event.name)} left the chat`,
      );
      break;
    case 'unreachable':
      status(`# cannot reach ${formatEndpoint(event.peer)}: ${plain(event.error)}`);
      break;
    case 'dropped':
      if (event.reason === 'stalled') {
        status(
          `# dropped ${whoAt(event.peer, event.name)}: not reading (${event.queued} bytes ` +
            `waited ${seconds(event.stalledFor)} to be sent)`,
        );
      } else {
        const hint = event.error instanceof PeerUnreachableError ? ` (${PLAIN_PEER_HINT})` : '';
        status(`# dropped ${whoAt(event.peer, event.name)}: ${plain(event.error)}${hint}`);
      }
      break;
    case 'expired':
      status(`# ${whoAt(event.peer, event.name)} fell silent: no longer a peer`);
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
      status(`# ${plain(event.error)}`);
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

/** What a chat command works with. */
export interface ChatTerminal {
  input: InputLines;
  /** Fires on SIGINT or SIGTERM. */
  signal: AbortSignal;
  /**
   * The user name: the one given, else asked for (or the first line of stdin). Null when the
   * user gave up first (Ctrl+C): the chat ends quietly. A command asks once it has bound its
   * socket, so that a busy port is reported before anyone types a name.
   */
  askName: () => Promise<string | null>;
  /** Shows the chat's events. */
  display: ChatDisplay;
}

/**
 * Runs a chat command's terminal side: reads stdin lines, ends on SIGINT/SIGTERM, then runs
 * `chat`, and cleans up. Resolves with exit status 0 (also when the user gives up before naming
 * themselves) unless `chat` throws; after a signal the process exits with status 0 within a
 * second, whatever the peers do (see {@link terminationSignal}).
 */
export async function runChatCommand(
  given: string | undefined,
  chat: (terminal: ChatTerminal) => Promise<void>,
): Promise<number> {
  const input = new InputLines();
  const termination = terminationSignal({ exitStatus: 0 });
  const { signal } = termination;
  try {
    await chat({
      input,
      signal,
      askName: () => chatName(given, input, signal),
      display: new ChatDisplay(),
    });
    return 0;
  } finally {
    termination.dispose();
    input.close();
  }
}
