/**
 * How soon a TCP group chat member is connected again to a peer it was given, once the peer is
 * back, across hosts of a network lab (test/helpers/netlab.ts; needs root for `ip netns`). Not
 * part of `npm run bench`.
 *
 *   restart    Dave (delta, lan2) was given Alice (alpha, lan1, through the gateway). Alice is
 *              killed and started again on the same port; time from the new Alice's banner
 *              until she reports Dave's connection ("# connected from").
 *   partition  Dave's cable is pulled; meanwhile Alice is killed and started again; the cable
 *              is plugged back: time from the plug until the new Alice reports Dave's
 *              connection.
 *
 * Up to 40 s are waited for each; a reconnection that does not come is counted as "none".
 * Times come from the children's output (pipes), so they include the pipes' latency.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/netlab-reconnect.js [runs]
 */
import type { LineChild } from '../test/helpers/child.js';
import { NetLab, TWO_LANS } from '../test/helpers/netlab.js';
import { percentile } from './lib/stats.js';

const runs = Number(process.argv[2] ?? 5);
const WAIT_MS = 40_000;
const PORT = 7100;

function startAlice(lab: NetLab): LineChild {
  return lab.dsock('alpha', ['chat', 'tcp', 'group', PORT, '--name', 'Alice']);
}

/** Milliseconds from `since` until `alice` reports a connection from Dave, or undefined. */
async function connectedFromDave(alice: LineChild, since: number): Promise<number | undefined> {
  try {
    await alice.stderrMatch(/^# connected from /, WAIT_MS);
    return performance.now() - since;
  } catch {
    return undefined;
  }
}

async function run(restart: (number | undefined)[], partition: (number | undefined)[]) {
  const lab = await NetLab.create(TWO_LANS);
  if (typeof lab === 'string') throw new Error(lab);
  try {
    const alpha = lab.host('alpha').ipv4;
    let alice = startAlice(lab);
    await alice.stderrMatch(/in the group on/);
    const dave = lab.dsock('delta', ['chat', 'tcp', 'group', PORT, `${alpha}:${PORT}`, '-n', 'D']);
    await alice.stderrMatch(/^# connected from /);

    alice.process.kill('SIGKILL');
    await alice.exitCode();
    await dave.stderrMatch(/left the chat|failed/);
    alice = startAlice(lab);
    await alice.stderrMatch(/in the group on/);
    restart.push(await connectedFromDave(alice, performance.now()));

    await lab.setCable('delta', 'eth0', false);
    alice.process.kill('SIGKILL');
    await alice.exitCode();
    alice = startAlice(lab);
    await alice.stderrMatch(/in the group on/);
    await lab.setCable('delta', 'eth0', true);
    partition.push(await connectedFromDave(alice, performance.now()));
  } finally {
    await lab.close();
  }
}

function summary(name: string, samples: (number | undefined)[]): string {
  const got = samples.filter((s): s is number => s !== undefined);
  const none = samples.length - got.length;
  const figures =
    got.length === 0
      ? 'no reconnection'
      : `p50 ${(percentile(got, 50) / 1000).toFixed(2)} s, max ${(Math.max(...got) / 1000).toFixed(2)} s`;
  const each = samples.map((s) => (s === undefined ? 'none' : (s / 1000).toFixed(2))).join(' ');
  return `${name.padEnd(10)} ${figures}; ${none} of ${samples.length} runs not reconnected within ${WAIT_MS / 1000} s [${each}]`;
}

const restart: (number | undefined)[] = [];
const partition: (number | undefined)[] = [];
for (let i = 0; i < runs; i++) await run(restart, partition);
process.stdout.write(`${summary('restart', restart)}\n${summary('partition', partition)}\n`);
