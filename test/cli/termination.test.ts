import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineChild } from '../helpers/child.js';

/**
 * A command whose work never ends by itself and does not watch the signal: what a command
 * stuck in a call it cannot abort looks like. terminationSignal must still end it.
 */
const STUCK_COMMAND = `
const { terminationSignal } = await import(${JSON.stringify(new URL('../../../dist/cli/terminal.js', import.meta.url).href)});
terminationSignal({ exitStatus: 130, grace: 300 });
setInterval(() => undefined, 1000);
console.log('ready');
`;

describe('terminationSignal', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`ends a command still busy after ${signal} with its exit status`, async () => {
      const child = new LineChild(process.execPath, ['--input-type=module', '-e', STUCK_COMMAND]);
      try {
        assert.equal(await child.nextLine(), 'ready');
        child.process.kill(signal);
        assert.equal(await child.exitCode(5000), 130);
        assert.equal(child.process.signalCode, null, 'it exited by itself, not by the signal');
      } finally {
        await child.close();
      }
    });
  }
});
