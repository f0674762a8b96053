/**
 * The part of @grpc/grpc-js (1.14) that the RPC benchmark uses. The package is bench/'s own
 * dependency, absent from a main install, so the benchmark compiles against this instead of
 * the package's declarations.
 */
declare module '@grpc/grpc-js' {
  /** How one method travels: its path and its message codecs, both ends. */
  export interface MethodDefinition<Req, Res> {
    path: string;
    requestStream: boolean;
    responseStream: boolean;
    requestSerialize(value: Req): Buffer;
    requestDeserialize(bytes: Buffer): Req;
    responseSerialize(value: Res): Buffer;
    responseDeserialize(bytes: Buffer): Res;
  }

  export type ServiceDefinition = Readonly<Record<string, MethodDefinition<never, never>>>;

  /** What a unary handler receives: the decoded request. */
  export interface ServerUnaryCall<Req> {
    readonly request: Req;
  }

  export type SendUnaryData<Res> = (error: Error | null, value?: Res) => void;

  export type UntypedHandler = (
    call: ServerUnaryCall<never>,
    callback: SendUnaryData<unknown>,
  ) => void;

  export class ServerCredentials {
    static createInsecure(): ServerCredentials;
  }

  export class ChannelCredentials {}

  export const credentials: { createInsecure(): ChannelCredentials };

  export class Server {
    constructor(options?: Record<string, unknown>);
    addService(service: ServiceDefinition, implementation: Record<string, UntypedHandler>): void;
    bindAsync(
      port: string,
      creds: ServerCredentials,
      callback: (error: Error | null, port: number) => void,
    ): void;
    forceShutdown(): void;
  }

  export type UnaryCallback<Res> = (error: Error | null, value?: Res) => void;

  /** A channel to one server: HTTP/2, every call a stream of the one connection. */
  export class Client {
    constructor(address: string, credentials: ChannelCredentials, options?: object);
    makeUnaryRequest<Req, Res>(
      method: string,
      serialize: (value: Req) => Buffer,
      deserialize: (bytes: Buffer) => Res,
      argument: Req,
      callback: UnaryCallback<Res>,
    ): unknown;
    close(): void;
  }
}
