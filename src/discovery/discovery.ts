import { EventEmitter } from 'node:events';
import { DatagramSocket } from '../datagram/datagram-socket.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { multicastInterfaces } from '../endpoint/interfaces.js';
import { SocketClosedError } from '../errors.js';
import { discoveryFound, discoveryLost } from '../internal/channels.js';
import { checkBeacon, encodeBeacon, MAX_BEACON_SIZE, parseBeacon, type Beacon } from './beacon.js';
import {
  resolveDiscoveryOptions,
  type DiscoveryOptions,
  type ResolvedDiscoveryOptions,
} from './options.js';

/** A member of a room found by its beacons. */
export interface DiscoveredPeer {
  nodeId: string;
  incarnation: number;
  name: string;
  room: string;
  service: string;
  /**
   * Where the service is: the source address of the peer's beacons (never an address the
   * beacon claims) and the port it announces.
   */
  endpoint: Endpoint;
  /** The interval it announces, in milliseconds. */
  interval: number;
  /** When its last beacon came (performance.now() milliseconds). */
  lastSeen: number;
}

/** Why a peer is no longer tracked. */
export interface LostInfo {
  /** `silent`: it missed its beacons; `goodbye`: it said so; `restarted`: a new incarnation. */
  reason: 'silent' | 'goodbye' | 'restarted';
  /** Milliseconds since its last beacon. */
  silentFor: number;
}

/** What {@link Discovery.announce} makes known. */
export interface Announcement {
  room: string;
  name: string;
  /** The port of the service on this host. */
  port: number;
  /** What is offered (default `chat`). */
  service?: string;
}

/** Which peers {@link Discovery.browse} tracks: a room (or every room) and a service. */
export interface BrowseFilter {
  /** Left out: every room, up to {@link DiscoveryOptions.maxRooms}. */
  room?: string;
  /** Left out: every service. */
  service?: string;
}

/** Counters of a {@link Discovery}. */
export interface DiscoveryStats {
  beaconsSent: number;
  beaconsReceived: number;
  /** Datagrams that were no beacon (too long, malformed), this node's own, or of other rooms. */
  beaconsIgnored: number;
  /** Beacons of new peers refused because {@link DiscoveryOptions.maxPeers} (or maxRooms) was reached. */
  peersRefused: number;
}

/**
 * The events a {@link Discovery} emits, with their arguments: `found` when a member of a
 * browsed room is first heard, `lost` when it says goodbye or misses its beacons.
 *
 * @example
 * ```ts
 * import type { DiscoveredPeer, DiscoveryEvents } from 'dsock';
 *
 * const describe = (...[peer, info]: DiscoveryEvents['lost']): string =>
 *   `${peer.name} (${info.reason})`;
 * const alice: DiscoveredPeer = {
 *   nodeId: '0123456789abcdef',
 *   incarnation: 1,
 *   name: 'Alice',
 *   room: 'lobby',
 *   service: 'chat',
 *   endpoint: { host: '127.0.0.1', port: 7000 },
 *   interval: 1000,
 *   lastSeen: 0,
 * };
 * console.log(describe(alice, { reason: 'goodbye', silentFor: 0 })); // Alice (goodbye)
 * ```
 */
export interface DiscoveryEvents {
  found: [peer: DiscoveredPeer];
  lost: [peer: DiscoveredPeer, info: LostInfo];
}

/**
 * Peers that find each other on every LAN of the machine: each member announces itself with
 * multicast beacons (TTL 1) on every multicast-capable interface, and tracks the members of
 * its room from theirs, taking each one's address from the datagram's source. A member that
 * misses three of its beacon intervals is `lost`, as is one that says goodbye; interfaces are
 * listed again every few seconds, so that LANs that come and go are followed. The wire format
 * is in docs/discovery-protocol.md.
 *
 * @example
 * ```ts
 * import { Discovery } from 'dsock';
 *
 * const discovery = await Discovery.start();
 * discovery.on('found', (peer) => console.log(`found ${peer.name} at ${peer.endpoint.host}`));
 * discovery.on('lost', (peer, info) => console.log(`${peer.name} lost (${info.reason})`));
 * discovery.browse({ room: 'lobby' });
 * discovery.announce({ room: 'lobby', name: 'Alice', port: 7000 });
 * // ... later
 * await discovery.close(); // says goodbye
 * ```
 */
