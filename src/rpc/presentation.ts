/**
 * The tagged-JSON presentation of the course's RPC lab: objects travel as JSON objects whose
 * `$type` field names their type (`{"username": "ada", ..., "$type": "User"}`), plain
 * dictionaries as untagged objects, lists, sets and tuples as arrays. A {@link TypeRegistry}
 * knows how to turn each registered type into its fields and back; a tag it does not know is
 * kept as a {@link TaggedValue}, so that a value passes through unchanged.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';
import { kindOf, type Fields } from './fields.js';

/** The key that carries an object's type name. */
export const TYPE_KEY = '$type';

/** How deeply values may nest unless told otherwise: 64 levels of arrays and objects. */
export const DEFAULT_MAX_DEPTH = 64;

/** Encodes nested values for a {@link TypeCodec}: what its `encode` calls on each field. */
export interface Encoder {
  encode(value: unknown): unknown;
}

/** Decodes nested values for a {@link TypeCodec}: what its `decode` calls on each field. */
export interface Decoder {
  decode(value: unknown): unknown;
}

/** How one type is presented: its tag, how to recognise it, its fields, and back. */
export interface TypeCodec<T> {
  /** The `$type` tag (`"User"`). */
  readonly name: string;
  /** The class whose instances this codec encodes (matched by constructor). */
  readonly type?: abstract new (...args: never[]) => T;
  /** Recognises a value to encode, for values that are not instances of one class. */
  is?(value: unknown): value is T;
  /**
   * The value's fields, in wire order, each already encoded with `encoder` (the `$type` tag is
   * added after them).
   */
  encode(value: T, encoder: Encoder): Record<string, unknown>;
  /**
   * The value from the received `fields` (`$type` included); nested values are decoded with
   * `decoder`. Throws {@link ProtocolError} naming the field that is wrong.
   */
  decode(fields: Fields, decoder: Decoder): T;
}

/**
 * An object whose `$type` no codec of the registry knows: its fields (decoded) are kept, and it
 * is encoded again exactly as it came, so that a value passes through untouched.
 */
export class TaggedValue {
  constructor(
    /** The `$type` tag as received. */
    readonly type: string,
    /** The other fields, in their order, decoded. */
    readonly fields: Readonly<Record<string, unknown>>,
  ) {}
}

/**
 * JSON text sent exactly as given, byte for byte (the token file of
 * `dsock rpc users client validate --token FILE` is sent so): checked to be JSON when made,
 * spliced into the message as it is.
 *
 * @example
 * ```ts
 * import { RawJson } from 'dsock';
 *
 * // As read from a token file: sent with its spacing and escapes untouched.
 * const token = new RawJson('{\n  "signature": "ab12",\n  "$type": "Token"\n}');
 * console.log(token.text.length); // 45
 * ```
 */
export class RawJson {
  /** The JSON text. */
  readonly text: string;

  /** Throws {@link InvalidArgumentError} when `text` is not JSON text. */
  constructor(text: string) {
    if (typeof text !== 'string') throw new InvalidArgumentError('text', 'JSON text', text);
    try {
      JSON.parse(text);
    } catch (error) {
      throw new InvalidArgumentError('text', 'JSON text', text, {
        message: `text must be JSON: ${(error as Error).message}`,
      });
    }
    this.text = text;
  }
}

/** Options of a {@link TypeRegistry}. */
export interface TypeRegistryOptions {
  /**
   * The deepest nesting of arrays and objects decoded or encoded (default
   * {@link DEFAULT_MAX_DEPTH}, 64): a peer's deeply nested message is refused with a
   * {@link ProtocolError} instead of exhausting the stack.
   */
  maxDepth?: number;
}

type AnyCodec = TypeCodec<unknown>;

/** The prototype of plain dictionaries. */
const PLAIN = Object.prototype;

/**
 * The types an RPC peer can send and receive, each with its `$type` tag: encodes values to
 * JSON text and decodes JSON text back to values.
 *
 * @example
 * ```ts
 * class Point { constructor(readonly x: number, readonly y: number) {} }
 * const registry = new TypeRegistry().register<Point>({
 *   name: 'Point',
 *   type: Point,
 *   encode: (p) => ({ x: p.x, y: p.y }),
 *   decode: (f) => new Point(f.x as number, f.y as number),
 * });
 * registry.stringify(new Point(1, 2)); // '{"x":1,"y":2,"$type":"Point"}'
 * ```
 */
