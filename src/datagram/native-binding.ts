import { nativeAddon, nativeAddonStatus } from '../internal/native-addon.js';

/** A native UDP handle, opaque to TypeScript. */
export type NativeHandle = { readonly __nativeHandle: unique symbol };

/** The datagram functions of the addon built from native/ (see native/dsock.h). */
export interface NativeBinding {
  readonly DSOCK_ABI: number;
  readonly RECV_BATCH: number;
  readonly RECV_FIELDS: number;
  readonly SEND_BATCH: number;
  readonly SEND_QUEUED: number;
  init(recvMeta: Int32Array, sendPorts: Int32Array, sendResults: Int32Array): void;
  open(
    owner: object,
    family: 4 | 6,
    /** `buffers`: the one Buffer of a batch that needs only one, else an array of them. */
    onBatch: (count: number, buffers: Buffer | Buffer[], names: string[] | undefined) => void,
    onError: (error: Error) => void,
    onSent: (error: Error | null) => void,
  ): NativeHandle;
  bind(handle: NativeHandle, host: string, port: number, flags: number): void;
  connect(handle: NativeHandle, host: string, port: number): void;
  disconnect(handle: NativeHandle): void;
  name(handle: NativeHandle, peer: boolean): [string, number];
  option(handle: NativeHandle, which: number, value: number): void;
  multicastInterface(handle: NativeHandle, iface: string): void;
  membership(handle: NativeHandle, group: string, iface: string | undefined, join: boolean): void;
  bufferSize(handle: NativeHandle, send: boolean, size: number): number;
  recvStart(handle: NativeHandle, slots: number): void;
  send(
    handle: NativeHandle,
    count: number,
    /** The first `count` are sent; any after them are not read. */
    payloads: readonly (Uint8Array | undefined)[],
    hosts: string | (string | undefined)[] | undefined,
  ): void;
  close(handle: NativeHandle): void;
  /** Sockets of this thread opened and not yet freed, closing ones included. */
  liveSockets(): number;
}

/** The arrays this thread shares with the addon: written by one side, read at once by the other. */
export interface SharedArrays {
  /** Per received datagram: length, port, sender, buffer index, offset. */
  recvMeta: Int32Array;
  sendPorts: Int32Array;
  sendResults: Int32Array;
}

function load(): { binding?: NativeBinding; shared?: SharedArrays; reason: string } {
  const binding = nativeAddon() as NativeBinding | undefined;
  if (binding === undefined) return { reason: nativeAddonStatus };
  try {
    const shared: SharedArrays = {
      recvMeta: new Int32Array(binding.RECV_BATCH * binding.RECV_FIELDS),
      sendPorts: new Int32Array(binding.SEND_BATCH),
      sendResults: new Int32Array(binding.SEND_BATCH),
    };
    binding.init(shared.recvMeta, shared.sendPorts, shared.sendResults);
    return { binding, shared, reason: nativeAddonStatus };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    if (process.env.DSOCK_NATIVE === '1') {
      // CI sets this to prove the fast path is the one under test.
      throw new Error(`DSOCK_NATIVE=1 but the native datagram addon cannot be used: ${detail}`, {
        cause: error,
      });
    }
    return { reason: detail };
  }
}

const loaded = load();

/** The addon, or undefined where it is not built, cannot load, or DSOCK_NATIVE=0. */
export const nativeBinding: NativeBinding | undefined = loaded.binding;

/** The arrays shared with {@link nativeBinding} (set whenever it is). */
export const nativeShared: SharedArrays | undefined = loaded.shared;

/** Why the native path is or is not used, for diagnostics. */
export const nativeStatus: string = loaded.reason;
