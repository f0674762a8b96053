/**
 * What the coordinator and the peers of a trial say to each other. Every message is a plain
 * object with a `type`; the rest of its fields are the scenario's business. The coordinator
 * sends `stop` when a trial ends, so that a peer serving until told otherwise can close down.
 */
export interface PeerMessage {
  type: string;
  [field: string]: unknown;
}

/** The message the coordinator sends to end a peer. */
export const STOP = 'stop';

/** What a peer function is given: its parameters and a channel to the coordinator. */
export interface PeerContext<P> {
  readonly params: P;
  /** Sends a message to the coordinator. */
  post(message: PeerMessage): void;
  /** The next message from the coordinator; rejects if it is not of `type` (or one of them). */
  next<M extends PeerMessage = PeerMessage>(type: string | readonly string[]): Promise<M>;
}

/** One end of a contender, run in its own thread: it returns once it has closed everything. */
export type PeerFunction<P> = (context: PeerContext<P>) => Promise<void>;

/** Checks that `message` is of `type` (or one of them), naming both otherwise. */
export function expectType<M extends PeerMessage>(
  message: PeerMessage,
  type: string | readonly string[],
  who: string,
): M {
  if (typeof type === 'string' ? message.type !== type : !type.includes(message.type)) {
    const wanted = typeof type === 'string' ? `"${type}"` : type.map((t) => `"${t}"`).join(' or ');
    throw new Error(`${who}: expected a ${wanted} message, got "${message.type}"`);
  }
  return message as M;
}
