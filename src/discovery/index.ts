export {
  Discovery,
  type Announcement,
  type BrowseFilter,
  type DiscoveredPeer,
  type DiscoveryEvents,
  type DiscoveryStats,
  type LostInfo,
} from './discovery.js';
export {
  DEFAULT_BEACON_INTERVAL,
  DEFAULT_BEACON_QUEUE,
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_ROOMS,
  DEFAULT_MISSED_BEACONS,
  DEFAULT_RESCAN_INTERVAL,
  type DiscoveryOptions,
  type ResolvedDiscoveryOptions,
} from './options.js';
export {
  BEACON_VERSION,
  DEFAULT_DISCOVERY_GROUP,
  DEFAULT_DISCOVERY_PORT,
  MAX_BEACON_SIZE,
  MAX_LABEL_BYTES,
  encodeBeacon,
  parseBeacon,
  type Beacon,
} from './beacon.js';
