import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dsock from '../src/index.js';
import {
  AbortError,
  AddressInUseError,
  SocketError,
  type SocketErrorCode,
  TimeoutError,
} from '../src/index.js';
import { toSocketError } from '../src/errors.js';

/** Every error class the package exports, by the name it is exported under. */
const errorClasses = Object.entries(dsock).filter(
  (entry): entry is [string, typeof SocketError] =>
    typeof entry[1] === 'function' &&
    (entry[1] === SocketError || entry[1].prototype instanceof SocketError),
);

describe('error classes', () => {
  it('each carry a constant name, the one they are exported under', () => {
    assert.ok(errorClasses.length >= 18, `${errorClasses.length} error classes exported`);
    for (const [exported, ErrorClass] of errorClasses) {
      // A class renamed by a minifier keeps its name: the name is a literal, not the class's.
      const Renamed = class extends (ErrorClass as new (...args: unknown[]) => SocketError) {};
      const error = new Renamed('message', 'ERR_SOCKET', 1, 2);
      assert.equal(error.name, exported);
      assert.ok(String(error).startsWith(`${exported}: `), String(error));
      assert.ok(error.stack?.startsWith(`${exported}: `), error.stack);
    }
  });

  it('narrow `code` to their own code, which a switch over SocketErrorCode can branch on', () => {
    const describeCode = (code: SocketErrorCode): string => {
      switch (code) {
        case 'ETIMEDOUT':
          return 'timed out';
        case 'ABORT_ERR':
          return 'aborted';
        default:
          return code;
      }
    };
    const timeout: 'ETIMEDOUT' = new TimeoutError('late', 5).code;
    const abort: 'ABORT_ERR' = new AbortError().code;
    assert.equal(describeCode(timeout), 'timed out');
    assert.equal(describeCode(abort), 'aborted');
    assert.equal(new AddressInUseError('taken').code, 'EADDRINUSE');
    // A system code no class describes passes through.
    assert.equal(describeCode(toSocketError({ code: 'ENOBUFS' }, 'send').code), 'ENOBUFS');
  });
});
