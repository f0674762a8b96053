/**
 * The @grpc/grpc-js contender of the RPC scenario (../rpc.ts): the same call, add(a, b), as a
 * gRPC unary call over one HTTP/2 connection (a channel), every call in flight a stream of it.
 * The messages are protobuf's bytes, `AddRequest { int32 a = 1; int32 b = 2; }` and
 * `AddReply { int32 result = 1; }`, encoded by hand: the least work any protobuf library can do
 * for them, so that the comparison favours gRPC rather than dsock.
 */
import type * as grpcTypes from '@grpc/grpc-js';
import { loadContender } from '../../lib/contender-modules.js';
import { STOP, type PeerContext } from '../../lib/peer-protocol.js';
import { clientSide, type ClientParams } from './peers.js';

/** @grpc/grpc-js, from bench/node_modules (see ../../types/grpc-js.d.ts). */
type Grpc = typeof grpcTypes;

const HOST = '127.0.0.1';
const PATH = '/calculator.Calculator/Add';

interface AddRequest {
  a: number;
  b: number;
}

interface AddReply {
  result: number;
}

/** Appends `value` (a non-negative integer below 2^31) as a protobuf varint. */
function varint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
}

/** Reads the varint fields of a message: field number to value (proto3: absent is 0). */
function readFields(bytes: Buffer): Map<number, number> {
  const fields = new Map<number, number>();
  let at = 0;
  while (at < bytes.length) {
    const key = bytes[at++] as number;
    if ((key & 7) !== 0) throw new Error(`unexpected wire type ${key & 7}`);
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    fields.set(key >>> 3, value);
  }
  return fields;
}

function encodeRequest(request: AddRequest): Buffer {
  const out: number[] = [];
  if (request.a !== 0) {
    out.push(0x08);
    varint(out, request.a);
  }
  if (request.b !== 0) {
    out.push(0x10);
    varint(out, request.b);
  }
  return Buffer.from(out);
}

function decodeRequest(bytes: Buffer): AddRequest {
  const fields = readFields(bytes);
  return { a: fields.get(1) ?? 0, b: fields.get(2) ?? 0 };
}

function encodeReply(reply: AddReply): Buffer {
  const out: number[] = [];
  if (reply.result !== 0) {
    out.push(0x08);
    varint(out, reply.result);
  }
  return Buffer.from(out);
}

function decodeReply(bytes: Buffer): AddReply {
  return { result: readFields(bytes).get(1) ?? 0 };
}

export async function grpcServer(context: PeerContext<unknown>): Promise<void> {
  const grpc = loadContender<Grpc>('@grpc/grpc-js');
  const server = new grpc.Server();
  const service = {
    add: {
      path: PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: encodeRequest,
      requestDeserialize: decodeRequest,
      responseSerialize: encodeReply,
      responseDeserialize: decodeReply,
    },
  };
  server.addService(service as unknown as grpcTypes.ServiceDefinition, {
    add: (
      call: { request: AddRequest },
      callback: (error: Error | null, value: AddReply) => void,
    ) => {
      callback(null, { result: call.request.a + call.request.b });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  context.post({ type: 'ready', port });
  await context.next(STOP);
  server.forceShutdown();
}

export async function grpcClient(context: PeerContext<ClientParams>): Promise<void> {
  const grpc = loadContender<Grpc>('@grpc/grpc-js');
  const client = new grpc.Client(
    `${HOST}:${context.params.port}`,
    grpc.credentials.createInsecure(),
  );
  const add = (a: number, b: number): Promise<number> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest<AddRequest, AddReply>(
        PATH,
        encodeRequest,
        decodeReply,
        { a, b },
        (error, reply) => {
          if (error || reply === undefined) reject(error ?? new Error('no reply'));
          else resolve(reply.result);
        },
      );
    });
  try {
    await clientSide(context, () => add);
  } finally {
    client.close();
  }
}
