/**
 * One end of a trial run as a fresh Node.js process instead of a worker thread: for figures
 * that belong to a whole process, such as its resident memory, which threads would share. The
 * coordinator and the child exchange {@link PeerMessage}s as JSON lines, the coordinator's on
 * the child's stdin and the child's on its stdout.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { PeerMessage } from './peer-protocol.js';
import { expectType, STOP } from './peer-protocol.js';
import { MessageInbox } from './message-inbox.js';

/** How long a child told to stop may take to exit before it is killed. */
const STOP_GRACE_MS = 3000;
/** The last bytes of a child's stderr kept to explain its failure. */
const STDERR_KEPT = 2000;

/** How to start a child. */
export interface ChildOptions {
  /** Open files the child needs (the `ulimit -n` it runs with), when more than the default. */
  openFiles?: number;
  /** Extra Node.js options, such as `--expose-gc`. */
  nodeOptions?: readonly string[];
}

/**
 * Why a child cannot be given `openFiles` open files, or undefined when it can (the soft limit
 * may be raised up to the hard one without privileges; past it only with CAP_SYS_RESOURCE).
 */
export function openFilesProblem(openFiles: number): string | undefined {
  try {
    execFileSync('sh', ['-c', `ulimit -n ${openFiles}`], { stdio: 'ignore' });
    return undefined;
  } catch {
    let hard = 'unknown';
    try {
      hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    } catch {
      // The limit stays unknown; the reason below still names what was asked for.
    }
    return `the open-file limit cannot be raised to ${openFiles} (hard limit ${hard})`;
  }
}

/** The coordinator's side of a child process. */
export class ChildHandle {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #inbox: MessageInbox;
  #stderr = '';
  readonly #exit: Promise<void>;
  #exited = false;

  /** Starts `node <script> <params as JSON>`. */
  constructor(name: string, script: URL, params: unknown, options: ChildOptions = {}) {
    this.name = name;
    this.#inbox = new MessageInbox(name);
    const node = [...(options.nodeOptions ?? []), script.pathname, JSON.stringify(params)];
    // The limit is raised by a shell that then becomes the child, so it applies to the child
    // alone, and a limit that cannot be raised fails the start instead of the child running
    // short of descriptors.
    this.#child =
      options.openFiles === undefined
        ? spawn(process.execPath, node, { stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn(
            'sh',
            ['-c', `ulimit -n ${options.openFiles} && exec "$0" "$@"`, process.execPath, ...node],
            { stdio: ['pipe', 'pipe', 'pipe'] },
          );
    const child = this.#child;
    child.stdin?.on('error', () => undefined);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_KEPT);
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => this.#receive(line));
    child.on('error', (error) =>
      this.#fail(new Error(`${name} failed to start: ${error.message}`)),
    );
    this.#exit = once(child, 'exit').then(([code, signal]) => {
      this.#exited = true;
      const why = signal === null ? `exit code ${String(code)}` : `signal ${String(signal)}`;
      const stderr = this.#stderr.trim();
      this.#fail(
        new Error(
          `${name} ended (${why}) before sending what was expected` +
            (stderr === '' ? '' : `: ${stderr.split('\n').slice(-3).join(' / ')}`),
        ),
      );
    });
  }

  /** Sends `message` to the child. */
  post(message: PeerMessage): void {
    if (!this.#exited) this.#child.stdin?.write(JSON.stringify(message) + '\n');
  }

  /** The child's next message, which must be of `type`, within `timeoutMs`. */
  next<M extends PeerMessage = PeerMessage>(type: string, timeoutMs: number): Promise<M> {
    return this.#inbox.next<M>(type, timeoutMs);
  }

  /** Tells the child to stop, and kills it if it has not exited within a grace period. */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.post({ type: STOP });
    this.#child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
    });
    const exited = await Promise.race([this.#exit.then(() => true), grace]);
    clearTimeout(timer);
    if (!exited) this.#child.kill('SIGKILL');
    await this.#exit;
  }

  #receive(line: string): void {
    let message: PeerMessage;
    try {
      message = JSON.parse(line) as PeerMessage;
    } catch {
      this.#fail(new Error(`${this.name} printed a line that is not a message: ${line}`));
      return;
    }
    this.#inbox.deliver(message);
  }

  #fail(error: Error): void {
    this.#inbox.fail(error);
  }
}

/** The child's side: its parameters (the first argument) and its channel to the coordinator. */
export interface ChildContext<P> {
  readonly params: P;
  post(message: PeerMessage): void;
  /** The coordinator's next message, which must be of `type`; `stop` when stdin ends. */
  next<M extends PeerMessage = PeerMessage>(type: string | readonly string[]): Promise<M>;
}

/** Sets up the channel of a child started by {@link ChildHandle}; call once, at its start. */
export function childContext<P>(name: string): ChildContext<P> {
  const params = JSON.parse(process.argv[2] ?? 'null') as P;
  const inbox: PeerMessage[] = [];
  let waiting: ((message: PeerMessage) => void) | undefined;
  const deliver = (message: PeerMessage): void => {
    const waiter = waiting;
    waiting = undefined;
    if (waiter) waiter(message);
    else inbox.push(message);
  };
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => deliver(JSON.parse(line) as PeerMessage));
  // A coordinator that has gone away means stop, not a child left running.
  lines.on('close', () => deliver({ type: STOP }));
  return {
    params,
    post: (message) => process.stdout.write(JSON.stringify(message) + '\n'),
    async next<M extends PeerMessage>(type: string | readonly string[]): Promise<M> {
      const message =
        inbox.shift() ?? (await new Promise<PeerMessage>((resolve) => (waiting = resolve)));
      return expectType<M>(message, type, name);
    },
  };
}
