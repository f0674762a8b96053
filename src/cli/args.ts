import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidEndpointError } from '../errors.js';
import { checkPort, isValidHost, parseEndpoint } from '../endpoint/parse.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed command line of one command: its option values and positional words. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** A word that reads as a negative number ("-1", "-0.5", "-.5", "-1e3"), never an option. */
const NEGATIVE_NUMBER = /^-(?:[0-9]|\.[0-9])/;
/** Marks a negative number given as a positional argument while parseArgs reads the line. */
const POSITIONAL_MARK = '\u0000';

/**
 * Rewrites the negative numbers of a command line so that parseArgs takes them for what they
 * are: `--delay -5` becomes `--delay=-5` (parseArgs would call it ambiguous), and a positional
 * `-1` is marked (parseArgs would take it for an unknown option `-1`). Both then reach the
 * number checks, which name the argument and the range it must be in.
 */
function markNegativeNumbers(args: string[], options: Options): string[] {
  const takesValue = (word: string): boolean => {
    const long = /^--([^=]+)$/.exec(word)?.[1];
    if (long !== undefined) return options[long]?.type === 'string';
    const short = /^-([A-Za-z])$/.exec(word)?.[1];
    return Object.values(options).some((o) => o.short === short && o.type === 'string');
  };
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (word === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (takesValue(word) && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${word.startsWith('--') ? word : `--${optionNamed(options, word)}`}=${next}`);
      i++;
    } else if (NEGATIVE_NUMBER.test(word)) {
      out.push(`${POSITIONAL_MARK}${word}`);
    } else {
      out.push(word);
    }
  }
  return out;
}

/** The long name of the option whose short form is `word` ("-n"). */
function optionNamed(options: Options, word: string): string {
  const entry = Object.entries(options).find(([, o]) => `-${o.short}` === word);
  return entry?.[0] ?? word.slice(1);
}

/**
 * Parses `args` against a command's options (every command also takes `--help`), turning
 * parseArgs' errors into a {@link UsageError} that names the offending option. Negative numbers
 * are read as values (see {@link markNegativeNumbers}), and a `--host` option is checked here,
 * once for every command: an address or name, without a port.
 */
export function parseCommandLine(args: string[], options: Options): ParsedArgs {
  let parsed: ParsedArgs;
  try {
    const { values, positionals } = parseArgs({
      args: markNegativeNumbers(args, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    parsed = {
      values,
      positionals: positionals.map((p) =>
        p.startsWith(POSITIONAL_MARK) ? p.slice(POSITIONAL_MARK.length) : p,
      ),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      // A value that starts with "-" but is not a number: `--name -x`.
      const option = ambiguous[1] as string;
      throw new UsageError(
        `option ${option} needs a value; write ${option}=VALUE for a value that starts with "-"`,
      );
    }
    // parseArgs explains itself well but at length; its first sentence is the useful part.
    throw new UsageError(message.split(/\n|\. /)[0]?.replace(/\.$/, '') ?? message);
  }
  if (options.host?.type === 'string') hostOption(parsed.values.host);
  return parsed;
}

/**
 * Checks a `--host` value: an IPv4 or IPv6 address or a host name, alone. A value with a port
 * (`127.0.0.1:5`, `[::1]:5`) is refused with the reason: the port is a separate argument.
 */
function hostOption(value: string | boolean | undefined): void {
  if (typeof value !== 'string' || isValidHost(value)) return;
  let withPort: Endpoint | undefined;
  try {
    withPort = parseEndpoint(value);
  } catch {
    withPort = undefined;
  }
  if (withPort !== undefined && isValidHost(withPort.host) && value.trim() !== withPort.host) {
    throw new UsageError(
      `invalid --host "${value}": give the address alone, without a port or brackets ` +
        `(--host ${withPort.host}); the port is an argument of its own`,
    );
  }
  throw new UsageError(
    `invalid --host "${value}": expected an IPv4 address, an IPv6 address or a host name`,
  );
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

/**
 * A HOST:PORT argument naming a peer: the port is required and cannot be 0 (a peer without a
 * port cannot be reached), an IPv6 address is bracketed (`[::1]:7000`).
 */
export function endpointArgument(text: string | undefined, what = 'HOST:PORT'): Endpoint {
  if (text === undefined) throw new UsageError(`missing ${what}`);
  let endpoint: Endpoint;
  try {
    endpoint = parseEndpoint(text);
  } catch (error) {
    const reason = error instanceof InvalidEndpointError ? error.message : String(error);
    throw new UsageError(`invalid ${what} "${text}": ${reason}`);
  }
  const trimmed = text.trim();
  // "[v6]:port" or "host:port" (one colon); anything else parsed as an address alone.
  const hasPort = trimmed.startsWith('[')
    ? /\]:[0-9]*$/.test(trimmed)
    : trimmed.split(':').length === 2;
  if (!hasPort) {
    const hint = endpoint.host.includes(':')
      ? `; for an IPv6 address with a port write [${endpoint.host}]:PORT`
      : '';
    throw new UsageError(`invalid ${what} "${text}": a port is required (HOST:PORT)${hint}`);
  }
  if (endpoint.port === 0) {
    throw new UsageError(
      `invalid ${what} "${text}": port 0 cannot be sent to; give the port the peer is bound to ` +
        '(1 to 65535)',
    );
  }
  return endpoint;
}

/** What a number option counts, where it is a duration: named in its messages. */
export type NumberUnit = 'seconds' | 'milliseconds';

/** The longest delay Node's timers take: 2^31 - 1 ms (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Limits of {@link numberOption}. */
export interface NumberLimits {
  /** The smallest value accepted (default: no limit). */
  min?: number;
  /**
   * The largest value accepted (default: 2^31 - 1 ms in the option's unit for a duration,
   * Number.MAX_SAFE_INTEGER for an integer, else no limit).
   */
  max?: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** A duration in this unit: its bound is Node's longest timer, and its message says the unit. */
  unit?: NumberUnit;
}

/**
 * A number option (or positional number): finite, and within [min, max]. Anything else is a
 * {@link UsageError} naming the argument, the unit and the range, e.g.
 * `invalid --idle-timeout "1e12": expected a number of seconds from 0.001 to 2147483.647`.
 */
export function numberOption(
  value: string | boolean | undefined,
  name: string,
  limits: NumberLimits = {},
): number | undefined {
  if (value === undefined) return undefined;
  const { min = -Infinity, integer = false, unit } = limits;
  const max =
    limits.max ??
    (unit === 'milliseconds'
      ? MAX_TIMER_MS
      : unit === 'seconds'
        ? MAX_TIMER_MS / 1000
        : integer
          ? Number.MAX_SAFE_INTEGER
          : Infinity);
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  const ok = Number.isFinite(number) && number >= min && number <= max;
  if (!ok || (integer && !Number.isInteger(number))) {
    const kind = `${integer ? 'an integer' : 'a number'}${unit ? ` of ${unit}` : ''}`;
    const range =
      max === Infinity
        ? min === -Infinity
          ? ''
          : ` of at least ${min}`
        : ` from ${min} to ${max}`;
    const days = unit !== undefined && limits.max === undefined ? ' (about 24.8 days)' : '';
    // Options are named with their dashes; positional arguments (upper case) as they are.
    const label = name === name.toUpperCase() ? name : `--${name}`;
    throw new UsageError(`invalid ${label} "${String(value)}": expected ${kind}${range}${days}`);
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
