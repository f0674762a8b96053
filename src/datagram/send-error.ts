import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import {
  MessageTooLargeError,
  PermissionDeniedError,
  toSocketError,
  type SocketError,
} from '../errors.js';

/** The facts a send error message needs. */
export interface SendErrorContext {
  what: 'send' | 'sendTo';
  size: number;
  target: Endpoint | undefined;
  limit: number;
  broadcast: boolean;
}

/** Maps a system error from a send, with a hint where the usual cause is known. */
export function sendError(error: Error, context: SendErrorContext): SocketError {
  const { what, size, target, limit } = context;
  const code = (error as { code?: unknown }).code;
  const head =
    target === undefined
      ? what
      : `${what === 'send' ? 'send to' : 'sendTo'} ${formatEndpoint(target)}`;
  const options = { endpoint: target, cause: error };
  if (code === 'EMSGSIZE') {
    return new MessageTooLargeError(
      `${head} failed: the system refused a ${size}-byte datagram as too long`,
      size,
      limit,
      options,
    );
  }
  if ((code === 'EACCES' || code === 'EPERM') && !context.broadcast) {
    return new PermissionDeniedError(
      `${head} failed: permission denied (a broadcast address needs setBroadcast(true))`,
      options,
    );
  }
  return toSocketError(error, 'send', target);
}
