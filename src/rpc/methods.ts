/**
 * The methods a server offers, and how one request becomes one response: decoded, checked
 * (method known, arity), run, and its result or error put in a Response. Every failure, from
 * malformed JSON to a handler that throws, becomes an error response; nothing a peer sends can
 * throw out of {@link MethodTable.dispatch}.
 */
import type { Endpoint } from '../endpoint/endpoint.js';
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';
import { expectTagged, Request, Response, type CallId } from './messages.js';
import type { TypeRegistry } from './presentation.js';

/** What a method learns about the call besides its arguments. */
export interface CallContext {
  /** The method called. */
  readonly method: string;
  /** The caller's address and port. */
  readonly remoteEndpoint: Endpoint;
  /** The request's metadata, decoded (the secure users service carries a Token here), or null. */
  readonly metadata: unknown;
}

/**
 * A method: called with the call's context and the decoded arguments; its result (or what its
 * promise resolves with) is the call's result, and what it throws becomes the error response,
 * with the error's message as the text.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each method declares its own argument types
export type RpcMethod = (context: CallContext, ...args: any[]) => unknown;

/** How many arguments a method takes, when its declaration does not say it exactly. */
export interface Arity {
  /** Fewest arguments (default: the method's declared parameters after the context). */
  minArgs?: number;
  /** Most arguments (default: `minArgs`, or the declared parameters; `Infinity` for any). */
  maxArgs?: number;
}

interface Entry {
  readonly method: RpcMethod;
  readonly minArgs: number;
  readonly maxArgs: number;
}

function arityText(entry: Entry): string {
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (entry.minArgs === entry.maxArgs) return plural(entry.minArgs);
  if (entry.maxArgs === Infinity) return `at least ${plural(entry.minArgs)}`;
  return `${entry.minArgs} to ${plural(entry.maxArgs)}`;
}

/** The text of what a method threw, as the course's servers send it. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** The methods of a server by name. */
export class MethodTable {
  readonly #entries = new Map<string, Entry>();

  /**
   * Adds `method` under `name` (replacing one of that name). Throws
   * {@link InvalidArgumentError} for an empty name, a method that is not a function, or an
   * arity that no call can meet.
   */
  add(name: string, method: RpcMethod, arity: Arity = {}): void {
    if (typeof name !== 'string' || name === '') {
      throw new InvalidArgumentError('name', 'a method name (a non-empty string)', name);
    }
    if (typeof method !== 'function') {
      throw new InvalidArgumentError(`method ${name}`, 'a function', method);
    }
    if (typeof arity !== 'object' || arity === null) {
      throw new InvalidArgumentError(
        'arity',
        'an object such as { minArgs: 1, maxArgs: 2 }',
        arity,
      );
    }
    const declared = Math.max(0, method.length - 1);
    const minArgs = checkInteger('minArgs', arity.minArgs ?? declared, 0, Number.MAX_SAFE_INTEGER);
    const maxArgs = arity.maxArgs ?? Math.max(minArgs, declared);
    if (maxArgs !== Infinity) checkInteger('maxArgs', maxArgs, minArgs, Number.MAX_SAFE_INTEGER);
    this.#entries.set(name, { method, minArgs, maxArgs });
  }

  /** The names of the methods, in the order they were added. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Runs the call that `frame` holds and resolves (or returns, for a method that returns at
   * once) the response text to send. Never throws.
   */
  dispatch(
    frame: Buffer,
    remote: Endpoint,
    registry: TypeRegistry,
    maxMessageSize: number,
  ): string | Promise<string> {
    let request: Request;
    let id: CallId | undefined;
    try {
      let tree: unknown;
      try {
        tree = JSON.parse(frame.toString('utf8'));
      } catch (error) {
        throw new ProtocolError(`malformed JSON: ${(error as Error).message}`);
      }
      id = rawId(tree);
      request = expectTagged(registry.decode(tree), Request, 'Request');
    } catch (error) {
      return respond(
        registry,
        new Response(null, `bad request: ${errorText(error)}`, id),
        maxMessageSize,
      );
    }
    const entry = this.#entries.get(request.name);
    if (entry === undefined) {
      return respond(
        registry,
        new Response(null, `unknown method "${request.name}"`, id),
        maxMessageSize,
      );
    }
    const count = request.args.length;
    if (count < entry.minArgs || count > entry.maxArgs) {
      const text = `${request.name}() takes ${arityText(entry)}, ${count} given`;
      return respond(registry, new Response(null, text, id), maxMessageSize);
    }
    const context: CallContext = {
      method: request.name,
      remoteEndpoint: remote,
      metadata: request.metadata,
    };
    let result: unknown;
    try {
      result = entry.method(context, ...request.args);
    } catch (error) {
      return respond(registry, new Response(null, errorText(error), id), maxMessageSize);
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => respond(registry, new Response(value, null, id), maxMessageSize),
        (error: unknown) =>
          respond(registry, new Response(null, errorText(error), id), maxMessageSize),
      );
    }
    return respond(registry, new Response(result, null, id), maxMessageSize);
  }
}

/** The id of a request that may not decode, so that even its error response can carry it. */
function rawId(tree: unknown): CallId | undefined {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) return undefined;
  const id = (tree as Record<string, unknown>).id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  if (typeof id === 'string' && id.length <= 64) return id;
  return undefined;
}

/** The response as text; a result that cannot be sent becomes an error response instead. */
function respond(registry: TypeRegistry, response: Response, maxMessageSize: number): string {
  let text: string;
  try {
    text = registry.stringify(response);
  } catch (error) {
    return registry.stringify(
      new Response(null, `the result cannot be sent: ${errorText(error)}`, response.id),
    );
  }
  const size = Buffer.byteLength(text);
  if (size <= maxMessageSize) return text;
  if (response.error !== null) {
    // An error's text can be anything a method threw: its start says what went wrong.
    const short = `${response.error.slice(0, 512)}... (${response.error.length} characters)`;
    return registry.stringify(new Response(null, short, response.id));
  }
  return registry.stringify(
    new Response(
      null,
      `the result cannot be sent: it takes ${size} bytes, more than the ${maxMessageSize} ` +
        'a message may carry',
      response.id,
    ),
  );
}
