import { DatagramSocket } from '../datagram/datagram-socket.js';
import type { DatagramSocketOptions } from '../datagram/options.js';
import type { EndpointLike } from '../endpoint/endpoint.js';
import { ReliableDatagramSocket } from '../reliable/reliable-socket.js';
import { SealedDatagramSocket } from '../apps/sealed-datagram.js';

/** The `--reliable` option the datagram commands share. */
export const RELIABLE_OPTION = { reliable: { type: 'boolean' } } as const;

export const RELIABLE_HELP = `  --reliable     speak dsock's reliable datagram protocol (every message delivered once and in
                 order; see docs/reliable-protocol.md); the peers must use --reliable too`;

/** A datagram transport the commands run over: plain UDP, or reliable datagrams. */
export type CommandTransport = DatagramSocket | ReliableDatagramSocket | SealedDatagramSocket;

/**
 * Binds a plain datagram socket, or a reliable one with `reliable`; with `psk`, every datagram
 * is sealed with that key.
 */
export function bindTransport(
  local: EndpointLike | undefined,
  reliable: boolean,
  options: DatagramSocketOptions = {},
  psk?: Uint8Array,
): Promise<CommandTransport> {
  if (reliable) return ReliableDatagramSocket.bind(local, psk ? { ...options, psk } : options);
  return psk
    ? SealedDatagramSocket.bind(local, { ...options, psk })
    : DatagramSocket.bind(local, options);
}
