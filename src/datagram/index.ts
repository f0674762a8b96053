export { DatagramSocket } from './datagram-socket.js';
export { MAX_SEND_MANY } from './batch.js';
export type { DatagramBackend } from './transport.js';
export {
  DEFAULT_RECEIVE_QUEUE_BYTES,
  DEFAULT_RECEIVE_QUEUE_LIMIT,
  MAX_DATAGRAM_SIZE,
  type DatagramReceiveOptions,
  type DatagramSendOptions,
  type DatagramSocketOptions,
  type DatagramStats,
  type ReceivedDatagram,
} from './options.js';
