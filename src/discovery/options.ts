import { randomBytes } from 'node:crypto';
import { checkGroup } from '../datagram/addresses.js';
import { checkPort } from '../endpoint/parse.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';
import { DEFAULT_DISCOVERY_GROUP, DEFAULT_DISCOVERY_PORT, INTERVAL_RANGE } from './beacon.js';

/** Beacons sent per interval unless configured, in milliseconds. */
export const DEFAULT_BEACON_INTERVAL = 1000;
/** A peer is lost after this many of its intervals without a beacon. */
export const DEFAULT_MISSED_BEACONS = 3;
/** How often the interfaces are listed again to follow ones that come and go, in ms. */
export const DEFAULT_RESCAN_INTERVAL = 2000;
/** The most peers tracked at once; beacons of further ones are ignored until some are lost. */
export const DEFAULT_MAX_PEERS = 256;
/** The most rooms tracked at once when browsing every room. */
export const DEFAULT_MAX_ROOMS = 16;
/** Beacons held while the receive loop is busy; more are dropped by the socket. */
export const DEFAULT_BEACON_QUEUE = 256;

/** Options of {@link Discovery.start}. Every cap and timer a peer could stretch has a default. */
export interface DiscoveryOptions {
  /** The multicast group of the beacons (default {@link DEFAULT_DISCOVERY_GROUP}). */
  group?: string;
  /** The UDP port of the beacons (default {@link DEFAULT_DISCOVERY_PORT}). */
  port?: number;
  /** Milliseconds between two beacons, 100..60,000 (default {@link DEFAULT_BEACON_INTERVAL}). */
  interval?: number;
  /** Intervals without a beacon after which a peer is lost, 2..10 (default {@link DEFAULT_MISSED_BEACONS}). */
  missedBeacons?: number;
  /** Milliseconds between two listings of the interfaces (default {@link DEFAULT_RESCAN_INTERVAL}). */
  rescanInterval?: number;
  /** The most peers tracked at once (default {@link DEFAULT_MAX_PEERS}). */
  maxPeers?: number;
  /** The most rooms tracked at once when browsing every room (default {@link DEFAULT_MAX_ROOMS}). */
  maxRooms?: number;
  /** Beacons queued for reading before the socket drops more (default {@link DEFAULT_BEACON_QUEUE}). */
  beaconQueue?: number;
  /** This node's id, 16 hexadecimal digits (default: random). */
  nodeId?: string;
  /** This node's incarnation (default: the start time in milliseconds). */
  incarnation?: number;
}

/**
 * {@link DiscoveryOptions} checked, with every default filled in: what `Discovery.options`
 * holds.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_PEERS, type ResolvedDiscoveryOptions } from 'dsock';
 *
 * const limit = (options: ResolvedDiscoveryOptions): number => options.maxPeers;
 * console.log(DEFAULT_MAX_PEERS > 0); // true
 * void limit;
 * ```
 */
export type ResolvedDiscoveryOptions = Required<DiscoveryOptions>;

/**
 * Checks discovery options; throws an InvalidArgumentError (InvalidEndpointError for the group)
 * naming the wrong one.
 */
export function resolveDiscoveryOptions(options: DiscoveryOptions): ResolvedDiscoveryOptions {
  const nodeId = options.nodeId ?? randomBytes(8).toString('hex');
  if (!/^[0-9a-f]{16}$/.test(nodeId)) {
    throw new InvalidArgumentError('nodeId', '16 lowercase hexadecimal digits', nodeId);
  }
  const group = options.group ?? DEFAULT_DISCOVERY_GROUP;
  checkGroup(group, 'IPv4');
  return {
    group,
    port: checkPort(options.port ?? DEFAULT_DISCOVERY_PORT),
    interval: checkInteger(
      'interval',
      options.interval ?? DEFAULT_BEACON_INTERVAL,
      INTERVAL_RANGE.min,
      INTERVAL_RANGE.max,
    ),
    missedBeacons: checkInteger(
      'missedBeacons',
      options.missedBeacons ?? DEFAULT_MISSED_BEACONS,
      2,
      10,
    ),
    rescanInterval: checkInteger(
      'rescanInterval',
      options.rescanInterval ?? DEFAULT_RESCAN_INTERVAL,
      100,
      600_000,
    ),
    maxPeers: checkInteger('maxPeers', options.maxPeers ?? DEFAULT_MAX_PEERS, 1, 100_000),
    maxRooms: checkInteger('maxRooms', options.maxRooms ?? DEFAULT_MAX_ROOMS, 1, 10_000),
    beaconQueue: checkInteger(
      'beaconQueue',
      options.beaconQueue ?? DEFAULT_BEACON_QUEUE,
      1,
      65_536,
    ),
    nodeId,
    incarnation: checkInteger(
      'incarnation',
      options.incarnation ?? Date.now(),
      0,
      Number.MAX_SAFE_INTEGER,
    ),
  };
}
