import { DatagramSocket } from '../datagram/datagram-socket.js';
import type { DatagramSocketOptions } from '../datagram/options.js';
import type { EndpointLike } from '../endpoint/endpoint.js';
import type { ReliableDatagramSocket } from '../reliable/reliable-socket.js';
import type { SealedDatagramSocket } from '../apps/sealed-datagram.js';

/** The `--reliable` option the datagram commands share. */
export const RELIABLE_OPTION = { reliable: { type: 'boolean' } } as const;

export const RELIABLE_HELP = `  --reliable     speak dsock's reliable datagram protocol (every message delivered once and in
                 order; see docs/reliable-protocol.md); the peers must use --reliable too`;

/** A datagram transport the commands run over: plain UDP, or reliable datagrams. */
export type CommandTransport = DatagramSocket | ReliableDatagramSocket | SealedDatagramSocket;

/**
 * Binds a plain datagram socket, or a reliable one with `reliable`; with `psk`, every datagram
 * is sealed with that key; `closeTimeout` is the reliable socket's (its default otherwise). The
 * reliable and sealed sockets are loaded only when asked for, so
 * that a command which imports this module for its options starts without their modules.
 */
export async function bindTransport(
  local: EndpointLike | undefined,
  reliable: boolean,
  options: DatagramSocketOptions = {},
  psk?: Uint8Array,
  closeTimeout?: number,
): Promise<CommandTransport> {
  if (reliable) {
    const { ReliableDatagramSocket } = await import('../reliable/reliable-socket.js');
    const closing = closeTimeout === undefined ? {} : { closeTimeout };
    return ReliableDatagramSocket.bind(
      local,
      psk ? { ...options, ...closing, psk } : { ...options, ...closing },
    );
  }
  if (psk === undefined) return DatagramSocket.bind(local, options);
  const { SealedDatagramSocket } = await import('../apps/sealed-datagram.js');
  return SealedDatagramSocket.bind(local, { ...options, psk });
}
