import { channel, type Channel } from 'node:diagnostics_channel';
import type { Endpoint } from '../endpoint/endpoint.js';

/**
 * What every dsock channel publishes. Only the fields that apply are set: a datagram's send
 * has `remote` and `data`, a discovery event `remote` and `detail`. Publishers pass what they
 * hold (often the socket itself as `source`, whose endpoints a subscriber reads only if it
 * wants them), so that a published event costs an object and no formatting.
 */
export interface ChannelMessage {
  /** The local endpoint, where the publisher knows it without asking the system. */
  readonly local?: Endpoint | undefined;
  /**
   * The object that sent or received: a dsock socket (with `localEndpoint`) or a node:dgram
   * socket (with `address()`). A subscriber may read the local endpoint from it.
   */
  readonly source?: object | undefined;
  /** The peer: where a datagram went or came from, the other end of a connection. */
  readonly remote?: Endpoint | undefined;
  /** The bytes sent or received (text as a string); read them before the call returns. */
  readonly data?: Uint8Array | string | undefined;
  /** A size, where there are no bytes to give (a connection's total, a delay's datagram). */
  readonly size?: number | undefined;
  /** A short word or two: an RPC method, why a peer was given up, a room name. */
  readonly detail?: string | undefined;
}

/** A channel of dsock's: `hasSubscribers` is false, and publishing skipped, until one subscribes. */
export type DsockChannel = Channel<unknown, ChannelMessage>;

function named(name: string): DsockChannel {
  return channel(name) as DsockChannel;
}

// Each publish point checks `hasSubscribers` before it builds its message: a program that
// nobody traces pays one property read per event. The names are documented in docs/trace.md.

/** A datagram handed to the system (`remote`, `data`, `source`). */
export const datagramSend = named('dsock:datagram:send');
/** A datagram taken by the application (`remote`, `data`, `source`). */
export const datagramReceive = named('dsock:datagram:receive');
/** A datagram dropped on arrival, its socket's queue full (`remote`, `data`). */
export const datagramDrop = named('dsock:datagram:drop');

/** A connection opened by connect (`source`, `remote`). */
export const streamConnect = named('dsock:stream:connect');
/** A connection taken by accept (`source`, `remote`). */
export const streamAccept = named('dsock:stream:accept');
/** Bytes given to sendAll (`source`, `remote`, `data`). */
export const streamSend = named('dsock:stream:send');
/** Bytes returned by recv (`source`, `remote`, `data`; empty at end of stream). */
export const streamReceive = named('dsock:stream:receive');
/** A connection closed locally (`source`, `remote`). */
export const streamClose = named('dsock:stream:close');

/** A message written to a MessageStream (`source`: the connection, `data`). */
export const framingOut = named('dsock:framing:out');
/** A message decoded from a MessageStream (`source`: the connection, `data`). */
export const framingIn = named('dsock:framing:in');

/** A reliable-protocol datagram (DATA, ACK, FIN, ...) sent (`source`, `remote`, `data`). */
export const reliableSend = named('dsock:reliable:send');
/** A reliable-protocol datagram arrived (`source`, `remote`, `data`). */
export const reliableReceive = named('dsock:reliable:receive');
/** An ACK arrived (`remote`). */
export const reliableAck = named('dsock:reliable:ack');
/** The next reliable send is a segment sent again (lost, or a tail probe). */
export const reliableRetransmit = named('dsock:reliable:retransmit');
/** A whole message handed to the application (`remote`, `data`). */
export const reliableDeliver = named('dsock:reliable:deliver');
/** A peer given up (`remote`, `detail`: why). */
export const reliableGiveUp = named('dsock:reliable:give-up');

/** A datagram the chaos relay received, before its faults apply (`source`, `remote`, `data`). */
export const chaosReceive = named('dsock:chaos:receive');
/** A datagram the relay sent on (`source`, `remote`: where to, `data`). */
export const chaosForward = named('dsock:chaos:forward');
/** A received datagram the relay dropped (`remote`: its sender, `data`). */
export const chaosDrop = named('dsock:chaos:drop');
/** A received datagram the relay will send twice (`remote`: its sender, `data`). */
export const chaosDuplicate = named('dsock:chaos:duplicate');
/** A received datagram held back (`remote`: its sender, `data`, `detail`: the delay in ms). */
export const chaosDelay = named('dsock:chaos:delay');

/** An RPC call sent by a client (`remote`, `detail`: the method). */
export const rpcCall = named('dsock:rpc:call');
/** An RPC reply sent by a server (`remote`, `detail`: the method). */
export const rpcReply = named('dsock:rpc:reply');

/** A peer found by discovery (`remote`, `detail`: its name). */
export const discoveryFound = named('dsock:discovery:found');
/** A peer discovery no longer hears (`remote`, `detail`: its name). */
export const discoveryLost = named('dsock:discovery:lost');

/** Every channel of dsock, by name. */
export const CHANNELS: ReadonlyMap<string, DsockChannel> = new Map(
  [
    datagramSend,
    datagramReceive,
    datagramDrop,
    streamConnect,
    streamAccept,
    streamSend,
    streamReceive,
    streamClose,
    framingOut,
    framingIn,
    reliableSend,
    reliableReceive,
    reliableAck,
    reliableRetransmit,
    reliableDeliver,
    reliableGiveUp,
    chaosReceive,
    chaosForward,
    chaosDrop,
    chaosDuplicate,
    chaosDelay,
    rpcCall,
    rpcReply,
    discoveryFound,
    discoveryLost,
  ].map((c) => [c.name as string, c]),
);
