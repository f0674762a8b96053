export {
  ChaosRelay,
  type ChaosRelayOptions,
  type DirectionStats,
  type RelayStats,
} from './chaos-relay.js';
export { FaultPlan, type FaultDecision, type Faults } from './fault-plan.js';
export { ReliableDatagramSocket } from './reliable-socket.js';
export type { ReliableMessage } from './delivery-queue.js';
export type {
  PeerStats,
  ReliableCloseOptions,
  ReliableSocketOptions,
  ReliableStats,
} from './options.js';
