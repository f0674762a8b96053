import { DatagramSocket } from '../datagram/datagram-socket.js';
import type { DatagramSocketOptions } from '../datagram/options.js';
import type { EndpointLike } from '../endpoint/endpoint.js';
import type { ReliableDatagramSocket } from '../reliable/reliable-socket.js';
import type { SealedDatagramSocket } from '../apps/sealed-datagram.js';
import { numberOption } from './args.js';
import { UsageError } from './usage-error.js';

/** The `--reliable` and `--peer-timeout` options of the commands that send reliable messages. */
export const RELIABLE_OPTION = {
  reliable: { type: 'boolean' },
  'peer-timeout': { type: 'string' },
} as const;

/** The reliable protocol's default peer timeout, in seconds, as the help texts give it. */
const DEFAULT_PEER_TIMEOUT_SECONDS = 10;

/** The help lines of {@link RELIABLE_OPTION}, in the layout of the commands' option lists. */
export const RELIABLE_HELP = `  --reliable     speak dsock's reliable datagram protocol (every message delivered once and in
                 order; see docs/reliable-protocol.md); the peers must use --reliable too
  --peer-timeout S
                 with --reliable: give up on a peer that acknowledges nothing for S seconds
                 (default ${DEFAULT_PEER_TIMEOUT_SECONDS})`;

/** What a command asked of the reliable protocol: its timers, in milliseconds. */
export interface ReliableChoice {
  /** How long a peer may acknowledge nothing before it is given up (the protocol's default). */
  peerTimeout?: number;
  /** How long closing waits for the peers' acknowledgements (the protocol's default). */
  closeTimeout?: number;
}

/**
 * The reliable choice of a command line parsed with {@link RELIABLE_OPTION}: undefined without
 * `--reliable`. `--peer-timeout` without `--reliable` is a usage error, not silently ignored.
 */
export function reliableChoice(values: {
  reliable?: string | boolean;
  'peer-timeout'?: string | boolean;
}): ReliableChoice | undefined {
  const seconds = numberOption(values['peer-timeout'], 'peer-timeout', {
    min: 0.001,
    unit: 'seconds',
  });
  if (values.reliable !== true) {
    if (seconds !== undefined) throw new UsageError('--peer-timeout needs --reliable');
    return undefined;
  }
  return seconds === undefined ? {} : { peerTimeout: Math.max(1, Math.round(seconds * 1000)) };
}

/** A datagram transport the commands run over: plain UDP, or reliable datagrams. */
export type CommandTransport = DatagramSocket | ReliableDatagramSocket | SealedDatagramSocket;

/**
 * Binds a plain datagram socket, or a reliable one with its timers when `reliable` is given;
 * with `psk`, every datagram is sealed with that key. The reliable and sealed sockets are loaded
 * only when asked for, so that a command which imports this module for its options starts
 * without their modules.
 */
export async function bindTransport(
  local: EndpointLike | undefined,
  reliable: ReliableChoice | undefined,
  options: DatagramSocketOptions = {},
  psk?: Uint8Array,
): Promise<CommandTransport> {
  if (reliable) {
    const { ReliableDatagramSocket } = await import('../reliable/reliable-socket.js');
    return ReliableDatagramSocket.bind(
      local,
      psk ? { ...options, ...reliable, psk } : { ...options, ...reliable },
    );
  }
  if (psk === undefined) return DatagramSocket.bind(local, options);
  const { SealedDatagramSocket } = await import('../apps/sealed-datagram.js');
  return SealedDatagramSocket.bind(local, { ...options, psk });
}
