import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { contenderPath } from './contender-modules.js';
import type { ProcessPeerSpec } from './process-peer.js';
import type { Contender } from './scenario.js';

/**
 * The contender `bun`: peers written against Bun's own socket API (bench/bun/), run by the Bun
 * binary of bench/'s `bun` dependency, one process per end, through bench/bun/peer-host.ts. It
 * is left out, with the reason, when no working Bun binary is found.
 */

/** The compiled Bun peers, beside this file's directory. */
const BUN_DIR = new URL('../bun/', import.meta.url);
const PEER_HOST = fileURLToPath(new URL('peer-host.js', BUN_DIR));
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Where a Bun binary may be, in order: bench/node_modules' npm package's bin (its postinstall puts the binary
 * there), the platform package it comes from, then PATH.
 */
function candidates(): string[] {
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  return [
    contenderPath('bun/bin/bun.exe'),
    contenderPath(`@oven/bun-${process.platform}-${arch}/bin/bun`),
    'bun',
  ];
}

type Found = { ok: true; path: string; version: string } | { ok: false; reason: string };

let found: Found | undefined;

/** The first Bun binary that runs, and its version; probed once per run. */
export function findBun(): Found {
  if (found !== undefined) return found;
  const failures: string[] = [];
  for (const path of candidates()) {
    try {
      const version = execFileSync(path, ['--version'], {
        encoding: 'utf8',
        timeout: PROBE_TIMEOUT_MS,
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
      if (/^\d+\.\d+\.\d+/.test(version)) return (found = { ok: true, path, version });
      failures.push(`${path} printed "${version.slice(0, 60)}" for --version`);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      failures.push(`${path}: ${code === 'ENOENT' ? 'not found' : String(code ?? error)}`);
    }
  }
  return (found = { ok: false, reason: `no Bun binary runs here (${failures.join('; ')})` });
}

/** What the Bun contender does in one scenario. */
export interface BunContenderOptions {
  /** The module in bench/bun/ (without extension) holding the peer functions. */
  module: string;
  /** The peer function of each of the scenario's roles. */
  peers: Readonly<Record<string, string>>;
  /** The Bun API measured, for the label (e.g. `Bun.udpSocket`). */
  api: string;
  /** The calls the peers make, for the report. */
  note: string;
}

/** The contender `bun` of a scenario. */
export function bunContender(options: BunContenderOptions): Contender {
  const module = new URL(`${options.module}.js`, BUN_DIR).href;
  const peer = (exportName: string): ProcessPeerSpec => ({
    kind: 'process',
    command: () => {
      const bun = findBun();
      if (!bun.ok) throw new Error(bun.reason);
      return [bun.path, PEER_HOST, module, exportName];
    },
  });
  return {
    id: 'bun',
    get label(): string {
      const bun = findBun();
      return bun.ok ? `Bun ${bun.version} ${options.api}` : `Bun ${options.api}`;
    },
    peers: Object.fromEntries(
      Object.entries(options.peers).map(([role, exportName]) => [role, peer(exportName)]),
    ),
    note: options.note,
    unavailable: () => {
      const bun = findBun();
      return bun.ok ? undefined : bun.reason;
    },
  };
}
