import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { LineChild } from './child.js';

/** A fresh network namespace: only a loopback interface that is down, so nothing leaves it. */
export interface Netns {
  readonly name: string;
  /** Deletes the namespace; call it in a finally. */
  delete(): Promise<void>;
}

function ip(args: string[]): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: 5000 }, (error, _stdout, stderr) => {
      resolve({ ok: error === null, detail: (stderr || error?.message || '').trim() });
    });
  });
}

/**
 * Creates a network namespace named dsock-<random>, or returns the reason it cannot (no `ip`
 * command, or not permitted), for the test to skip with.
 */
export async function createNetns(): Promise<Netns | string> {
  const name = `dsock-${randomBytes(6).toString('hex')}`;
  const created = await ip(['netns', 'add', name]);
  if (!created.ok) return `cannot create a network namespace (ip netns add): ${created.detail}`;
  return {
    name,
    async delete() {
      await ip(['netns', 'delete', name]);
    },
  };
}

/** Runs the compiled script at `script` with Node inside `netns` (close it in a finally). */
export function nodeInNetns(netns: Netns, script: URL, ...args: string[]): LineChild {
  return new LineChild('ip', [
    'netns',
    'exec',
    netns.name,
    process.execPath,
    fileURLToPath(script),
    ...args,
  ]);
}
