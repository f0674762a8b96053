/**
 * Which of dsock's two datagram paths a contender measures. dsock sends and receives datagrams
 * either through its optional native addon or, when the addon is not built (or DSOCK_NATIVE=0
 * asks for it), through node:dgram: the TypeScript path. The selection is made when the
 * library's module loads, from the environment, so a contender pinned to the TypeScript path
 * runs its peers with {@link TYPESCRIPT_PATH_ENV} (each worker thread loads its own copy).
 */
import { DatagramSocket } from '../../src/index.js';

/** The environment that makes dsock use node:dgram, whether the addon is built or not. */
export const TYPESCRIPT_PATH_ENV: Readonly<Record<string, string>> = { DSOCK_NATIVE: '0' };

/** The path a socket uses, or undefined when the library does not say. */
export type DatagramBackend = 'native' | 'typescript' | undefined;

/**
 * What the library reports for `socket`: its `backend` (the path this socket uses) or, without
 * a socket or that property, the class's `nativeAvailable` (false when DSOCK_NATIVE=0);
 * undefined when the library reports neither (a version without a native path).
 */
export function backendOf(socket: object | undefined): DatagramBackend {
  const backend = (socket as { backend?: unknown } | undefined)?.backend;
  if (typeof backend === 'string') return backend === 'native' ? 'native' : 'typescript';
  const available = (DatagramSocket as unknown as { nativeAvailable?: unknown }).nativeAvailable;
  if (typeof available === 'boolean') {
    return available ? 'native' : 'typescript';
  }
  return undefined;
}

/** The label of the default `dsock` datagram contender, naming the path it measures. */
export function dsockDatagramLabel(): string {
  // The coordinator's environment, which the workers of the plain `dsock` contender inherit.
  const backend = backendOf(undefined);
  if (backend === 'native') return 'dsock (native)';
  if (backend === 'typescript') return 'dsock (TypeScript path: native addon not in use)';
  return 'dsock DatagramSocket';
}

/** The label of the contender pinned to the TypeScript path. */
export const TYPESCRIPT_PATH_LABEL = 'dsock (TypeScript path)';

/**
 * In a worker run with DSOCK_NATIVE=0, throws if `socket` uses the native path after all (as
 * far as the library says): a contender labelled "TypeScript path" must not measure the addon.
 */
export function checkDatagramPath(socket: object): void {
  if (process.env.DSOCK_NATIVE === '0' && backendOf(socket) === 'native') {
    throw new Error('DSOCK_NATIVE=0 is set, yet the socket uses the native datagram path');
  }
}
