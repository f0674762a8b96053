/**
 * Summarises V8 CPU profiles of a benchmark run: for each thread, which peer it ran and the
 * frames with the most self time (idle excluded), with their source locations.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof build/bench/run.js --only udp-rate --rounds 1 --no-write
 *   node build/bench/profile-top.js /tmp/prof [--top 25]
 *
 * Worker threads inherit --cpu-prof, so every peer writes a profile of its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)']);
const PEER_NAME = /(Receiver|Sender|Server|Client)$/;

function profilesIn(paths: string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.cpuprofile'))
          .sort()
          .map((name) => join(path, name))
      : [path],
  );
}

function where(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\/.*?\/build\//, 'build/');
  return url === '' ? '' : `${url}:${frame.lineNumber + 1}`;
}

function summarise(file: string, top: number): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    const micros = profile.timeDeltas[i] ?? 0;
    if (frame === undefined) return;
    if (IDLE.has(frame.functionName)) {
      idle += micros;
      return;
    }
    busy += micros;
    const key = `${frame.functionName || '(anonymous)'} ${where(frame)}`.trim();
    self.set(key, (self.get(key) ?? 0) + micros);
  });
  const peers = new Set(
    profile.nodes
      .map((node) => node.callFrame)
      .filter(
        (frame) => frame.url.includes('/bench/scenarios/') && PEER_NAME.test(frame.functionName),
      )
      .map((frame) => `${frame.functionName} (${frame.url.split('/').pop() ?? ''})`),
  );
  const lines = [
    `== ${file}`,
    `   peer: ${peers.size > 0 ? [...peers].join(', ') : 'none (coordinator)'}; ` +
      `busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`,
  ];
  for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`   ${((micros / Math.max(busy, 1)) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
  return lines;
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 20;
if (args.length === 0 || !Number.isInteger(top) || top < 1) {
  console.error('usage: node build/bench/profile-top.js <profile files or directories> [--top N]');
  process.exitCode = 2;
} else {
  for (const file of profilesIn(args)) console.log(summarise(file, top).join('\n'));
}
