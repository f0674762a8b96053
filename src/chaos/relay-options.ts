import type { Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { toEndpoint } from '../endpoint/parse.js';
import { InvalidArgumentError } from '../errors.js';
import { checkInteger, checkNumber, checkOptionsObject } from '../internal/validate.js';
import { checkFaults, type Faults } from './fault-plan.js';

/** Options of {@link ChaosRelay.start}. */
export interface ChaosRelayOptions {
  /** Where clients send to (default `127.0.0.1:0`, a port the system chooses). */
  listen?: EndpointLike;
  /** Where the relay forwards the clients' datagrams to. A host left out means loopback. */
  target: EndpointLike;
  /**
   * The faults, applied to each datagram in each direction alike. Each direction draws from
   * its own fault plan: clients to target seeded with `seed`, target to clients with
   * `seed + 1`, so that a run repeats exactly.
   */
  faults?: Faults;
  /** How long (ms) a reordered datagram is held back beyond its delay (default 5). */
  holdBack?: number;
  /** A client that has sent nothing for this long (ms) loses its mapping (default 30,000). */
  idleTimeout?: number;
  /**
   * The kernel buffer size (SO_RCVBUF and SO_SNDBUF) of each relay socket, in bytes (default
   * 2 MiB; the system may cap it). Large, so that the relay loses only what the faults say.
   */
  kernelBufferSize?: number;
  /** The most clients mapped at once (default 256); the least recently active one makes room. */
  maxClients?: number;
  /**
   * The most datagrams held for their delay (or reordering) at once, both directions together
   * (default 16,384). A datagram that would go beyond it, or
   * beyond {@link maxDelayedBytes}, is dropped and counted as `overflowed`: a flood through a
   * long delay costs at most these bounds, not its rate times the delay.
   */
  maxDelayedDatagrams?: number;
  /**
   * The most payload bytes held for their delay at once, both directions together (default
   * 32 MiB); see {@link maxDelayedDatagrams}.
   */
  maxDelayedBytes?: number;
}

/** The most datagrams a relay holds for their delay unless told otherwise: 16,384. */
export const DEFAULT_MAX_DELAYED_DATAGRAMS = 16_384;
/** The most bytes a relay holds for their delay unless told otherwise: 32 MiB. */
export const DEFAULT_MAX_DELAYED_BYTES = 32 * 1024 * 1024;

const DEFAULT_IDLE_TIMEOUT = 30_000;
const DEFAULT_MAX_CLIENTS = 256;
const DEFAULT_BUFFER_SIZE = 2 * 1024 * 1024;

/** The checked options of a relay. */
export interface RelaySettings {
  target: Endpoint;
  faults: Faults;
  seed: number;
  holdBack: number;
  idleTimeout: number;
  maxClients: number;
  kernelBufferSize: number;
  maxDelayedDatagrams: number;
  maxDelayedBytes: number;
}

export function checkRelayOptions(options: ChaosRelayOptions): RelaySettings {
  checkOptionsObject(options, '{ target: "127.0.0.1:5000" }');
  const target = toEndpoint(options.target, { host: LOOPBACK_ADDRESS.IPv4 });
  if (target.port === 0) {
    throw new InvalidArgumentError(
      'target',
      'an endpoint with a port other than 0',
      options.target,
    );
  }
  const faults = options.faults ?? {};
  const seed = checkFaults(faults).seed;
  const holdBack = checkNumber(
    'holdBack',
    options.holdBack ?? 5,
    0,
    Infinity,
    'a number of milliseconds',
  );
  return {
    target,
    faults,
    seed,
    holdBack,
    idleTimeout: checkInteger(
      'idleTimeout',
      options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      1,
      2 ** 31 - 1,
    ),
    kernelBufferSize: checkInteger(
      'kernelBufferSize',
      options.kernelBufferSize ?? DEFAULT_BUFFER_SIZE,
      1024,
      2 ** 30,
    ),
    maxClients: checkInteger('maxClients', options.maxClients ?? DEFAULT_MAX_CLIENTS, 1, 65536),
    maxDelayedDatagrams: checkInteger(
      'maxDelayedDatagrams',
      options.maxDelayedDatagrams ?? DEFAULT_MAX_DELAYED_DATAGRAMS,
      1,
      2 ** 24,
    ),
    maxDelayedBytes: checkInteger(
      'maxDelayedBytes',
      options.maxDelayedBytes ?? DEFAULT_MAX_DELAYED_BYTES,
      1,
      2 ** 32,
    ),
  };
}
