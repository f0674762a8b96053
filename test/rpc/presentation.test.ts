import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TypeRegistry } from '../../src/index.js';
import {
  DateTime,
  InvalidArgumentError,
  ProtocolError,
  RawJson,
  Request,
  Response,
  TaggedValue,
  TimeDelta,
  rpcRegistry,
} from '../../src/index.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

function withPoint(): TypeRegistry {
  return rpcRegistry().register<Point>({
    name: 'Point',
    type: Point,
    encode: (p) => ({ x: p.x, y: p.y }),
    decode: (f) => new Point(f.x as number, f.y as number),
  });
}

describe('tagged-JSON presentation', () => {
  it('writes a Request as the course does, compact, with the tag after the fields', () => {
    const text = rpcRegistry().stringify(new Request('add', [1, 2]));
    assert.equal(text, '{"name":"add","args":[1,2],"metadata":null,"$type":"Request"}');
  });

  it('reads the pretty-printed JSON Python writes, \\u escapes included', () => {
    const text = `{
  "result": {
    "full_name": "J\\u00e9r\\u00f4me",
    "x": 1,
    "y": 2,
    "$type": "Point"
  },
  "error": null,
  "$type": "Response"
}`;
    const response = withPoint().parse(text) as Response;
    assert.ok(response instanceof Response);
    assert.ok(response.result instanceof Point);
    assert.deepEqual({ ...response.result }, { x: 1, y: 2 });
    assert.equal(response.error, null);
  });

  it('turns sets into arrays and plain dictionaries into untagged objects', () => {
    const registry = withPoint();
    assert.equal(
      registry.stringify({ tags: new Set(['a', 'b']), at: new Point(3, 4), n: null }),
      '{"tags":["a","b"],"at":{"x":3,"y":4,"$type":"Point"},"n":null}',
    );
    assert.deepEqual(registry.parse('{"a":[1,{"b":true}]}'), { a: [1, { b: true }] });
  });

  it('keeps an unknown tag and writes it again unchanged', () => {
    const registry = rpcRegistry();
    const text =
      '{"when":{"value":"2024-02-03T12:15:00.175104","$type":"datetime"},"k":[1],"$type":"Mystery"}';
    const value = registry.parse(text);
    assert.ok(value instanceof TaggedValue);
    assert.equal(value.type, 'Mystery');
    assert.ok(value.fields.when instanceof DateTime);
    assert.equal(registry.stringify(value), text);
  });

  it('keeps a datetime text exactly, microseconds and offset, in whatever form it came', () => {
    const registry = rpcRegistry();
    for (const text of [
      '{"value":"2024-02-03T12:15:00.175104","$type":"datetime"}',
      '{"datetime":"2024-02-03T12:15:00.999999+05:30","$type":"datetime"}',
      '{"iso":"2024-02-03 12:15:00","$type":"datetime"}',
      '{"timestamp":1706962500.123456,"$type":"datetime"}',
    ]) {
      const value = registry.parse(text);
      assert.ok(value instanceof DateTime, text);
      assert.equal(registry.stringify(value), text);
    }
    const utc = registry.parse('{"value":"2024-02-03T12:15:00.5+01:00","$type":"datetime"}');
    assert.equal((utc as DateTime).epochMilliseconds, Date.UTC(2024, 1, 3, 11, 15, 0, 500));
    const epoch = registry.parse('{"timestamp":1706962500.5,"$type":"datetime"}') as DateTime;
    assert.equal(epoch.epochMilliseconds, 1706962500500);
  });

  it('writes a datetime made here as {"value": iso, "$type": "datetime"}, local time with microseconds', () => {
    const date = new Date(2024, 1, 3, 12, 15, 0, 175);
    const text = rpcRegistry().stringify(DateTime.fromDate(date));
    assert.equal(text, '{"value":"2024-02-03T12:15:00.175000","$type":"datetime"}');
    assert.equal(rpcRegistry().stringify(date), text);
    assert.equal((rpcRegistry().parse(text) as DateTime).epochMilliseconds, date.getTime());
    // A whole second has no fraction, as isoformat() writes it.
    assert.equal(DateTime.fromDate(new Date(2024, 1, 3, 12, 15, 0, 0)).text, '2024-02-03T12:15:00');
  });

  it('reads and writes a timedelta as Python normalises it', () => {
    const registry = rpcRegistry();
    assert.equal(
      registry.stringify(new TimeDelta(90_000.25)),
      '{"days":1,"seconds":3600,"microseconds":250000,"$type":"timedelta"}',
    );
    assert.equal((registry.parse('{"seconds":30,"$type":"timedelta"}') as TimeDelta).seconds, 30);
    assert.equal(
      (registry.parse('{"total_seconds":1.5,"$type":"timedelta"}') as TimeDelta).seconds,
      1.5,
    );
  });

  it('splices RawJson text byte for byte, and no string can pose as its mark', () => {
    const raw = new RawJson('{\n  "signature": "ab",\n  "n": 1.50,\n  "$type": "Token"\n}');
    const text = rpcRegistry().stringify(new Request('validate_token', [raw, '\u0000rawjson:0']));
    assert.equal(
      text,
      '{"name":"validate_token","args":[{\n  "signature": "ab",\n  "n": 1.50,\n  "$type": "Token"\n},"\\u0000rawjson:0"],"metadata":null,"$type":"Request"}',
    );
    assert.throws(() => new RawJson('{"a":'), InvalidArgumentError);
  });

  it('refuses what it cannot write, naming it', () => {
    const registry = rpcRegistry();
    assert.throws(
      () => registry.stringify(new Point(1, 2)),
      /cannot encode a Point: register a codec/,
    );
    assert.throws(() => registry.stringify(Number.NaN), /JSON has no such number/);
    assert.throws(() => registry.stringify(10n), /cannot encode a bigint/);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    assert.throws(() => registry.stringify(cycle), /nested deeper than 64 levels/);
  });

  it('refuses a hostile or malformed message with a ProtocolError that says what was wrong', () => {
    const registry = rpcRegistry();
    const cases: [string, RegExp][] = [
      ['{"name": "x",', /malformed JSON/],
      ['{"name":"x","args":[],"$type":7}', /"\$type" must be a string naming a type, got a number/],
      [
        '{"name":1,"args":[],"$type":"Request"}',
        /Request: field "name" must be a string, got a number/,
      ],
      [
        '{"name":"x","$type":"Request"}',
        /Request: field "args" must be an array, got no such field/,
      ],
      [
        '{"result":null,"error":3,"$type":"Response"}',
        /Response: field "error" must be a string or null/,
      ],
      ['{"value":"yesterday","$type":"datetime"}', /datetime: field "value": not an ISO 8601/],
      ['{"value":"2024-13-03T12:15:00","$type":"datetime"}', /not an ISO 8601/],
      ['{"$type":"datetime"}', /datetime: expected its ISO 8601 text/],
      ['{"days":"1","$type":"timedelta"}', /timedelta: field "days" must be a number/],
      [`${'['.repeat(100)}${']'.repeat(100)}`, /nests deeper than 64 levels/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => registry.parse(text),
        (error: unknown) => {
          assert.ok(error instanceof ProtocolError, `${text}: ${String(error)}`);
          assert.match(error.message, message, text);
          return true;
        },
      );
    }
  });

  it('keeps "__proto__" a key of a received dictionary, never a prototype', () => {
    const value = rpcRegistry().parse('{"__proto__":{"polluted":true},"a":1}') as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.equal((value as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(Object.keys(value), ['__proto__', 'a']);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });
});
