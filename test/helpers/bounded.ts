import { createSocket } from 'node:dgram';

/**
 * Rejects if `promise` has not settled within `ms`, naming `label`, so that a test that would
 * hang fails instead, with a message that says what it was waiting for.
 */
export async function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expiry]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `check()` is true, checking after each turn of the event loop (at most every
 * millisecond), or rejects after `ms` naming `label`. Only for state that no event announces,
 * such as a counter; where an event exists, await it (EventLog, `within`).
 */
export async function until(
  check: () => boolean,
  ms: number,
  label: string | (() => string),
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) {
      const what = typeof label === 'string' ? label : label();
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

let ipv6: Promise<boolean> | undefined;

/** True when a UDP socket can be bound on ::1 (IPv6 loopback is configured). */
export function ipv6Available(): Promise<boolean> {
  ipv6 ??= new Promise<boolean>((resolve) => {
    const socket = createSocket('udp6');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(0, '::1', () => {
      socket.close();
      resolve(true);
    });
  });
  return ipv6;
}

/** The reason printed when IPv6 cases are skipped. */
export const NO_IPV6 = 'IPv6 loopback (::1) cannot be bound on this machine';
