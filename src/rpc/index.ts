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
export { type Arity, type CallContext, type RpcMethod } from './methods.js';
export {
  DEFAULT_MAX_CALLS_IN_FLIGHT,
  DEFAULT_RESPONSE_BUFFER_LIMIT,
  DEFAULT_RPC_IDLE_TIMEOUT,
  DEFAULT_RPC_PARTIAL_FRAME_TIMEOUT,
  RpcServer,
  type RpcServerOptions,
  type RpcServerStats,
} from './server.js';
export {
  DEFAULT_CALL_TIMEOUT,
  RpcClient,
  type CallOptions,
  type RpcClientOptions,
} from './client.js';
export type { RpcStub } from './stub.js';
