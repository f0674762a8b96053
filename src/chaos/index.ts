export {
  ChaosRelay,
  type ChaosRelayOptions,
  type DirectionStats,
  type RelayStats,
} from './chaos-relay.js';
export { FaultPlan, type FaultDecision, type Faults } from './fault-plan.js';
