/**
 * Test helpers for the reliable socket and the chaos relay.
 */

/**
 * Resolves once `check()` is true, checking after each turn of the event loop (at most every
 * millisecond), or rejects after `ms` naming `label`. For state that no event announces, such
 * as a counter of the relay.
 */
export async function until(check: () => boolean, ms: number, label: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

/** How many timers the process has pending (Node's active resources named "Timeout"). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
