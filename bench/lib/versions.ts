import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BENCH_PACKAGE_DIR, contenderPath } from './contender-modules.js';

/** The exact version of one contender's runtime or package, as found on this machine. */
export interface ContenderVersion {
  name: string;
  /** The version found, or undefined when the tool or package is not there. */
  version: string | undefined;
  /** For a package: the range package.json asks for, shown when it is not the exact version. */
  declared?: string;
}

const PACKAGES = ['zeromq', 'utp-native', 'bun', '@grpc/grpc-js'] as const;

/**
 * The versions of everything a contender runs on: Node.js, Python 3 and gcc (which build the
 * other-language contenders), and the npm packages some contenders use.
 */
export function contenderVersions(): ContenderVersion[] {
  const declared = benchDependencies();
  return [
    { name: 'node', version: process.version.replace(/^v/, '') },
    // Python 2 printed its version on stderr, Python 3 prints it on stdout.
    { name: 'python3', version: command('python3', ['--version'])?.replace(/^Python\s+/, '') },
    { name: 'gcc', version: command('gcc', ['-dumpfullversion', '-dumpversion']) },
    ...PACKAGES.map((name) => {
      const version = installedVersion(name);
      const range = declared[name];
      return range === undefined || range === version
        ? { name, version }
        : { name, version, declared: range };
    }),
  ];
}

/** One line for the report: `node 20.10.0, python3 3.11.7, zeromq not installed, ...`. */
export function versionsLine(versions: readonly ContenderVersion[]): string {
  return versions
    .map(({ name, version, declared }) => {
      const found = version === undefined ? `${name} not installed` : `${name} ${version}`;
      return declared === undefined ? found : `${found} (package.json: ${declared})`;
    })
    .join(', ');
}

function command(file: string, args: string[]): string | undefined {
  try {
    const out = execFileSync(file, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5000,
    });
    return out.trim().split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}

function installedVersion(name: string): string | undefined {
  try {
    const text = readFileSync(contenderPath(`${name}/package.json`), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

function benchDependencies(): Record<string, string> {
  try {
    const text = readFileSync(new URL('package.json', BENCH_PACKAGE_DIR), 'utf8');
    return (JSON.parse(text) as { dependencies?: Record<string, string> }).dependencies ?? {};
  } catch {
    return {};
  }
}
