import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProcessPeerSpec } from './process-peer.js';
import type { Contender } from './scenario.js';

/**
 * Contenders in other languages, run as programs of their own: Python 3's standard `socket`
 * module (bench/python/) and a small C program using the kernel's batched calls, the
 * kernel-limit proxy (bench/native/, compiled here with the machine's gcc). Either is left out
 * of the run, with the reason in the report, when the machine lacks the interpreter or the
 * compiler; the check and the build happen once per run, before the first round.
 */

/** From build/bench/lib/ back to the repository. */
const REPOSITORY = new URL('../../../', import.meta.url);
const PYTHON_DIR = fileURLToPath(new URL('bench/python/', REPOSITORY));
const NATIVE_DIR = fileURLToPath(new URL('bench/native/', REPOSITORY));
const NATIVE_BUILD_DIR = fileURLToPath(new URL('build/bench-native/', REPOSITORY));
/** Longest a version probe or a compilation may take, in ms. */
const TOOL_TIMEOUT_MS = 60_000;

type Found<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Memoizes `probe`, which runs a tool: once per run, and only when asked for. */
function once<T>(probe: () => Found<T>): () => Found<T> {
  let result: Found<T> | undefined;
  return () => (result ??= probe());
}

/** The first error a failed tool reported (a compiler says where it was first), or the error. */
function failure(error: unknown): string {
  if ((error as { code?: unknown }).code === 'ENOENT') return 'not installed: not on PATH';
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String(error);
  const lines = text.trim().split('\n');
  return lines.find((line) => /error/i.test(line)) ?? lines[0] ?? text;
}

interface Python {
  /** The interpreter itself, so that no launcher (pyenv shim) sits between taskset and it. */
  executable: string;
  version: string;
}

const python = once<Python>(() => {
  try {
    const out = execFileSync(
      'python3',
      [
        '-c',
        'import sys; print(sys.executable); print(sys.version.split()[0]); ' +
          'print(int(sys.version_info >= (3, 7)))',
      ],
      { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const [executable, version, recent] = out.trim().split('\n');
    if (executable === undefined || executable === '' || version === undefined) {
      return { ok: false, reason: `python3 did not say where it is: ${out.trim()}` };
    }
    if (recent !== '1') return { ok: false, reason: `python3 is ${version}; 3.7 or later needed` };
    return { ok: true, value: { executable, version } };
  } catch (error) {
    return { ok: false, reason: `python3 cannot be run (${failure(error)})` };
  }
});

const gcc = once<string>(() => {
  try {
    const out = execFileSync('gcc', ['-dumpfullversion', '-dumpversion'], {
      encoding: 'utf8',
      timeout: TOOL_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, value: out.trim() };
  } catch (error) {
    return { ok: false, reason: `gcc cannot be run (${failure(error)})` };
  }
});

const builds = new Map<string, () => Found<string>>();

/**
 * Compiles bench/native/`program`.c into build/bench-native/, once per run; the path of the
 * executable. It is written under a name of its own and renamed into place, so that a run
 * starting meanwhile never executes a half-written file.
 */
function build(program: string): Found<string> {
  let compile = builds.get(program);
  if (compile === undefined) {
    compile = once(() => {
      const compiler = gcc();
      if (!compiler.ok) return compiler;
      const output = `${NATIVE_BUILD_DIR}${program}`;
      const partial = `${output}.${process.pid}.partial`;
      try {
        mkdirSync(NATIVE_BUILD_DIR, { recursive: true });
        execFileSync(
          'gcc',
          ['-O2', '-Wall', '-Wextra', '-pthread', '-o', partial, `${NATIVE_DIR}${program}.c`],
          { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        renameSync(partial, output);
        return { ok: true, value: output };
      } catch (error) {
        rmSync(partial, { force: true });
        return { ok: false, reason: `gcc failed on bench/native/${program}.c: ${failure(error)}` };
      }
    });
    builds.set(program, compile);
  }
  return compile();
}

/** What a contender in another language does, per scenario. */
export interface ProcessContenderOptions {
  /** The scenario's roles, each started as `<program> [...args] <role> <params JSON>`. */
  roles: readonly string[];
  /** Arguments before the role (such as the transport). */
  args?: readonly string[];
  /** The calls the program makes, for the report. */
  note: string;
}

/**
 * The contender `python`: bench/python/`script` run by python3 (without writing bytecode
 * next to the script), one process per role.
 */
export function pythonContender(script: string, options: ProcessContenderOptions): Contender {
  const command = (role: string): readonly string[] => {
    const found = python();
    if (!found.ok) throw new Error(found.reason);
    return [found.value.executable, '-B', `${PYTHON_DIR}${script}`, ...(options.args ?? []), role];
  };
  return {
    id: 'python',
    get label(): string {
      const found = python();
      return found.ok ? `Python ${found.value.version} socket` : 'Python 3 socket';
    },
    peers: peers(options.roles, command),
    note: options.note,
    unavailable: () => {
      const found = python();
      return found.ok ? undefined : found.reason;
    },
  };
}

/**
 * The contender `c`: bench/native/`program`.c, compiled with gcc -O2, one process per role.
 * `label` names the system calls that make it the kernel-limit proxy.
 */
export function nativeContender(
  program: string,
  label: string,
  options: ProcessContenderOptions,
): Contender {
  const command = (role: string): readonly string[] => {
    const built = build(program);
    if (!built.ok) throw new Error(built.reason);
    return [built.value, ...(options.args ?? []), role];
  };
  return {
    id: 'c',
    get label(): string {
      const compiler = gcc();
      return compiler.ok ? `C ${label}, gcc ${compiler.value} -O2` : `C ${label}`;
    },
    peers: peers(options.roles, command),
    note: options.note,
    unavailable: () => {
      const built = build(program);
      return built.ok ? undefined : built.reason;
    },
  };
}

function peers(
  roles: readonly string[],
  command: (role: string) => readonly string[],
): Record<string, ProcessPeerSpec> {
  return Object.fromEntries(
    roles.map((role) => [role, { kind: 'process', command: () => command(role) }]),
  );
}
