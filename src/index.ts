// The declarations use Node's types (Buffer, AbortSignal, net.Socket): a TypeScript app needs
// @types/node, and this line, kept in dist/index.d.ts, says so to its compiler.
/// <reference types="node" preserve="true" />
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
export * from './rpc/index.js';
export * from './apps/users/index.js';
