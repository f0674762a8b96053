import { dsock, type LineChild } from '../helpers/child.js';
import { within } from '../helpers/bounded.js';

/** What the chat commands print once they are up: the port is the first group. */
export const UDP_BANNER = /chatting on .*:(\d+)$/;
export const GROUP_BANNER = /in the group on .*:(\d+)$/;

/**
 * Starts `dsock ARGS` (pushed on `children`, to be closed in a finally) and reads the local port
 * from its banner on stderr.
 */
export async function startChat(
  children: LineChild[],
  args: (string | number)[],
  banner: RegExp,
): Promise<{ child: LineChild; port: number }> {
  const child = dsock(args);
  children.push(child);
  const match = await child.stderrMatch(banner);
  return { child, port: Number(match[1]) };
}

export { closeAll } from '../helpers/child.js';

/**
 * Sends `signal` to `child` and resolves with its exit code and how long it took to exit,
 * bounded by `ms` (a child that ignores the signal fails the test instead of hanging it).
 */
export async function exitAfterSignal(
  child: LineChild,
  signal: NodeJS.Signals,
  ms = 5000,
): Promise<{ code: number | null; elapsed: number }> {
  const start = performance.now();
  child.process.kill(signal);
  const code = await within(child.exited, ms, `exit after ${signal}; stderr:\n${child.stderr}`);
  return { code, elapsed: performance.now() - start };
}

/** The lines of a chat's stdout that are message texts (a tab, then the text). */
export function texts(child: LineChild): string[] {
  return child.stdoutLines.filter((l) => l.startsWith('\t')).map((l) => l.slice(1));
}
