import { createHash } from 'node:crypto';
import { formatEndpoint } from '../endpoint/format.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { CHANNELS, type ChannelMessage } from '../internal/channels.js';
import { escapeBytes } from './escape.js';
import { TRACE_FORMAT_VERSION, type TraceEvent, type TraceProcess } from './trace-event.js';

/** Payload bytes shown in a preview. */
export const PREVIEW_BYTES = 64;

/** The names of dsock's channels, as `node:diagnostics_channel` knows them (`dsock:datagram:send`). */
export function traceChannelNames(): string[] {
  return [...CHANNELS.keys()];
}

/** Options of {@link subscribeTrace}. */
export interface SubscribeTraceOptions {
  /** The process the events are told as (default: this one, as `node` with no name). */
  process?: Partial<TraceProcess> | undefined;
}

/**
 * Calls `listener` with every event dsock publishes in this process, as a {@link TraceEvent}
 * (the line a trace file holds), until the returned function is called. The listener runs
 * synchronously inside the send or receive that published the event: keep it short, and do
 * not throw (an error thrown is reported by Node as an uncaught exception).
 *
 * @example
 * ```ts
 * import { DatagramSocket, subscribeTrace } from 'dsock';
 *
 * const seen: string[] = [];
 * const stop = subscribeTrace((event) => seen.push(`${event.event} ${event.size}`));
 * const a = await DatagramSocket.bind('127.0.0.1:0');
 * const b = await DatagramSocket.bind('127.0.0.1:0');
 * await a.sendTo('hello', b.localEndpoint);
 * await b.recvFrom(100, { timeout: 1000 });
 * stop();
 * console.log(seen.join(', ')); // datagram:send 5, datagram:receive 5
 * await a.close();
 * await b.close();
 * ```
 */
export function subscribeTrace(
  listener: (event: TraceEvent) => void,
  options: SubscribeTraceOptions = {},
): () => void {
  const proc: TraceProcess = {
    pid: options.process?.pid ?? process.pid,
    command: options.process?.command ?? 'node',
    name: options.process?.name,
  };
  const wallOrigin = Date.now() - performance.now();
  const locals = new WeakMap<object, string>();
  let seq = 0;
  const handlers: [string, (message: unknown) => void][] = [];
  for (const [name, channel] of CHANNELS) {
    const event = name.slice('dsock:'.length);
    const handler = (message: unknown): void => {
      const m = message as ChannelMessage;
      const mono = performance.now();
      const record: TraceEvent = {
        v: TRACE_FORMAT_VERSION,
        seq: ++seq,
        mono: round(mono),
        wall: round(wallOrigin + mono),
        pid: proc.pid,
        command: proc.command,
        ...(proc.name === undefined ? {} : { name: proc.name }),
        event,
      };
      const local = m.local ? formatEndpoint(m.local) : localOf(m.source, locals);
      if (local !== undefined) record.local = local;
      const remote = m.remote ?? remoteOf(m.source);
      if (remote !== undefined) record.remote = formatEndpoint(remote);
      if (m.data !== undefined) {
        const bytes = typeof m.data === 'string' ? Buffer.from(m.data) : m.data;
        record.size = bytes.length;
        record.digest = digestOf(bytes);
        record.preview = escapeBytes(bytes.subarray(0, PREVIEW_BYTES));
      } else if (m.size !== undefined) {
        record.size = m.size;
      }
      if (m.detail !== undefined) record.detail = m.detail;
      listener(record);
    };
    channel.subscribe(handler);
    handlers.push([name, handler]);
  }
  return () => {
    for (const [name, handler] of handlers.splice(0)) CHANNELS.get(name)?.unsubscribe(handler);
  };
}

/** The first 12 hexadecimal digits of the SHA-256 of `bytes`. */
export function digestOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The local endpoint of a dsock socket or a node:dgram socket, asked once per socket. */
function localOf(source: object | undefined, cache: WeakMap<object, string>): string | undefined {
  if (source === undefined) return undefined;
  const known = cache.get(source);
  if (known !== undefined) return known;
  let endpoint: Endpoint | undefined;
  try {
    const s = source as {
      localEndpoint?: Endpoint;
      address?: () => { address: string; port: number };
    };
    if (typeof s.address === 'function') {
      const a = s.address();
      endpoint = { host: a.address, port: a.port };
    } else {
      endpoint = s.localEndpoint;
    }
  } catch {
    // Not bound yet, or closed: the event goes without its local endpoint.
    return undefined;
  }
  if (endpoint === undefined) return undefined;
  const text = formatEndpoint(endpoint);
  // A stream's endpoints never change; a datagram socket's once bound do not either.
  cache.set(source, text);
  return text;
}

function remoteOf(source: object | undefined): Endpoint | undefined {
  try {
    return (source as { remoteEndpoint?: Endpoint } | undefined)?.remoteEndpoint;
  } catch {
    return undefined;
  }
}