export class TypeRegistry {
  readonly maxDepth: number;
  readonly #byName = new Map<string, AnyCodec>();
  readonly #byClass = new Map<unknown, AnyCodec>();
  readonly #predicates: AnyCodec[] = [];

  /** Throws {@link InvalidArgumentError} for a `maxDepth` that is not an integer from 1 to 10,000. */
  constructor(options: TypeRegistryOptions = {}) {
    this.maxDepth = checkInteger('maxDepth', options.maxDepth ?? DEFAULT_MAX_DEPTH, 1, 10_000);
  }

  /**
   * Adds (or replaces) the codec of a type; returns the registry. Throws
   * {@link InvalidArgumentError} for a codec without a name, without a way to recognise its
   * values, or without `encode` and `decode` functions.
   */
  register<T>(codec: TypeCodec<T>): this {
    if (typeof codec !== 'object' || codec === null) {
      throw new InvalidArgumentError(
        'codec',
        'an object with name, type or is(), encode and decode',
        codec,
      );
    }
    if (typeof codec.name !== 'string' || codec.name === '') {
      throw new InvalidArgumentError('codec.name', 'a non-empty string, its $type tag', codec.name);
    }
    if (typeof codec.type !== 'function' && typeof codec.is !== 'function') {
      throw new InvalidArgumentError(
        `codec ${codec.name}`,
        'an object with a type (a class) or an is() predicate',
        codec,
        { message: `codec ${codec.name} needs a type (a class) or an is() predicate` },
      );
    }
    const parts = codec as unknown as Readonly<Record<'encode' | 'decode', unknown>>;
    for (const part of ['encode', 'decode'] as const) {
      if (typeof parts[part] !== 'function') {
        throw new InvalidArgumentError(`codec ${codec.name}.${part}`, 'a function', parts[part]);
      }
    }
    const any = codec as unknown as AnyCodec;
    this.#byName.set(codec.name, any);
    if (codec.type !== undefined) this.#byClass.set(codec.type, any);
    else this.#predicates.push(any);
    return this;
  }