export class Discovery extends EventEmitter<DiscoveryEvents> {
  readonly options: ResolvedDiscoveryOptions;
  readonly #receiver: DatagramSocket;
  /** One sending socket per interface, bound to its address, so beacons leave by each LAN. */
  readonly #senders = new Map<string, { address: string; socket: DatagramSocket }>();
  readonly #peers = new Map<string, DiscoveredPeer>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #receiving: Promise<void>;
  #announcement: Beacon | undefined;
  #filter: BrowseFilter | undefined;
  #lastTriggered = -Infinity;
  #triggerTimer: NodeJS.Timeout | undefined;
  #rescanning: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  readonly stats: DiscoveryStats = {
    beaconsSent: 0,
    beaconsReceived: 0,
    beaconsIgnored: 0,
    peersRefused: 0,
  };

  private constructor(receiver: DatagramSocket, options: ResolvedDiscoveryOptions) {
    super();
    this.#receiver = receiver;
    this.options = options;
    this.#receiving = this.#receive();
    const sweep = Math.max(50, Math.floor(options.interval / 4));
    this.#timers.push(
      setInterval(() => this.#sweep(), sweep).unref(),
      setInterval(() => this.#send(), options.interval).unref(),
      setInterval(() => void this.#rescan(), options.rescanInterval).unref(),
    );
  }

  /**
   * Binds the beacon port (shared with other members on this host) and joins the beacon group
   * on every multicast-capable interface. Nothing is announced or tracked until
   * {@link announce} and {@link browse}.
   */
  static async start(options: DiscoveryOptions = {}): Promise<Discovery> {
    const resolved = resolveDiscoveryOptions(options);
    const receiver = await DatagramSocket.bind(
      { host: '0.0.0.0', port: resolved.port },
      { reuseAddress: true, receiveQueueLimit: resolved.beaconQueue },
    );
    const discovery = new Discovery(receiver, resolved);
    await discovery.#rescan();
    return discovery;
  }

  /** This node's id, as its beacons carry it. */
  get nodeId(): string {
    return this.options.nodeId;
  }

  /** The peers tracked now. */
  get peers(): DiscoveredPeer[] {
    return [...this.#peers.values()].map((peer) => ({ ...peer, endpoint: { ...peer.endpoint } }));
  }

  /** The interfaces beacons are sent on now, by name. */
  get interfaces(): string[] {
    return [...this.#senders.keys()];
  }

  /** Starts (or changes) the beacons that make this member known; one goes out at once. */
  announce(announcement: Announcement): void {
    this.#announcement = checkBeacon({
      type: 'announce',
      room: announcement.room,
      service: announcement.service ?? 'chat',
      name: announcement.name,
      port: announcement.port,
      node: this.options.nodeId,
      incarnation: this.options.incarnation,
      interval: this.options.interval,
    });
    this.#send();
  }

  /** Starts tracking the members of a room (emitting `found` and `lost`). */
  browse(filter: BrowseFilter = {}): void {
    this.#filter = { ...filter };
  }

  /** Says goodbye on every interface, then stops. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const timer of this.#timers) clearInterval(timer);
      clearTimeout(this.#triggerTimer);
      await this.#rescanning;
      if (this.#announcement) {
        const goodbye = encodeBeacon({ ...this.#announcement, type: 'goodbye' });
        await Promise.all([...this.#senders.values()].map((s) => this.#sendOn(s.socket, goodbye)));
      }
      await Promise.all([...this.#senders.values()].map((s) => s.socket.close()));
      this.#senders.clear();
      await this.#receiver.close();
      await this.#receiving;
      this.#peers.clear();
    })();
    return this.#closing;
  }

  async #sendOn(socket: DatagramSocket, bytes: Buffer): Promise<void> {
    try {
      await socket.sendTo(bytes, { host: this.options.group, port: this.options.port });
      this.stats.beaconsSent++;
    } catch {
      // An interface that went away: the next rescan drops its socket.
    }
  }

  #send(): void {
    if (this.#announcement === undefined || this.#closing) return;
    const bytes = encodeBeacon(this.#announcement);
    for (const { socket } of this.#senders.values()) void this.#sendOn(socket, bytes);
  }

  /**
   * Answers a newcomer with a beacon soon, so that it learns of this member well within an
   * interval; at most one such beacon per quarter interval, whatever a flood of newcomers.
   */
  #sendSoon(): void {
    if (this.#triggerTimer !== undefined || this.#announcement === undefined) return;
    const gap = this.options.interval / 4;
    const wait = Math.max(0, this.#lastTriggered + gap - performance.now());
    this.#triggerTimer = setTimeout(() => {
      this.#triggerTimer = undefined;
      this.#lastTriggered = performance.now();
      this.#send();
    }, wait);
    this.#triggerTimer.unref();
  }

  #rescan(): Promise<void> {
    this.#rescanning = this.#rescanning.then(async () => {
      if (this.#closing && this.#receiver.closed) return;
      const now = multicastInterfaces('IPv4');
      try {
        this.#receiver.joinGroupOnAllInterfaces(this.options.group);
      } catch {
        // The socket closed meanwhile, or the system refused: the next rescan tries again.
      }
      let added = false;
      for (const [name, sender] of this.#senders) {
        if (now.some((face) => face.name === name && face.address === sender.address)) continue;
        this.#senders.delete(name);
        await sender.socket.close();
      }
      for (const face of now) {
        if (this.#senders.has(face.name) || this.#closing) continue;
        try {
          const socket = await DatagramSocket.bind({ host: face.address, port: 0 });
          socket.setMulticastInterface(face.address);
          socket.setMulticastTTL(1);
          socket.setMulticastLoopback(true);
          this.#senders.set(face.name, { address: face.address, socket });
          added = true;
        } catch {
          // The interface went away while it was listed.
        }
      }
      if (added) this.#send();
    });
    return this.#rescanning;
  }

  #sweep(): void {
    const now = performance.now();
    for (const [node, peer] of this.#peers) {
      const silentFor = now - peer.lastSeen;
      if (silentFor > peer.interval * this.options.missedBeacons) {
        this.#peers.delete(node);
        if (discoveryLost.hasSubscribers)
          discoveryLost.publish({ remote: peer.endpoint, detail: `${peer.name} (silent)` });
        this.emit('lost', peer, { reason: 'silent', silentFor });
      }
    }
  }

  #wanted(beacon: Beacon): boolean {
    const filter = this.#filter;
    if (filter === undefined || beacon.node === this.options.nodeId) return false;
    if (filter.room !== undefined && beacon.room !== filter.room) return false;
    return filter.service === undefined || beacon.service === filter.service;
  }

  #roomsFull(room: string): boolean {
    const rooms = new Set([...this.#peers.values()].map((peer) => peer.room));
    return !rooms.has(room) && rooms.size >= this.options.maxRooms;
  }

  async #receive(): Promise<void> {
    for (;;) {
      let datagram;
      try {
        datagram = await this.#receiver.recvFrom(MAX_BEACON_SIZE + 1);
      } catch (error) {
        if (error instanceof SocketClosedError) return;
        continue;
      }
      this.stats.beaconsReceived++;
      const beacon = datagram.truncated ? undefined : parseBeacon(datagram.data);
      if (beacon === undefined || !this.#wanted(beacon)) {
        this.stats.beaconsIgnored++;
        continue;
      }
      this.#heard(beacon, datagram.sender.host);
    }
  }

  #heard(beacon: Beacon, source: string): void {
    const now = performance.now();
    const known = this.#peers.get(beacon.node);
    if (known !== undefined) {
      if (beacon.incarnation < known.incarnation) return;
      if (beacon.incarnation === known.incarnation) {
        if (beacon.type === 'goodbye') {
          this.#peers.delete(beacon.node);
          if (discoveryLost.hasSubscribers)
            discoveryLost.publish({ remote: known.endpoint, detail: `${known.name} (goodbye)` });
          this.emit('lost', known, { reason: 'goodbye', silentFor: now - known.lastSeen });
        } else if (source === known.endpoint.host) {
          known.lastSeen = now;
        }
        return;
      }
      this.#peers.delete(beacon.node);
      if (discoveryLost.hasSubscribers)
        discoveryLost.publish({ remote: known.endpoint, detail: `${known.name} (restarted)` });
      this.emit('lost', known, { reason: 'restarted', silentFor: now - known.lastSeen });
    }
    if (beacon.type === 'goodbye') return;
    if (this.#peers.size >= this.options.maxPeers || this.#roomsFull(beacon.room)) {
      this.stats.peersRefused++;
      return;
    }
    const peer: DiscoveredPeer = {
      nodeId: beacon.node,
      incarnation: beacon.incarnation,
      name: beacon.name,
      room: beacon.room,
      service: beacon.service,
      endpoint: { host: source, port: beacon.port },
      interval: beacon.interval,
      lastSeen: now,
    };
    this.#peers.set(beacon.node, peer);
    if (discoveryFound.hasSubscribers)
      discoveryFound.publish({ remote: peer.endpoint, detail: peer.name });
    this.emit('found', { ...peer, endpoint: { ...peer.endpoint } });
    this.#sendSoon();
  }
}
