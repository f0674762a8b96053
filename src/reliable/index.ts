export { ReliableDatagramSocket } from './reliable-socket.js';
export type { ReliableMessage } from './delivery-queue.js';
export type {
  PeerStats,
  ReliableCloseOptions,
  ReliableSocketOptions,
  ReliableStats,
} from './options.js';
