import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket } from '../../src/index.js';
import { nativeBinding, nativeShared } from '../../src/datagram/native-binding.js';

describe('the native datagram addon, as loaded', () => {
  it('says why the native path is or is not used', () => {
    const status = DatagramSocket.nativeStatus;
    if (process.env.DSOCK_NATIVE === '0') assert.match(status, /DSOCK_NATIVE=0/);
    if (DatagramSocket.nativeAvailable) assert.match(status, /^loaded from .*dsock_native\.node$/);
    else assert.doesNotMatch(status, /^loaded/);
  });

  it('refuses a second init, which would move the arrays open sockets write to', (t) => {
    if (nativeBinding === undefined || nativeShared === undefined) {
      t.skip(`the native path is not in use: ${DatagramSocket.nativeStatus}`);
      return;
    }
    const { recvMeta, sendPorts, sendResults } = nativeShared;
    assert.throws(() => nativeBinding!.init(recvMeta, sendPorts, sendResults), /already/);
  });
});
