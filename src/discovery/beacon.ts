import { Buffer } from 'node:buffer';
import { MessageTooLargeError } from '../errors.js';

/** The protocol version a beacon carries in its `dsock` field (docs/discovery-protocol.md). */
export const BEACON_VERSION = 1;

/** The multicast group beacons go to unless configured: organisation-local scope. */
export const DEFAULT_DISCOVERY_GROUP = '239.255.77.77';

/** The UDP port beacons go to unless configured. */
export const DEFAULT_DISCOVERY_PORT = 47077;

/** The largest beacon sent or accepted, in bytes: anything longer is dropped unread. */
export const MAX_BEACON_SIZE = 512;

/** The longest room, name and service, in UTF-8 bytes. */
export const MAX_LABEL_BYTES = 64;

/** The shortest and longest beacon interval a beacon may announce, in milliseconds. */
export const INTERVAL_RANGE = { min: 100, max: 60_000 } as const;

/** What a beacon says: an announcement of a service in a room, or a goodbye. */
export interface Beacon {
  type: 'announce' | 'goodbye';
  /** The room: members of one room find each other; other rooms are ignored. */
  room: string;
  /** What is offered, e.g. `chat/udp`; members of a room offer the same service. */
  service: string;
  /** The member's display name. */
  name: string;
  /** The port of the service on the sender's address. */
  port: number;
  /** The sender's node id: 16 lowercase hexadecimal digits, random per process by default. */
  node: string;
  /** Grows each time a node with the same id starts again. */
  incarnation: number;
  /** The sender's beacon interval in milliseconds: it counts as lost after three of them. */
  interval: number;
}

const NODE_ID = /^[0-9a-f]{16}$/;

function label(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${what} is not a text`);
  const control = [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (Buffer.byteLength(value) > MAX_LABEL_BYTES || control) {
    throw new Error(`${what} is longer than ${MAX_LABEL_BYTES} bytes or holds control characters`);
  }
  return value;
}

function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${what} is not an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Checks the fields of a beacon (the same rules for what is sent and what is received) and
 * returns it with exactly the known fields. Throws an Error naming the field that is wrong.
 */
export function checkBeacon(fields: Record<string, unknown>): Beacon {
  const type = fields.type;
  if (type !== 'announce' && type !== 'goodbye') throw new Error('type is not announce/goodbye');
  const node = fields.node;
  if (typeof node !== 'string' || !NODE_ID.test(node)) throw new Error('node is not 16 hex digits');
  return {
    type,
    room: label(fields.room, 'room'),
    service: label(fields.service, 'service'),
    name: label(fields.name, 'name'),
    port: integer(fields.port, 'port', 1, 65535),
    node,
    incarnation: integer(fields.incarnation, 'incarnation', 0, Number.MAX_SAFE_INTEGER),
    interval: integer(fields.interval, 'interval', INTERVAL_RANGE.min, INTERVAL_RANGE.max),
  };
}

/** The bytes of a beacon: one JSON object, UTF-8, at most {@link MAX_BEACON_SIZE} bytes. */
export function encodeBeacon(beacon: Beacon): Buffer {
  const checked = checkBeacon({ ...beacon });
  const bytes = Buffer.from(JSON.stringify({ dsock: BEACON_VERSION, ...checked }), 'utf8');
  if (bytes.length > MAX_BEACON_SIZE) {
    throw new MessageTooLargeError(
      `a beacon of ${bytes.length} bytes is over ${MAX_BEACON_SIZE}`,
      bytes.length,
      MAX_BEACON_SIZE,
    );
  }
  return bytes;
}

/**
 * Reads a received datagram as a beacon, or returns undefined for anything else: too long, not
 * JSON, another version, or a field out of its rules. Unknown fields are ignored (later versions
 * may add some).
 */
export function parseBeacon(data: Uint8Array): Beacon | undefined {
  if (data.length > MAX_BEACON_SIZE || data.length === 0 || data[0] !== 0x7b) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const fields = value as Record<string, unknown>;
    if (fields.dsock !== BEACON_VERSION) return undefined;
    return checkBeacon(fields);
  } catch {
    return undefined;
  }
}
