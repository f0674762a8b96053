/**
 * The two messages of the course's RPC protocol, each one frame of tagged JSON:
 * `{"name": method, "args": [...], "metadata": ..., "$type": "Request"}` and
 * `{"result": ..., "error": text | null, "$type": "Response"}`. dsock adds an optional `id`
 * to both, for many calls in flight on one connection; a server that does not know it ignores
 * it, and a client that sends none expects none back.
 */
import { ProtocolError } from '../errors.js';
import { arrayField, field, kindOf, optionalStringField, stringField } from './fields.js';
import {
  TaggedValue,
  TYPE_KEY,
  TypeRegistry,
  type TypeCodec,
  type TypeRegistryOptions,
} from './presentation.js';
import { dateCodec, dateTimeCodec, timeDeltaCodec } from './time-types.js';

/** A request id: what a multiplexing client puts in a request, echoed in its response. */
export type CallId = number | string;

/** One call: the method's name, its arguments, and the caller's metadata (a token). */
export class Request {
  constructor(
    readonly name: string,
    readonly args: readonly unknown[],
    readonly metadata: unknown = null,
    readonly id: CallId | undefined = undefined,
  ) {}
}

/** The answer to one call: a result, or the error's text (and a null result). */
export class Response {
  constructor(
    readonly result: unknown,
    readonly error: string | null,
    readonly id: CallId | undefined = undefined,
  ) {}
}

/** The longest method name accepted: 256 characters. */
export const MAX_METHOD_NAME = 256;
/** The longest string request id echoed: 64 characters. */
const MAX_ID_LENGTH = 64;

function callId(value: unknown, type: string): CallId | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) return value;
  throw new ProtocolError(
    `${type}: field "id" must be an integer or a string of at most ${MAX_ID_LENGTH} characters, ` +
      `got ${kindOf(value)}`,
  );
}

const requestCodec: TypeCodec<Request> = {
  name: 'Request',
  type: Request,
  encode(request, encoder) {
    const fields: Record<string, unknown> = {
      name: request.name,
      args: request.args.map((arg) => encoder.encode(arg)),
      metadata: encoder.encode(request.metadata),
    };
    if (request.id !== undefined) fields.id = request.id;
    return fields;
  },
  decode(fields, decoder) {
    const name = stringField(fields, 'name', 'Request');
    if (name.length > MAX_METHOD_NAME) {
      throw new ProtocolError(
        `Request: the method name is longer than ${MAX_METHOD_NAME} characters`,
      );
    }
    const args = arrayField(fields, 'args', 'Request').map((arg) => decoder.decode(arg));
    const metadata = decoder.decode(field(fields, 'metadata') ?? null);
    return new Request(name, args, metadata, callId(field(fields, 'id'), 'Request'));
  },
};

const responseCodec: TypeCodec<Response> = {
  name: 'Response',
  type: Response,
  encode(response, encoder) {
    const fields: Record<string, unknown> = {
      result: encoder.encode(response.result),
      error: response.error,
    };
    if (response.id !== undefined) fields.id = response.id;
    return fields;
  },
  decode(fields, decoder) {
    const error = optionalStringField(fields, 'error', 'Response');
    const result = decoder.decode(field(fields, 'result') ?? null);
    return new Response(result, error, callId(field(fields, 'id'), 'Response'));
  },
};

/**
 * A registry with the protocol's own types: `Request`, `Response`, `datetime` (read as
 * {@link DateTime}, also written from a `Date`) and `timedelta` ({@link TimeDelta}). Register
 * the application's types on it (the users service adds `User`, `Role`, `Credentials`,
 * `Token`).
 *
 * @example
 * ```ts
 * const registry = rpcRegistry();
 * registry.stringify(new Request('add', [1, 2])); // '{"name":"add","args":[1,2],"metadata":null,"$type":"Request"}'
 * ```
 */
export function rpcRegistry(options: TypeRegistryOptions = {}): TypeRegistry {
  return new TypeRegistry(options)
    .register(requestCodec)
    .register(responseCodec)
    .register(dateCodec)
    .register(dateTimeCodec)
    .register(timeDeltaCodec);
}

/**
 * `value` if it is a `kind` (a decoded `name`); otherwise a {@link ProtocolError} that says
 * what it was instead.
 */
export function expectTagged<T>(
  value: unknown,
  kind: abstract new (...args: never[]) => T,
  name: string,
): T {
  if (value instanceof kind) return value;
  if (value instanceof TaggedValue) {
    throw new ProtocolError(
      `expected a ${name}, got "$type" ${JSON.stringify(value.type.slice(0, 64))}`,
    );
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tag = (value as Record<string, unknown>)[TYPE_KEY];
    if (tag === undefined)
      throw new ProtocolError(`expected a ${name}, got an object without "$type"`);
    const shown = typeof tag === 'string' ? JSON.stringify(tag.slice(0, 64)) : kindOf(tag);
    throw new ProtocolError(`expected a ${name}, got "$type" ${shown}`);
  }
  throw new ProtocolError(`expected a ${name}, got ${kindOf(value)}`);
}
