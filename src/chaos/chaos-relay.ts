import { lookup } from 'node:dns/promises';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Endpoint } from '../endpoint/endpoint.js';
import { ANY_ADDRESS, LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { familyOf } from '../endpoint/parse.js';
import { toSocketError } from '../errors.js';
import {
  chaosDelay,
  chaosDrop,
  chaosDuplicate,
  chaosForward,
  chaosReceive,
} from '../internal/channels.js';
import { bindSocket } from '../datagram/bind.js';
import { ClientMappings, type Mapping } from './client-mappings.js';
import { DelayedDeliveries } from './delayed-deliveries.js';
import { FaultPlan } from './fault-plan.js';
import { type ChaosRelayOptions, checkRelayOptions, type RelaySettings } from './relay-options.js';
import { type DirectionStats, RelayCounters, type RelayStats } from './relay-stats.js';

export type { DirectionStats, RelayStats } from './relay-stats.js';
export type { ChaosRelayOptions } from './relay-options.js';

/** Where a delayed datagram goes: through `mapping`, to the target or back to its client. */
interface Direction {
  readonly mapping: Mapping;
  readonly toTarget: boolean;
}

/**
 * A UDP relay that misbehaves on purpose, to test protocols over a lossy network on one
 * machine. Datagrams that clients send to {@link localEndpoint} are forwarded to the target
 * from a socket of the client's own (as a NAT maps each client to a port), and the target's
 * answers to that socket go back to the client from the listening socket. Each datagram, in
 * each direction, may be dropped, duplicated, delayed or reordered as {@link Faults} say.
 *
 * Mappings of idle clients expire, and their number is capped; datagrams held for their delay
 * are capped in count and bytes (beyond, they are dropped and counted as `overflowed`), so
 * memory stays bounded whatever clients send.
 *
 * @example
 * ```ts
 * import { ChaosRelay, DatagramSocket } from 'dsock';
 *
 * // Every datagram to the target sent twice: the relay stands between client and target.
 * await using target = await DatagramSocket.bind('127.0.0.1:0');
 * await using relay = await ChaosRelay.start({
 *   target: target.localEndpoint,
 *   faults: { dup: 1, seed: 7 },
 * });
 * await using client = await DatagramSocket.bind('127.0.0.1:0');
 * await client.sendTo('twice', relay.localEndpoint);
 * console.log(`${(await target.recvFrom(100, { timeout: 1000 })).data}`); // twice
 * console.log(`${(await target.recvFrom(100, { timeout: 1000 })).data}`); // twice
 * ```
 */
export class ChaosRelay implements AsyncDisposable {
  readonly #listener: Socket;
  readonly #local: Endpoint;
  readonly #target: Endpoint;
  readonly #toTarget: FaultPlan;
  readonly #toClient: FaultPlan;
  readonly #mappings: ClientMappings;
  readonly #delayed: DelayedDeliveries<Direction>;
  readonly #counters = new RelayCounters();
  #closing: Promise<void> | undefined;

  private constructor(listener: Socket, options: RelaySettings) {
    this.#listener = listener;
    const address = listener.address();
    this.#local = { host: address.address, port: address.port };
    this.#target = options.target;
    this.#toTarget = new FaultPlan({ ...options.faults, seed: options.seed }, options.holdBack);
    this.#toClient = new FaultPlan(
      { ...options.faults, seed: (options.seed + 1) >>> 0 },
      options.holdBack,
    );
    this.#delayed = new DelayedDeliveries(
      options.maxDelayedDatagrams,
      options.maxDelayedBytes,
      (data, { mapping, toTarget }) => this.#send(data, mapping, toTarget),
    );
    const targetFamily = familyOf(this.#target.host) ?? 'IPv4';
    const listenFamily = familyOf(this.#local.host) ?? 'IPv4';
    // Mapping sockets stay on the listening address when they can, so that a relay on
    // loopback exposes nothing on other interfaces.
    const mappingHost =
      targetFamily === listenFamily && this.#local.host !== ANY_ADDRESS[listenFamily]
        ? this.#local.host
        : ANY_ADDRESS[targetFamily];
    this.#mappings = new ClientMappings(
      {
        host: mappingHost,
        maxClients: options.maxClients,
        idleTimeout: options.idleTimeout,
        kernelBufferSize: options.kernelBufferSize,
      },
      this.#counters,
      (mapping, data, info) => this.#fromTarget(mapping, data, info),
    );
    listener.on('message', (data: Buffer, info: RemoteInfo) => this.#fromClient(data, info));
    listener.on('error', () => this.#counters.errors++);
  }

  /**
   * Starts a relay. Rejects like {@link DatagramSocket.bind} when the listening address
   * cannot be bound, and with {@link InvalidArgumentError} or {@link InvalidEndpointError} for bad options.
   */
  static async start(options: ChaosRelayOptions): Promise<ChaosRelay> {
    const checked = checkRelayOptions(options);
    if (familyOf(checked.target.host) === undefined) {
      // Answers are matched by address, so a target given by name is resolved once, here.
      try {
        checked.target = { ...checked.target, host: (await lookup(checked.target.host)).address };
      } catch (error) {
        throw toSocketError(error, 'connect', checked.target);
      }
    }
    const bound = await bindSocket(options.listen ?? { host: LOOPBACK_ADDRESS.IPv4, port: 0 }, {
      kernelReceiveBufferSize: checked.kernelBufferSize,
      kernelSendBufferSize: checked.kernelBufferSize,
    });
    return new ChaosRelay(bound.socket, checked);
  }

  /** The address clients send to. */
  get localEndpoint(): Endpoint {
    return { ...this.#local };
  }

  /** Where datagrams are forwarded to. */
  get target(): Endpoint {
    return { ...this.#target };
  }

  /** The seeds of the two directions' fault plans, to repeat a run. */
  get seeds(): { toTarget: number; toClient: number } {
    return { toTarget: this.#toTarget.settings.seed, toClient: this.#toClient.settings.seed };
  }

  /** Clients currently mapped. */
  get clientCount(): number {
    return this.#mappings.size;
  }

  /** Datagrams waiting for their delay to pass. */
  get pendingDeliveries(): number {
    return this.#delayed.size;
  }

  /** Payload bytes of the datagrams waiting for their delay to pass. */
  get pendingBytes(): number {
    return this.#delayed.bytes;
  }

  /** A snapshot of the counters, per direction and in total. */
  get stats(): RelayStats {
    return this.#counters.snapshot();
  }

  /**
   * Closes every socket of the relay and cancels every delivery still waiting for its delay.
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#delayed.clear();
      await Promise.all([
        this.#mappings.close(),
        new Promise<void>((resolve) => this.#listener.close(() => resolve())),
      ]);
    })();
    return this.#closing;
  }

  /** Closes the relay, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #fromClient(data: Buffer, info: RemoteInfo): void {
    if (this.#closing) return;
    const mapping = this.#mappings.of(info);
    mapping.lastActive = performance.now();
    this.#apply(this.#toTarget, this.#counters.toTarget, data, mapping, true);
  }

  #fromTarget(mapping: Mapping, data: Buffer, info: RemoteInfo): void {
    if (this.#closing || mapping.closed) return;
    // Only the target's answers are relayed: a mapping is no open door for anyone else.
    if (info.port !== this.#target.port || info.address !== this.#target.host) {
      this.#counters.foreign++;
      return;
    }
    this.#apply(this.#toClient, this.#counters.toClient, data, mapping, false);
  }

  #apply(
    plan: FaultPlan,
    counts: DirectionStats,
    data: Buffer,
    mapping: Mapping,
    toTarget: boolean,
  ): void {
    counts.received++;
    const from = toTarget ? mapping.client : this.#target;
    if (chaosReceive.hasSubscribers)
      chaosReceive.publish({
        source: toTarget ? this.#listener : mapping.socket,
        remote: from,
        data,
      });
    const decision = plan.decide();
    if (decision.dropped) {
      counts.dropped++;
      if (chaosDrop.hasSubscribers) chaosDrop.publish({ remote: from, data, detail: 'loss' });
      return;
    }
    if (decision.duplicated) counts.duplicated++;
    if (decision.duplicated && chaosDuplicate.hasSubscribers)
      chaosDuplicate.publish({ remote: from, data });
    if (decision.reordered) counts.reordered++;
    for (const delay of decision.deliveries) {
      if (delay <= 0) {
        this.#send(data, mapping, toTarget);
        continue;
      }
      if (!this.#delayed.hold(data, { mapping, toTarget }, delay)) {
        counts.overflowed++;
        if (chaosDrop.hasSubscribers) chaosDrop.publish({ remote: from, data, detail: 'overflow' });
        continue;
      }
      if (chaosDelay.hasSubscribers) chaosDelay.publish({ remote: from, data, detail: `${delay}` });
    }
  }

  #send(data: Buffer, mapping: Mapping, toTarget: boolean): void {
    if (mapping.closed) return;
    const counts = toTarget ? this.#counters.toTarget : this.#counters.toClient;
    counts.forwarded++;
    if (chaosForward.hasSubscribers) {
      const [source, remote] = toTarget
        ? [mapping.socket, this.#target]
        : [this.#listener, mapping.client];
      chaosForward.publish({ source, remote, data });
    }
    try {
      if (toTarget) mapping.socket.send(data, this.#target.port, this.#target.host);
      else this.#listener.send(data, mapping.client.port, mapping.client.host);
    } catch {
      this.#counters.errors++;
    }
  }

  /** Names the relay in messages: `127.0.0.1:4000 -> 127.0.0.1:5000`. */
  toString(): string {
    return `${formatEndpoint(this.#local)} -> ${formatEndpoint(this.#target)}`;
  }
}
