// The code each thread of program-threads.ts runs: the programs (ES modules) of its list, one
// after another, each to its end as Node would run it as a process. A program has ended when
// this thread's event loop has nothing left to do ('beforeExit': every socket, timer and request
// it opened is closed, those of the native addon too), and only then does the next one start,
// so that all a program prints, throws or leaves open is its own.
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type { ThreadMessage, ThreadData } from './program-threads.js';

const { files, next } = workerData as ThreadData;
const port = parentPort as NonNullable<typeof parentPort>;

interface Running {
  index: number;
  stdout: string[];
  stderr: string[];
  /** Its top-level code (and every await in it) has finished. */
  settled: boolean;
}

let running: Running | undefined;

/** A stream that keeps each write as text in `into`. */
function keeper(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      into.push(chunk.toString('utf8'));
      done();
    },
  });
}

function report(program: Running, status: number, failure?: string): void {
  const message: ThreadMessage = {
    kind: 'end',
    index: program.index,
    status,
    stdout: program.stdout.join(''),
    stderr: program.stderr.join(''),
    failure,
  };
  port.postMessage(message);
}

/** Starts the next program of the list no thread has taken, if any is left. */
function startNext(): void {
  const index = Atomics.add(next, 0, 1);
  const file = files[index];
  if (file === undefined) return;
  const program: Running = { index, stdout: [], stderr: [], settled: false };
  running = program;
  // The program's console writes to its own record: `console` is looked up when called.
  globalThis.console = new Console({
    stdout: keeper(program.stdout),
    stderr: keeper(program.stderr),
  });
  port.postMessage({ kind: 'start', index } satisfies ThreadMessage);
  import(pathToFileURL(file).href).then(
    () => (program.settled = true),
    (error: unknown) => die(error),
  );
}

/** What an uncaught error does to a process: it ends, exit status 1. */
function die(error: unknown): void {
  if (running !== undefined) report(running, 1, inspect(error));
  process.exit(1);
}

process.on('uncaughtException', die);
process.on('unhandledRejection', die);
process.on('beforeExit', () => {
  const program = running;
  running = undefined;
  if (program !== undefined) {
    // Node's own exit statuses: 13 for a top-level await that can never settle.
    const status = program.settled ? Number(process.exitCode) || 0 : 13;
    process.exitCode = 0;
    report(
      program,
      status,
      program.settled
        ? undefined
        : 'its top-level await never settled, and nothing is left to settle it',
    );
  }
  startNext();
});
startNext();
