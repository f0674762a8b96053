export {
  StreamSocket,
  type ConnectOptions,
  type SendOptions,
  type ShutdownHow,
  type StreamSocketOptions,
} from './stream-socket.js';
export {
  StreamServer,
  DEFAULT_ACCEPT_QUEUE_LIMIT,
  DEFAULT_MAX_CONNECTIONS,
  type ConnectionRefusal,
  type ListenOptions,
  type RefusalReason,
  type StreamServerStats,
} from './stream-server.js';
export { DEFAULT_RECEIVE_BUFFER_LIMIT } from './options.js';
export {
  DEFAULT_TLS_HANDSHAKE_TIMEOUT,
  type TlsConnectOptions,
  type TlsListenOptions,
  type TlsMaterial,
  type TlsSession,
} from './tls-options.js';
