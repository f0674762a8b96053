// The declarations use Node's types (Buffer, AbortSignal, net.Socket): a TypeScript app needs
// @types/node, and this line, kept in dist/index.d.ts, says so to its compiler.
/// <reference types="node" preserve="true" />
/**
 * dsock: Berkeley-style datagram and stream sockets for TypeScript on Node.js.
 * @packageDocumentation
 */
// The public surface, name by name: whatever is not listed here is internal, however it is
// exported between dsock's own modules. etc/dsock.api.md records it (npm run api).
export {
  ANY_ADDRESS,
  LOOPBACK_ADDRESS,
  checkHost,
  checkPort,
  familyOf,
  formatEndpoint,
  interfaceAddress,
  isValidHost,
  localAddresses,
  multicastInterfaces,
  parseEndpoint,
  toEndpoint,
  type AddressFamily,
  type AddressFlags,
  type Endpoint,
  type EndpointDefaults,
  type EndpointLike,
  type LocalAddress,
  type LocalAddressesOptions,
  type MulticastInterface,
} from './endpoint/index.js';
export {
  AbortError,
  AddressInUseError,
  AddressNotAvailableError,
  ConnectionRefusedError,
  ConnectionResetError,
  FrameTooLargeError,
  HostUnreachableError,
  IncompleteReadError,
  InvalidArgumentError,
  InvalidEndpointError,
  MessageTooLargeError,
  NameResolutionError,
  PeerUnreachableError,
  PermissionDeniedError,
  ProtocolError,
  SocketClosedError,
  SocketError,
  TimeoutError,
  type EndpointPart,
  type InvalidArgumentErrorOptions,
  type SocketErrorCode,
  type SocketErrorOptions,
} from './errors.js';
export type { WaitOptions } from './internal/deadline.js';
export {
  DatagramSocket,
  DEFAULT_RECEIVE_QUEUE_BYTES,
  DEFAULT_RECEIVE_QUEUE_LIMIT,
  MAX_DATAGRAM_SIZE,
  type DatagramBackend,
  type DatagramReceiveOptions,
  type DatagramSendOptions,
  type DatagramSocketOptions,
  type DatagramStats,
  type ReceivedDatagram,
} from './datagram/index.js';
// What DatagramSocket inherits (addresses, connect, socket options): exported so that the API
// report pins those members too.
export type { DatagramSocketBase } from './datagram/socket-base.js';
export {
  DEFAULT_ACCEPT_QUEUE_LIMIT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_RECEIVE_BUFFER_LIMIT,
  StreamServer,
  StreamSocket,
  type ConnectOptions,
  type ConnectionRefusal,
  type ListenOptions,
  type RefusalReason,
  type SendOptions,
  type ShutdownHow,
  type StreamServerStats,
  type StreamSocketOptions,
} from './stream/index.js';
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_PARTIAL_FRAME_TIMEOUT,
  encodeFrame,
  FrameDecoder,
  FrameWriter,
  MAX_VARINT_BYTES,
  MessageStream,
  PREFIX_LIMITS,
  type ByteSink,
  type FramingOptions,
  type FrameWriterOptions,
  type LengthPrefix,
  type MessageConnection,
  type MessageStreamOptions,
  type WriteCallback,
} from './framing/index.js';
export {
  formatChatMessage,
  isLeaveMessage,
  isoLocalTimestamp,
  LEAVE_TEXT,
  parseChatMessage,
  type ChatMessage,
} from './framing/index.js';
export {
  ChaosRelay,
  ReliableDatagramSocket,
  type ChaosRelayOptions,
  type DirectionStats,
  type Faults,
  type PeerStats,
  type RelayStats,
  type ReliableCloseOptions,
  type ReliableMessage,
  type ReliableSocketOptions,
  type ReliableStats,
} from './reliable/index.js';
export {
  BEACON_VERSION,
  DEFAULT_BEACON_INTERVAL,
  DEFAULT_BEACON_QUEUE,
  DEFAULT_DISCOVERY_GROUP,
  DEFAULT_DISCOVERY_PORT,
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_ROOMS,
  DEFAULT_MISSED_BEACONS,
  DEFAULT_RESCAN_INTERVAL,
  Discovery,
  encodeBeacon,
  MAX_BEACON_SIZE,
  MAX_LABEL_BYTES,
  parseBeacon,
  type Announcement,
  type Beacon,
  type BrowseFilter,
  type DiscoveredPeer,
  type DiscoveryOptions,
  type DiscoveryStats,
  type LostInfo,
} from './discovery/index.js';
