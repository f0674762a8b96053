import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidEndpointError } from '../errors.js';
import { checkPort, parseEndpoint } from '../endpoint/parse.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed command line of one command: its option values and positional words. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` against a command's options (every command also takes `--help`), turning
 * parseArgs' errors into a {@link UsageError} that names the offending option.
 */
export function parseCommandLine(args: string[], options: Options): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // parseArgs explains itself well but at length; its first sentence is the useful part.
    throw new UsageError(message.split(/\n|\. /)[0]?.replace(/\.$/, '') ?? message);
  }
}

/** A port argument, 0..65535. */
export function portArgument(text: string | undefined, what = 'PORT'): number {
  if (text === undefined) throw new UsageError(`missing ${what}`);
  if (!/^[0-9]+$/.test(text)) {
    throw new UsageError(`invalid ${what} "${text}": a port is an integer from 0 to 65535`);
  }
  try {
    return checkPort(Number(text), text);
  } catch {
    throw new UsageError(`invalid ${what} "${text}": a port is an integer from 0 to 65535`);
  }
}

/** A HOST:PORT argument; the port is required (a peer without a port cannot be reached). */
export function endpointArgument(text: string | undefined, what = 'HOST:PORT'): Endpoint {
  if (text === undefined) throw new UsageError(`missing ${what}`);
  let endpoint: Endpoint;
  try {
    endpoint = parseEndpoint(text);
  } catch (error) {
    const reason = error instanceof InvalidEndpointError ? error.message : String(error);
    throw new UsageError(`invalid ${what} "${text}": ${reason}`);
  }
  const hasPort = /:[0-9]*$/.test(text.trim()) && !/^[^[]*:.*:/.test(text.trim());
  if (!hasPort) {
    // "::1:7000" reads as one IPv6 address; the user most likely meant a port after "::1".
    const at = text.lastIndexOf(':');
    const hint =
      text.includes('::') || text.split(':').length > 2
        ? `; for an IPv6 address with a port write [${text.slice(0, at)}]:${text.slice(at + 1)}`
        : '';
    throw new UsageError(`invalid ${what} "${text}": a port is required (HOST:PORT)${hint}`);
  }
  return endpoint;
}

/** A number option: finite, and within [min, max]. */
export function numberOption(
  value: string | boolean | undefined,
  name: string,
  { min = -Infinity, max = Infinity, integer = false } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  const ok = Number.isFinite(number) && number >= min && number <= max;
  if (!ok || (integer && !Number.isInteger(number))) {
    const kind = integer ? 'an integer' : 'a number';
    const range =
      max === Infinity
        ? min === -Infinity
          ? ''
          : ` of at least ${min}`
        : ` from ${min} to ${max}`;
    // Options are named with their dashes; positional arguments (upper case) as they are.
    const label = name === name.toUpperCase() ? name : `--${name}`;
    throw new UsageError(`invalid ${label} "${String(value)}": expected ${kind}${range}`);
  }
  return number;
}

/** A string option's value, or undefined. */
export function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Refuses positional arguments beyond the first `count`. */
export function noArgumentsAfter(positionals: string[], count: number): void {
  if (positionals.length > count) {
    throw new UsageError(`unexpected argument "${positionals[count]}"`);
  }
}
