export {
  DEFAULT_MAX_DEPTH,
  RawJson,
  TaggedValue,
  TypeRegistry,
  TYPE_KEY,
  type Decoder,
  type Encoder,
  type TypeCodec,
  type TypeRegistryOptions,
} from './presentation.js';
export type { Fields } from './fields.js';
export { DateTime, TimeDelta } from './time-types.js';
export { MAX_METHOD_NAME, Request, Response, rpcRegistry, type CallId } from './messages.js';
export { DEFAULT_RPC_MAX_MESSAGE_SIZE, type RpcPrefix, type RpcWireOptions } from './options.js';
