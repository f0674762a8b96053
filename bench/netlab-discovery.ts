/**
 * Discovery and chat latency across hosts of a network lab (test/helpers/netlab.ts; needs root
 * for `ip netns`). Not part of `npm run bench`.
 *
 *   convergence  4 hosts on one LAN each start a Discovery member (default 1 s interval) at
 *                once; time from the moment the last of them is up (its "READY") until every
 *                member has found the other three, per run
 *   silent       one member is killed (SIGKILL); time until each other member reports it lost,
 *                against the target of 3 intervals + 1 s
 *   udp fan-out  `dsock chat udp`: one member says a line, time until all 3 others print it;
 *                across hosts (two LANs through the gateway) and with all 4 on one lab
 *                host's loopback
 *   tcp latency  `dsock chat tcp group`: one member says a line, time until the other prints it,
 *                across the gateway and on loopback
 *
 * Times are measured by this process from the children's output (pipes), so they include the
 * pipes' latency on both ends. p50/p95 over all samples of all runs.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/netlab-discovery.js [runs] [messages]
 */
import { fileURLToPath } from 'node:url';
import type { LineChild } from '../test/helpers/child.js';
import { NetLab, TWO_LANS, type LabSpec } from '../test/helpers/netlab.js';
import { percentile } from './lib/stats.js';

const MEMBER = fileURLToPath(new URL('../test/netlab/fixtures/discover.js', import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const messages = Number(process.argv[3] ?? 20);
const ONE_LAN: LabSpec = {
  lans: ['lan'],
  hosts: { h1: ['lan'], h2: ['lan'], h3: ['lan'], h4: ['lan'] },
};

interface Found {
  event: string;
  name?: string;
}

async function discoveryRun(convergence: number[], silent: number[]): Promise<void> {
  const lab = await NetLab.create(ONE_LAN);
  if (typeof lab === 'string') throw new Error(lab);
  try {
    const names = ['h1', 'h2', 'h3', 'h4'];
    const members = names.map((host) =>
      lab.spawn(host, process.execPath, [
        MEMBER,
        JSON.stringify({ room: 'bench', name: host, port: 7000 }),
      ]),
    );
    const found = new Map<LineChild, Set<string>>(members.map((m) => [m, new Set()]));
    let lastReady = 0;
    const done = new Map<LineChild, number>();
    const lost = new Map<LineChild, number>();
    let killedAt = 0;
    await Promise.all(
      members.map(async (member) => {
        await member.nextLine(30_000);
        lastReady = Math.max(lastReady, performance.now());
        for (;;) {
          const line = await member.nextLine(30_000).catch(() => null);
          if (line === null) return;
          const event = JSON.parse(line) as Found;
          if (event.event === 'found') {
            found.get(member)?.add(event.name ?? '');
            if ((found.get(member)?.size ?? 0) === 3 && !done.has(member))
              done.set(member, performance.now());
          }
          if (event.event === 'lost' && event.name === 'h4') {
            lost.set(member, performance.now());
            return;
          }
          if (done.size === 4 && killedAt === 0) {
            killedAt = performance.now();
            members[3]?.process.kill('SIGKILL');
          }
        }
      }),
    );
    for (const at of done.values()) convergence.push(at - lastReady);
    for (const at of lost.values()) silent.push(at - killedAt);
  } finally {
    await lab.close();
  }
}

async function waitAll(children: LineChild[], text: string): Promise<number> {
  await Promise.all(
    children.map((c) => c.untilStdout((lines) => lines.includes(`\t${text}`), text)),
  );
  return performance.now();
}

/** Per message: time from writing it to the speaker until every listener printed it. */
async function chatLatency(
  spawn: (host: string, args: (string | number)[]) => LineChild,
  hosts: string[],
  address: (host: string) => string,
  tcp: boolean,
  samples: number[],
): Promise<void> {
  const children: LineChild[] = [];
  try {
    const [first, ...rest] = hosts as [string, ...string[]];
    const words = tcp ? ['chat', 'tcp', 'group'] : ['chat', 'udp'];
    const speaker = spawn(first, [...words, 7000, '-n', 'S']);
    children.push(speaker);
    await speaker.stderrMatch(/on /);
    for (const [i, host] of rest.entries()) {
      const port = 7001 + i;
      const child = spawn(host, [...words, port, `${address(first)}:7000`, '-n', `L${i}`]);
      children.push(child);
      await child.stderrMatch(tcp ? /# connected to/ : /chatting on/);
      if (!tcp) {
        child.write(`hello ${i}\n`);
        await speaker.untilStdout((lines) => lines.includes(`\thello ${i}`), 'hello');
      }
    }
    const listeners = children.slice(1);
    for (let m = 0; m < messages; m++) {
      const text = `message ${m}`;
      const start = performance.now();
      speaker.write(`${text}\n`);
      samples.push((await waitAll(listeners, text)) - start);
    }
  } finally {
    await Promise.all(children.map((c) => c.close()));
  }
}

function line(label: string, values: number[], unit = 'ms'): string {
  return `${label.padEnd(34)} p50 ${percentile(values, 50).toFixed(1)} ${unit}, p95 ${percentile(values, 95).toFixed(1)} ${unit}, min ${Math.min(...values).toFixed(1)}, max ${Math.max(...values).toFixed(1)} (n=${values.length})`;
}

const convergence: number[] = [];
const silent: number[] = [];
for (let run = 0; run < runs; run++) await discoveryRun(convergence, silent);
console.log(line('room of 4 converged (after last up)', convergence));
console.log(line('silent member noticed (after kill)', silent));
console.log(
  `  target: p50 convergence <= 1000 ms; silent <= ${3 * 1000 + 1000} ms (3 intervals + 1 s)`,
);

const latency: Record<string, number[]> = {};
for (let run = 0; run < runs; run++) {
  const lab = await NetLab.create(TWO_LANS);
  if (typeof lab === 'string') throw new Error(lab);
  try {
    const across = ['alpha', 'beta', 'gateway', 'delta'];
    for (const tcp of [false, true]) {
      const kind = tcp ? 'tcp group, 1 speaker -> 3' : 'udp chat fan-out, 1 -> 3';
      await chatLatency(
        (host, args) => lab.dsock(host, args),
        across,
        (host) => lab.host(host).ipv4,
        tcp,
        (latency[`${kind}, across hosts`] ??= []),
      );
      await chatLatency(
        // All four on one host (alpha's namespace, so that no port of the machine is taken).
        (_host, args) => lab.dsock('alpha', args),
        across,
        () => '127.0.0.1',
        tcp,
        (latency[`${kind}, loopback`] ??= []),
      );
    }
  } finally {
    await lab.close();
  }
}
for (const [label, values] of Object.entries(latency)) console.log(line(label, values));
