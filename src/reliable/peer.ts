import type { UdpTransport } from '../datagram/transport.js';
import type { Endpoint } from '../endpoint/endpoint.js';
import { reliableSend } from '../internal/channels.js';
import type { ReceiveFlow } from './receive-flow.js';
import type { SendFlow } from './send-flow.js';
import type { SendTally } from './send-tally.js';

/**
 * Everything a reliable socket keeps about one remote endpoint: the flow it sends there, the
 * flows it receives from there (one per sender incarnation), and the peer's single timer,
 * re-armed for whichever of their deadlines comes first.
 */
export class Peer {
  readonly key: string;
  readonly endpoint: Readonly<Endpoint>;
  send: SendFlow | undefined;
  readonly flows = new Map<number, ReceiveFlow<Peer>>();
  /** The flow the last DATA went to: most datagrams belong to the same one. */
  lastFlow: ReceiveFlow<Peer> | undefined;
  timer: NodeJS.Timeout | undefined;
  /** When the timer fires (ms), Infinity when it is not armed. */
  timerAt = Infinity;
  /** The peer's receiver epoch as last learned from its ACKs and RETRYs (0: not yet). */
  epoch = 0;
  readonly transmit: (datagram: Buffer) => void;

  constructor(
    readonly host: string,
    readonly port: number,
    transport: UdpTransport,
    sends: SendTally,
  ) {
    this.key = peerKey(host, port);
    this.endpoint = Object.freeze({ host, port });
    this.transmit = (datagram) => {
      try {
        if (reliableSend.hasSubscribers)
          reliableSend.publish({ source: transport, remote: this.endpoint, data: datagram });
        sends.started();
        transport.send(datagram, port, host, sends.done);
      } catch (error) {
        // The socket closed under a late timer or ACK: nothing more goes out.
        sends.done(error instanceof Error ? error : new Error(String(error)));
      }
    };
  }

  /** True when the peer holds no flow and can be forgotten. */
  get empty(): boolean {
    return this.send === undefined && this.flows.size === 0;
  }

  /** Arms the timer for `at` (ms) unless it already fires earlier. */
  arm(at: number, now: number, run: (peer: Peer) => void): void {
    if (at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(run, Math.max(1, at - now), this);
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

export function peerKey(host: string, port: number): string {
  return `${host}|${port}`;
}
