/**
 * The loading of dsock's optional native addon (native/, built into build/Release), shared by
 * the layers that use it: the datagram sockets and datagram sealing each type the part of it
 * they call. It is loaded once per thread; DSOCK_NATIVE=0 keeps every layer on its TypeScript
 * path, DSOCK_NATIVE=1 makes an addon that cannot be used an error rather than a fallback.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDON = join('build', 'Release', 'dsock_native.node');

/** The addon interface this code speaks (DSOCK_ABI in native/dsock.h). */
const ABI = 7;

/** The addon's exports, before a layer types the part it uses. */
export type NativeExports = Readonly<Record<string, unknown>>;

/** The addon's path: build/Release under the package root (the nearest package.json up). */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, ADDON);
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), ADDON);
    dir = parent;
  }
}

function load(): { addon?: NativeExports; reason: string } {
  const mode = process.env.DSOCK_NATIVE;
  if (mode === '0') return { reason: 'DSOCK_NATIVE=0 asks for the TypeScript path' };
  const path = addonPath();
  try {
    if (!existsSync(path)) throw new Error(`${path} was not built`);
    const addon = createRequire(import.meta.url)(path) as NativeExports;
    if (addon.DSOCK_ABI !== ABI) {
      throw new Error(
        `${path} has interface ${String(addon.DSOCK_ABI)}, this dsock needs ${ABI}: ` +
          'rebuild it with node scripts/build-native.js',
      );
    }
    return { addon, reason: `loaded from ${path}` };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

const loaded = load();

/**
 * The addon, or undefined where it is not built, cannot load, or DSOCK_NATIVE=0. Where
 * DSOCK_NATIVE=1 (as CI sets, to prove the native paths are the ones under test), an addon that
 * cannot be used throws instead.
 */
export function nativeAddon(): NativeExports | undefined {
  if (loaded.addon === undefined && process.env.DSOCK_NATIVE === '1') {
    throw new Error(`DSOCK_NATIVE=1 but the native addon cannot be used: ${loaded.reason}`);
  }
  return loaded.addon;
}

/** Why the addon is or is not loaded, for diagnostics. */
export const nativeAddonStatus: string = loaded.reason;