  /** A new registry with the same codecs and options, to add more to. */
  extend(options: TypeRegistryOptions = {}): TypeRegistry {
    const copy = new TypeRegistry({ maxDepth: options.maxDepth ?? this.maxDepth });
    for (const codec of this.#byName.values()) copy.register(codec);
    return copy;
  }

  /** True when a codec has the `$type` tag `name`. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** `value` as compact JSON text. Throws {@link InvalidArgumentError} for a value it cannot encode. */
  stringify(value: unknown): string {
    const raw: RawParts = { values: [], mark: undefined };
    const text = JSON.stringify(this.#encode(value, 0, raw));
    return raw.values.length === 0 ? text : spliceRaw(text, raw);
  }

  /** `value` as a JSON tree (plain objects, arrays and primitives), tags added. */
  encode(value: unknown): unknown {
    const raw: RawParts = { values: [], mark: undefined };
    const tree = this.#encode(value, 0, raw);
    if (raw.values.length > 0) {
      throw new InvalidArgumentError('value', 'a value without RawJson in it', value, {
        message: 'RawJson can only be sent with stringify()',
      });
    }
    return tree;
  }

  /**
   * The value JSON `text` stands for. Throws {@link ProtocolError} for text that is not JSON,
   * nesting past {@link maxDepth}, or a tagged object whose fields do not fit its type.
   */
  parse(text: string): unknown {
    let tree: unknown;
    try {
      tree = JSON.parse(text);
    } catch (error) {
      throw new ProtocolError(`malformed JSON: ${(error as Error).message}`);
    }
    return this.decode(tree);
  }

  /** The value a parsed JSON tree stands for (see {@link parse}). */
  decode(tree: unknown): unknown {
    return this.#decode(tree, 0);
  }

  #encode(value: unknown, depth: number, raw: RawParts): unknown {
    if (value === null || value === undefined) return null;
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (!Number.isFinite(value)) {
          throw unencodable(
            value,
            'a finite number',
            `cannot encode ${value}: JSON has no such number`,
          );
        }
        return value;
      case 'object':
        break;
      default:
        throw unencodable(value, ENCODABLE, `cannot encode a ${typeof value}`);
    }
    if (depth >= this.maxDepth) {
      throw unencodable(
        value,
        `nested at most ${this.maxDepth} levels deep (maxDepth)`,
        `cannot encode a value nested deeper than ${this.maxDepth} levels (maxDepth)`,
      );
    }
    const next = depth + 1;
    if (Array.isArray(value)) return value.map((item) => this.#encode(item, next, raw));
    const proto = Object.getPrototypeOf(value) as unknown;
    const codec =
      this.#byClass.get(value.constructor) ??
      this.#predicates.find((candidate) => candidate.is?.(value) === true);
    if (codec !== undefined) {
      const encoder: Encoder = { encode: (item) => this.#encode(item, next, raw) };
      const fields = codec.encode(value, encoder);
      return { ...fields, [TYPE_KEY]: codec.name };
    }
    if (value instanceof TaggedValue) {
      const fields = this.#encodeFields(value.fields, next, raw);
      return { ...fields, [TYPE_KEY]: value.type };
    }
    if (value instanceof RawJson) {
      raw.values.push(value);
      return rawMark(raw, raw.values.length - 1);
    }
    if (value instanceof Set) return [...value].map((item) => this.#encode(item, next, raw));
    if (proto === PLAIN || proto === null) {
      return this.#encodeFields(value as Record<string, unknown>, next, raw);
    }
    const name = value.constructor?.name ?? 'object';
    throw unencodable(value, ENCODABLE, `cannot encode a ${name}: register a codec for its type`);
  }

  #encodeFields(fields: Readonly<Record<string, unknown>>, depth: number, raw: RawParts) {
    return Object.fromEntries(
      Object.entries(fields).map(([key, item]) => [key, this.#encode(item, depth, raw)]),
    );
  }

  #decode(tree: unknown, depth: number): unknown {
    if (tree === null || typeof tree !== 'object') return tree;
    if (depth >= this.maxDepth) {
      throw new ProtocolError(`the message nests deeper than ${this.maxDepth} levels (maxDepth)`);
    }
    const next = depth + 1;
    if (Array.isArray(tree)) return tree.map((item) => this.#decode(item, next));
    const fields = tree as Record<string, unknown>;
    const tag = Object.hasOwn(fields, TYPE_KEY) ? fields[TYPE_KEY] : undefined;
    if (tag === undefined) return this.#decodeFields(fields, next);
    if (typeof tag !== 'string') {
      throw new ProtocolError(`"${TYPE_KEY}" must be a string naming a type, got ${kindOf(tag)}`);
    }
    const codec = this.#byName.get(tag);
    if (codec === undefined) {
      const rest = { ...fields };
      delete rest[TYPE_KEY];
      return new TaggedValue(tag, this.#decodeFields(rest, next));
    }
    return codec.decode(fields, { decode: (item) => this.#decode(item, next) });
  }

  #decodeFields(fields: Record<string, unknown>, depth: number): Record<string, unknown> {
    // fromEntries defines own properties: a "__proto__" key stays a key, never a prototype.
    return Object.fromEntries(
      Object.entries(fields).map(([key, item]) => [key, this.#decode(item, depth)]),
    );
  }
}

/** What a value to encode may be, for the error about one that may not. */
const ENCODABLE =
  'null, a boolean, a finite number, a string, an array, a Set, a plain object or a value of ' +
  'a registered type';

/** The error for a value that cannot be encoded. */
function unencodable(value: unknown, expected: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError('value', expected, value, { message });
}

/** What an encoding gathers: the RawJson values met, and the mark that stands for them. */
interface RawParts {
  readonly values: RawJson[];
  /** `\u0000rawjson:NONCE:`, made at the first RawJson. */
  mark: string | undefined;
}

/**
 * The string that stands for the `index`th RawJson while the rest is stringified. It carries a
 * random nonce, so that no string of the value itself can pose as one.
 */
function rawMark(parts: RawParts, index: number): string {
  parts.mark ??= `\u0000rawjson:${randomBytes(9).toString('base64url')}:`;
  return `${parts.mark}${index}`;
}

/** Puts each RawJson's text where its mark was stringified (JSON writes U+0000 as \u0000). */
function spliceRaw(text: string, parts: RawParts): string {
  const nonce = (parts.mark as string).slice('\u0000rawjson:'.length, -1);
  return text.replace(
    new RegExp(`"\\\\u0000rawjson:${nonce}:(\\d+)"`, 'g'),
    (_, index: string) => (parts.values[Number(index)] as RawJson).text,
  );
}
