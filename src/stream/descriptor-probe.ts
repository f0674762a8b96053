import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';

/**
 * How often a listening server checks whether the process is out of file descriptors, in ms.
 * One open and close of the null device per check: nothing on the hot path.
 */
export const DESCRIPTOR_PROBE_INTERVAL = 1000;

/**
 * `'EMFILE'` or `'ENFILE'` when the process (or the system) has no file descriptor left,
 * else undefined.
 *
 * A server needs this because libuv hides the condition: when accept() fails with EMFILE it
 * frees a descriptor it keeps in reserve, accepts the waiting connections and closes them at
 * once, and reports nothing, so without a probe every refusal at the limit is silent.
 */
export function descriptorShortage(): 'EMFILE' | 'ENFILE' | undefined {
  let fd: number;
  try {
    fd = openSync(devNull, 'r');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === 'EMFILE' || code === 'ENFILE' ? code : undefined;
  }
  closeSync(fd);
  return undefined;
}
