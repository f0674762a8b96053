import { spawn } from 'node:child_process';
import { within } from './bounded.js';

/** What one `dsock` command line did: its exit status, output lines and what it left open. */
export interface DsockResult {
  code: number;
  out: string[];
  err: string[];
  /** Kinds of handles (sockets, timers, ...) still open after it ended: what would keep it running. */
  leftOpen: string[];
}

/**
 * Runs `dsock` command lines that end by themselves (a usage error, --help, a one-shot client
 * call), one after another in one Node process (test/helpers/dsock-batch-child.ts), through the
 * function bin/dsock.js calls: each with its own exit status and output, and what it left open
 * that would have kept its own process from exiting. One process instead of one per line: each
 * start of Node and of the CLI costs about a quarter of a second of processor time. Stdin is
 * closed. A command that runs until it is signalled, reads stdin or is watched while it runs is
 * started with `dsock` (child.ts), in a process of its own.
 */
export async function dsockEach(lines: (string | number)[][]): Promise<DsockResult[]> {
  const child = spawn(
    process.execPath,
    [
      new URL('dsock-batch-child.js', import.meta.url).pathname,
      JSON.stringify(lines.map((l) => l.map(String))),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const code = await within(
    new Promise<number | null>((resolve) => child.once('close', resolve)),
    20_000 + 2_000 * lines.length,
    'the dsock command lines to run',
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  if (code !== 0) throw new Error(`dsock-batch-child exited with ${code}: ${err}`);
  return JSON.parse(out) as DsockResult[];
}
