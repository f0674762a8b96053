/**
 * dsock: Berkeley-style datagram and stream sockets for TypeScript on Node.js.
 * @packageDocumentation
 */
export * from './endpoint/index.js';
export * from './errors.js';
export type { WaitOptions } from './internal/deadline.js';
export * from './datagram/index.js';
export * from './stream/index.js';
export * from './framing/index.js';
export * from './reliable/index.js';
export * from './discovery/index.js';
