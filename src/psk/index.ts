export { generatePsk, parsePsk, PSK_LENGTH } from './key.js';
export { REPLAY_WINDOW } from './replay-window.js';
export {
  DEFAULT_PSK_MAX_SENDERS,
  PskSealer,
  SEALED_OVERHEAD,
  sealerFor,
  type PskOptions,
  type PskStats,
} from './sealer.js';
