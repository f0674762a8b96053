/**
 * Node's own `setImmediate`, for work dsock defers to the end of the current turn of the event
 * loop: settling a send after a turn, restarting a per-turn count, flushing acknowledgements.
 *
 * Taken from `node:timers` when dsock loads, not looked up on the global object at each call:
 * an application's tests may mock the global one (node:test's `mock.timers`, fake timers) while
 * they talk to real peers. Work left to the mock would run only when the test advanced its
 * clock, and not at all once the mock was reset, which drops what it held; where one pending
 * call stands for all later ones (a shared turn, a scheduled flush), nothing would run again.
 */
import {
  clearImmediate as nodeClearImmediate,
  setImmediate as nodeSetImmediate,
} from 'node:timers';

/** Runs `callback` after this turn's I/O, with Node's own timers whatever a test has mocked. */
export const afterATurn: (callback: () => void) => NodeJS.Immediate = nodeSetImmediate;

/** Cancels what {@link afterATurn} scheduled, with Node's own timers as well. */
export const cancelTurn: (immediate: NodeJS.Immediate) => void = nodeClearImmediate;
