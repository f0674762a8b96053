import { ProtocolError } from '../errors.js';

/** The fields of a decoded JSON object: its own keys, `$type` included. */
export type Fields = Readonly<Record<string, unknown>>;

/** A short description of a JSON value's kind, for error messages ("a string", "null"). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function fieldError(type: string, name: string, expected: string, value: unknown): ProtocolError {
  const got = value === undefined ? 'no such field' : kindOf(value);
  return new ProtocolError(`${type}: field "${name}" must be ${expected}, got ${got}`);
}

/** The value of field `name`, or undefined when the object has no such field. */
export function field(fields: Fields, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** Field `name` of a `type` object, which must be a string; else a {@link ProtocolError}. */
export function stringField(fields: Fields, name: string, type: string): string {
  const value = field(fields, name);
  if (typeof value !== 'string') throw fieldError(type, name, 'a string', value);
  return value;
}

/** Field `name`, a string or null (or missing, read as null). */
export function optionalStringField(fields: Fields, name: string, type: string): string | null {
  const value = field(fields, name);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw fieldError(type, name, 'a string or null', value);
  return value;
}

/** Field `name`, an array; else a {@link ProtocolError}. */
export function arrayField(fields: Fields, name: string, type: string): unknown[] {
  const value = field(fields, name);
  if (!Array.isArray(value)) throw fieldError(type, name, 'an array', value);
  return value;
}

/** Field `name`, a finite number, or undefined when missing; else a {@link ProtocolError}. */
export function optionalNumberField(
  fields: Fields,
  name: string,
  type: string,
): number | undefined {
  const value = field(fields, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw fieldError(type, name, 'a number', value);
  }
  return value;
}

/** Field `name`, an instance of `kind` after decoding; else a {@link ProtocolError}. */
export function instanceField<T>(
  fields: Fields,
  name: string,
  type: string,
  kind: abstract new (...args: never[]) => T,
  expected: string,
): T {
  const value = field(fields, name);
  if (!(value instanceof kind)) throw fieldError(type, name, expected, value);
  return value;
}
