/**
 * Python's `datetime` and `timedelta` on the wire. The course does not fix their form; dsock
 * writes `{"value": "2024-02-03T12:15:00.175104", "$type": "datetime"}` and
 * `{"days": 1, "seconds": 0, "microseconds": 0, "$type": "timedelta"}`, and reads those and
 * the common variants. A received datetime keeps its text exactly (microseconds, offset), and
 * is sent again in the very form it came in: a signature over it still holds.
 */
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { field, kindOf, optionalNumberField } from './fields.js';
import type { TypeCodec } from './presentation.js';

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$/;

/** The keys a received datetime may carry its ISO text under, in the order they are tried. */
const TEXT_KEYS = ['value', 'datetime', 'iso', 'isoformat'] as const;
/** The keys it may carry seconds since the Unix epoch under. */
const EPOCH_KEYS = ['timestamp', 'epoch', 'value'] as const;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** Milliseconds since the epoch for ISO 8601 `text` (local time without an offset), or NaN. */
function parseIso(text: string): number {
  const match = ISO_DATETIME.exec(text);
  if (match === null) return Number.NaN;
  const [, y, mo, d, h, mi, s = '0', fraction = '', offset] = match;
  const ms = Number(`0.${fraction || '0'}`) * 1000;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  if (parts[1] > 11 || parts[2] < 1 || parts[2] > 31 || parts[3] > 23 || parts[4] > 59) {
    return Number.NaN;
  }
  if (parts[5] > 59) return Number.NaN;
  if (offset === undefined) {
    const local = new Date(...parts, 0);
    return local.getTime() + ms;
  }
  const utc = Date.UTC(...parts, 0) + ms;
  if (offset === 'Z') return utc;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replaceAll(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return utc - sign * minutes * 60_000;
}

/**
 * A point in time as Python's `datetime` sends it. `text` is kept exactly as received (or as
 * written by {@link DateTime.fromDate}): it is never rounded through a `Date`.
 *
 * @example
 * ```ts
 * const expiry = DateTime.fromDate(new Date(Date.now() + 86_400_000));
 * expiry.text; // '2024-02-04T12:15:00.175000' (local time, as datetime.now().isoformat())
 * ```
 */
export class DateTime {
  /** The ISO 8601 text, or for a datetime received as epoch seconds, that number's text. */
  readonly text: string;
  /** Milliseconds since the Unix epoch (fractions of a millisecond are in {@link text}). */
  readonly epochMilliseconds: number;
  /** The fields as received, sent again as they are; undefined for a datetime made here. */
  readonly receivedFields: Readonly<Record<string, unknown>> | undefined;

  /**
   * Throws {@link InvalidArgumentError} for text that is not an ISO 8601 date and time. `receivedFields` are
   * the fields it came in, sent again as they are; `epochMilliseconds` is given (and `text` is
   * then a number's text) for a datetime received as epoch seconds.
   */
  constructor(
    text: string,
    receivedFields?: Readonly<Record<string, unknown>>,
    epochMilliseconds?: number,
  ) {
    if (typeof text !== 'string') {
      throw new InvalidArgumentError('text', 'an ISO 8601 date and time', text);
    }
    const ms = epochMilliseconds ?? parseIso(text);
    if (Number.isNaN(ms)) {
      throw new InvalidArgumentError('text', 'an ISO 8601 date and time', text, {
        message: `not an ISO 8601 date and time: ${JSON.stringify(text.slice(0, 64))}`,
      });
    }
    this.text = text;
    this.epochMilliseconds = ms;
    this.receivedFields = receivedFields;
  }

  /**
   * `date` as Python's `datetime.isoformat()` writes a naive local time, with microseconds
   * (`2024-02-03T12:15:00.175000`) unless they are 0 (`2024-02-03T12:15:00`): the course's
   * servers use `datetime.now()`. Throws {@link InvalidArgumentError} for an invalid Date.
   */
  static fromDate(date: Date = new Date()): DateTime {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new InvalidArgumentError('date', 'a valid Date', date, {
        message: `date must be a valid Date, got ${date instanceof Date ? 'an invalid Date' : typeof date}`,
      });
    }
    const text =
      `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      // As isoformat(): no fraction at all for a whole second, so that the text survives a
      // round trip through Python's datetime.
      (date.getMilliseconds() === 0 ? '' : `.${pad(date.getMilliseconds(), 3)}000`);
    return new DateTime(text);
  }

  /** The datetime of `seconds` since the Unix epoch, as received in `fields`. */
  static fromEpochSeconds(seconds: number, fields: Readonly<Record<string, unknown>>): DateTime {
    return new DateTime(String(seconds), fields, seconds * 1000);
  }

  /** A `Date` for this time (to the millisecond). */
  toDate(): Date {
    return new Date(this.epochMilliseconds);
  }

  toString(): string {
    return this.text;
  }
}

/** The `datetime` codec: writes `{"value": iso}`, reads the variants listed in the module. */
export const dateTimeCodec: TypeCodec<DateTime> = {
  name: 'datetime',
  type: DateTime,
  encode(value) {
    if (value.receivedFields !== undefined) return { ...value.receivedFields };
    return { value: value.text };
  },
  decode(fields) {
    const { [`$type`]: _tag, ...rest } = fields;
    for (const key of TEXT_KEYS) {
      const text = field(fields, key);
      if (typeof text !== 'string') continue;
      try {
        return new DateTime(text, rest);
      } catch (error) {
        throw new ProtocolError(`datetime: field "${key}": ${(error as Error).message}`);
      }
    }
    for (const key of EPOCH_KEYS) {
      const seconds = field(fields, key);
      if (typeof seconds !== 'number') continue;
      if (!Number.isFinite(seconds) || Math.abs(seconds) > 8.64e12) {
        throw new ProtocolError(`datetime: field "${key}" is not a usable number of seconds`);
      }
      return DateTime.fromEpochSeconds(seconds, rest);
    }
    const keys = Object.keys(rest).join(', ') || 'none';
    throw new ProtocolError(
      'datetime: expected its ISO 8601 text in "value" (or "datetime", "iso", "isoformat") ' +
        `or epoch seconds in "timestamp"; fields given: ${keys} (${kindOf(fields)})`,
    );
  },
};

/** A `Date` given to encode travels as a datetime. */
export const dateCodec: TypeCodec<Date> = {
  name: 'datetime',
  type: Date,
  encode: (value) => ({ value: DateTime.fromDate(value).text }),
  decode: (fields, decoder) => dateTimeCodec.decode(fields, decoder).toDate(),
};

/**
 * A duration as Python's `timedelta` sends it; {@link seconds} is the total (Python's
 * `total_seconds()`).
 *
 * @example
 * ```ts
 * import { TimeDelta } from 'dsock';
 *
 * const hour = new TimeDelta(3600); // authenticate(credentials, hour): a token for an hour
 * console.log(hour.seconds); // 3600
 * ```
 */
export class TimeDelta {
  /** Throws {@link InvalidArgumentError} for a duration that is not a finite number of seconds. */
  constructor(readonly seconds: number) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
      throw new InvalidArgumentError('seconds', 'a finite number of seconds', seconds);
    }
  }
}

/** The `timedelta` codec: `days`, `seconds`, `microseconds` as Python normalises them. */
export const timeDeltaCodec: TypeCodec<TimeDelta> = {
  name: 'timedelta',
  type: TimeDelta,
  encode(value) {
    const micros = Math.round(value.seconds * 1e6);
    const days = Math.floor(micros / 86_400e6);
    const rest = micros - days * 86_400e6;
    return {
      days,
      seconds: Math.floor(rest / 1e6),
      microseconds: rest % 1e6,
    };
  },
  decode(fields) {
    const total = optionalNumberField(fields, 'total_seconds', 'timedelta');
    if (total !== undefined) return new TimeDelta(total);
    const days = optionalNumberField(fields, 'days', 'timedelta');
    const seconds = optionalNumberField(fields, 'seconds', 'timedelta');
    const micros = optionalNumberField(fields, 'microseconds', 'timedelta');
    if (days === undefined && seconds === undefined && micros === undefined) {
      throw new ProtocolError(
        'timedelta: expected "days", "seconds" and/or "microseconds", or "total_seconds"',
      );
    }
    const sum = (days ?? 0) * 86_400 + (seconds ?? 0) + (micros ?? 0) / 1e6;
    if (!Number.isFinite(sum)) throw new ProtocolError('timedelta: the duration is not finite');
    return new TimeDelta(sum);
  },
};
