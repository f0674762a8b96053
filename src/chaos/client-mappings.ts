import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Endpoint } from '../endpoint/endpoint.js';
import { familyOf } from '../endpoint/parse.js';
import type { RelayCounters } from './relay-stats.js';

/** One client's NAT-like mapping: its own socket towards the target. */
export interface Mapping {
  readonly client: Endpoint;
  readonly key: string;
  readonly socket: Socket;
  lastActive: number;
  closed: boolean;
}

/** How the mappings are made and kept. */
export interface MappingSettings {
  /** The address mapping sockets are bound to. */
  readonly host: string;
  /** Mappings at most; the least recently active one makes room for a new client. */
  readonly maxClients: number;
  /** A mapping idle this long (ms) is closed. */
  readonly idleTimeout: number;
  /** Kernel send and receive buffer size of each mapping socket. */
  readonly kernelBufferSize: number;
}

/**
 * The chaos relay's client mappings, as a NAT keeps them: each client gets a socket of its own
 * towards the target on first sight; the number of mappings is capped (the least recently
 * active one is evicted) and idle ones expire, swept by one timer that runs only while
 * mappings exist.
 */
export class ClientMappings {
  readonly #mappings = new Map<string, Mapping>();
  readonly #settings: MappingSettings;
  readonly #counters: RelayCounters;
  readonly #fromTarget: (mapping: Mapping, data: Buffer, info: RemoteInfo) => void;
  #sweeper: NodeJS.Timeout | undefined;
  /** The mapping used last: a burst from one client skips the key and the lookup. */
  #last: Mapping | undefined;

  /**
   * @param settings how mappings are made and kept
   * @param counters counts mappings made and closed, and socket errors
   * @param fromTarget told of every datagram a mapping socket receives
   */
  constructor(
    settings: MappingSettings,
    counters: RelayCounters,
    fromTarget: (mapping: Mapping, data: Buffer, info: RemoteInfo) => void,
  ) {
    this.#settings = settings;
    this.#counters = counters;
    this.#fromTarget = fromTarget;
  }

  /** Mappings open now. */
  get size(): number {
    return this.#mappings.size;
  }

  /** The mapping of the client a datagram came from, made on first sight. */
  of(info: RemoteInfo): Mapping {
    let mapping = this.#last;
    if (
      mapping === undefined ||
      mapping.client.port !== info.port ||
      mapping.client.host !== info.address
    ) {
      mapping = this.#mappings.get(`${info.address}|${info.port}`) ?? this.#map(info);
      this.#last = mapping;
    }
    return mapping;
  }

  /** Closes every mapping and stops the sweep; resolves once every socket is closed. */
  close(): Promise<void> {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const closing = [...this.#mappings.values()].map((mapping) => this.#unmap(mapping));
    this.#last = undefined;
    return Promise.all(closing).then(() => undefined);
  }

  #map(info: RemoteInfo): Mapping {
    const settings = this.#settings;
    if (this.#mappings.size >= settings.maxClients) this.#evictOldest();
    const client = { host: info.address, port: info.port };
    const family = familyOf(settings.host) === 'IPv6' ? 'udp6' : 'udp4';
    const socket = createSocket(family);
    const mapping: Mapping = {
      client,
      key: `${client.host}|${client.port}`,
      socket,
      lastActive: performance.now(),
      closed: false,
    };
    socket.on('message', (data: Buffer, from: RemoteInfo) => this.#fromTarget(mapping, data, from));
    socket.on('error', () => this.#counters.errors++);
    // Datagrams sent before the bind completes are queued by Node and go out once bound.
    socket.bind({ port: 0, address: settings.host, exclusive: true }, () => {
      try {
        socket.setRecvBufferSize(settings.kernelBufferSize);
        socket.setSendBufferSize(settings.kernelBufferSize);
      } catch {
        // The system's default buffers still work, only bursts are lost sooner.
      }
    });
    this.#mappings.set(mapping.key, mapping);
    this.#counters.mappingsCreated++;
    this.#sweeper ??= setInterval(this.#sweep, Math.max(settings.idleTimeout / 2, 10));
    this.#sweeper.unref();
    return mapping;
  }

  #evictOldest(): void {
    let oldest: Mapping | undefined;
    for (const mapping of this.#mappings.values()) {
      if (oldest === undefined || mapping.lastActive < oldest.lastActive) oldest = mapping;
    }
    if (oldest !== undefined) void this.#unmap(oldest);
  }

  readonly #sweep = (): void => {
    const before = performance.now() - this.#settings.idleTimeout;
    for (const mapping of this.#mappings.values()) {
      if (mapping.lastActive <= before) void this.#unmap(mapping);
    }
    if (this.#mappings.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  };

  #unmap(mapping: Mapping): Promise<void> {
    if (mapping.closed) return Promise.resolve();
    mapping.closed = true;
    this.#mappings.delete(mapping.key);
    if (this.#last === mapping) this.#last = undefined;
    this.#counters.mappingsExpired++;
    return new Promise<void>((resolve) => {
      try {
        mapping.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
