import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { encodeBeacon, MAX_BEACON_SIZE, parseBeacon, type Beacon } from '../../src/index.js';

const BEACON: Beacon = {
  type: 'announce',
  room: 'lobby',
  service: 'chat',
  name: 'Ålice',
  port: 7000,
  node: '0123456789abcdef',
  incarnation: 1_718_000_000_000,
  interval: 1000,
};

function bytes(fields: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ dsock: 1, ...BEACON, ...fields }));
}

describe('discovery beacons', () => {
  it('round-trips, as one JSON object with the version first', () => {
    const encoded = encodeBeacon(BEACON);
    assert.ok(encoded.toString().startsWith('{"dsock":1,'));
    assert.deepEqual(parseBeacon(encoded), BEACON);
    assert.deepEqual(parseBeacon(bytes({ type: 'goodbye' })), { ...BEACON, type: 'goodbye' });
  });

  it('ignores unknown fields, and any address a beacon claims', () => {
    assert.deepEqual(parseBeacon(bytes({ host: '198.18.0.99', future: [1, 2] })), BEACON);
  });

  it('refuses anything else without throwing', () => {
    const bad: Record<string, unknown>[] = [
      { dsock: 2 },
      { type: 'hello' },
      { room: '' },
      { room: 'x'.repeat(65) },
      { name: 'a\nb' },
      { service: 7 },
      { port: 0 },
      { port: 70000 },
      { port: 1.5 },
      { node: '0123456789ABCDEF' },
      { node: 'short' },
      { incarnation: -1 },
      { interval: 99 },
      { interval: 60_001 },
    ];
    for (const fields of bad)
      assert.equal(parseBeacon(bytes(fields)), undefined, JSON.stringify(fields));
    for (const raw of ['', 'not json', '[1]', 'null', '{"dsock":1', '{}']) {
      assert.equal(parseBeacon(Buffer.from(raw)), undefined, raw);
    }
    const long = bytes({ name: 'n', pad: 'x'.repeat(MAX_BEACON_SIZE) });
    assert.ok(long.length > MAX_BEACON_SIZE);
    assert.equal(parseBeacon(long), undefined);
  });

  it('refuses to encode what it would refuse to read', () => {
    assert.throws(() => encodeBeacon({ ...BEACON, port: 0 }), /port/);
    assert.throws(() => encodeBeacon({ ...BEACON, room: 'é'.repeat(33) }), /room/);
  });
});
