import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';

/** What a thread of {@link runPrograms} is given: every program, and the index of the next. */
export interface ThreadData {
  files: readonly string[];
  /** One Int32: the index of the next program a thread takes (Atomics.add). */
  next: Int32Array;
}

/** What a thread says of a program: it started it, or the program ended. */
export type ThreadMessage =
  | { kind: 'start'; index: number }
  | {
      kind: 'end';
      index: number;
      /** Its exit status, had it been a process. */
      status: number;
      stdout: string;
      stderr: string;
      /** What it threw, or why it did not end as a program does. */
      failure: string | undefined;
    };

/** How one program of {@link runPrograms} ended. */
export interface ProgramResult {
  file: string;
  /** What it wrote with `console` (log, info, ...). */
  stdout: string;
  /** Why it failed, as a line or more for a test's message; undefined when it ended with 0. */
  failure: string | undefined;
}

export interface RunProgramsOptions {
  /** Its process.env (each thread has a copy). */
  env: NodeJS.ProcessEnv;
  /** How many threads run programs at once. */
  threads: number;
  /** How long one program may take to end, from its start. */
  timeoutMs: number;
}

/**
 * Runs each of `files` (ES modules) as Node runs a program, to its end, in a few worker threads
 * of this process, one program after another in each: without a Node start-up for each, and
 * with the modules they import loaded once per thread. As with a process of its own, a program
 * fails when it throws (at once or later, in a callback), when it sets an exit status other
 * than 0, when its top-level await can never settle, and when it has not ended within
 * `timeoutMs`: it ends only once nothing it opened is left open (a socket, a timer). The next
 * program of a thread starts only then, so that what each prints, throws or leaves open is its
 * own. A thread whose program failed is replaced. Resolves with a result for every file, in
 * their order.
 */
export async function runPrograms(
  files: readonly string[],
  options: RunProgramsOptions,
): Promise<ProgramResult[]> {
  const results: (ProgramResult | undefined)[] = files.map(() => undefined);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const data: ThreadData = { files, next };
  let threadFailure: string | undefined;

  /** Runs one thread until it has no program left to take, or until one of them failed. */
  const runThread = async (): Promise<void> => {
    const worker = new Worker(new URL('./program-threads-worker.js', import.meta.url), {
      workerData: data,
      env: options.env,
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    // What is written other than through `console` (warnings, process.stdout), for a failure.
    let other = '';
    worker.stdout.setEncoding('utf8').on('data', (text: string) => (other += text));
    worker.stderr.setEncoding('utf8').on('data', (text: string) => (other += text));
    let running: number | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    const failedHere: number[] = [];
    const record = (index: number, stdout: string, failure: string | undefined) => {
      if (results[index] !== undefined) return; // its watchdog was first
      results[index] = { file: files[index] as string, stdout, failure };
      if (failure !== undefined) failedHere.push(index);
      if (running === index) running = undefined;
      clearTimeout(watchdog);
    };
    worker.on('message', (message: ThreadMessage) => {
      if (message.kind === 'start') {
        running = message.index;
        watchdog = setTimeout(() => {
          record(
            message.index,
            '',
            `did not exit within ${options.timeoutMs} ms: something it opened is still open`,
          );
          void worker.terminate();
        }, options.timeoutMs);
        return;
      }
      const failed = message.failure !== undefined || message.status !== 0;
      record(
        message.index,
        message.stdout,
        failed
          ? `failed (exit status ${message.status}):\n${message.failure ?? ''}\n${message.stderr}`
          : undefined,
      );
    });
    let thrown: unknown;
    worker.on('error', (error) => (thrown = error));
    const status = await new Promise<number>((resolve) => worker.once('exit', resolve));
    clearTimeout(watchdog);
    if (running !== undefined) {
      // It ended its thread (process.exit) before its end was reported.
      const reason = thrown === undefined ? '' : `:\n${inspect(thrown)}`;
      record(running, '', `ended its thread with exit status ${status}${reason}`);
    }
    for (const index of failedHere) {
      const result = results[index] as ProgramResult;
      if (other !== '') result.failure += `\n${other}`;
    }
    if (status !== 0 && failedHere.length === 0) {
      threadFailure = `a thread ended with exit status ${status} ${inspect(thrown)}\n${other}`;
    }
    // A program failed and took its thread with it (by an error, or by process.exit, whatever
    // its status): the programs left go on in a new one.
    if (failedHere.length > 0 && Atomics.load(next, 0) < files.length) {
      await runThread();
    }
  };

  await Promise.all(Array.from({ length: Math.min(options.threads, files.length) }, runThread));
  return results.map(
    (result, i) =>
      result ?? {
        file: files[i] as string,
        stdout: '',
        failure: `was never run: ${threadFailure ?? ''}`,
      },
  );
}
