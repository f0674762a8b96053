/**
 * Reading and writing a plain TCP connection straight between the kernel and the caller's
 * memory (kernel-read.ts, kernel-write.ts): the native addon's two calls (native/tcp-direct.c),
 * and what they need of the net.Socket they go around: its descriptor, its idle timer, and the
 * error Node makes of a system call's failure.
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { nativeAddon } from '../internal/native-addon.js';

/** A call of native/tcp-direct.c: a count (>= 0), or a negative libuv error code. */
type DirectCall = (fd: number, bytes: Uint8Array) => number;

interface NativeTcp {
  readonly tcpReadInto: DirectCall;
  readonly tcpWriteFrom: DirectCall;
}

// Looked up when dsock loads, as every layer's part of the addon is.
const addon = nativeAddon() as Partial<NativeTcp> | undefined;

/** recv(fd, target, MSG_DONTWAIT), or null where the addon is not loaded (or DSOCK_NATIVE=0). */
export const tcpReadInto: DirectCall | null = addon?.tcpReadInto ?? null;

/** send(fd, source, MSG_DONTWAIT | MSG_NOSIGNAL), or null where the addon is not loaded. */
export const tcpWriteFrom: DirectCall | null = addon?.tcpWriteFrom ?? null;

/** The part of a net.Socket's handle used here: its descriptor (-1 where there is none). */
interface DescriptorHandle {
  readonly fd?: number;
}

/**
 * The descriptor of `socket`'s connection when it is a plain TCP connection with one (not TLS,
 * whose bytes on the wire are not the stream's; not destroyed), else -1.
 */
export function plainDescriptor(socket: Socket): number {
  if ('encrypted' in socket) return -1;
  const fd = (socket as unknown as { _handle?: DescriptorHandle | null })._handle?.fd;
  return fd === undefined ? -1 : fd;
}

/** Restarts `socket`'s idle timer, as Node's own reads and writes do. */
export function refreshIdleTimer(socket: Socket): void {
  (socket as unknown as { _unrefTimer?: () => void })._unrefTimer?.();
}

/**
 * The error Node makes of the same failure of `syscall`: `read ECONNRESET`, `write EPIPE`, with
 * code, errno and syscall.
 */
export function systemError(code: number, syscall: string): Error {
  const name = getSystemErrorName(code);
  return Object.assign(new Error(`${syscall} ${name}`), { errno: code, code: name, syscall });
}
