/** The format version written in every trace line (`v`). */
export const TRACE_FORMAT_VERSION = 1;

/** The process a trace event happened in, as it names itself. */
export interface TraceProcess {
  /** Its process id. */
  pid: number;
  /** What it runs: a dsock command (`chat udp`), or a program's own word. */
  command: string;
  /** Its name, where it has one (a chat's `--name`). */
  name?: string | undefined;
}

/**
 * One event of a trace: one line of a trace file (JSON Lines). Endpoints are `host:port`
 * text (IPv6 bracketed); `digest` is the first 12 hexadecimal digits of the SHA-256 of the
 * payload, so that a send and its receive in another process can be paired; `preview` is the
 * start of the payload with every byte outside printable ASCII written `\xNN`.
 */
export interface TraceEvent {
  /** Format version: {@link TRACE_FORMAT_VERSION}. */
  v: number;
  /** The event's number in its process, from 1. */
  seq: number;
  /** Monotonic time in ms (performance.now() of the process): orders one process's events. */
  mono: number;
  /** Wall-clock time in ms since the epoch: compares processes, as far as clocks agree. */
  wall: number;
  /** The process id. */
  pid: number;
  /** The process's command. */
  command: string;
  /** The process's name, where it has one. */
  name?: string | undefined;
  /** The event: the channel name without `dsock:` (`datagram:send`, `chaos:drop`). */
  event: string;
  /** The local endpoint. */
  local?: string | undefined;
  /** The remote endpoint: where it went, where it came from. */
  remote?: string | undefined;
  /** The payload's size in bytes. */
  size?: number | undefined;
  /** A short digest of the payload. */
  digest?: string | undefined;
  /** The payload's first bytes, escaped. */
  preview?: string | undefined;
  /** What else the event says: an RPC method, a reason. */
  detail?: string | undefined;
}
