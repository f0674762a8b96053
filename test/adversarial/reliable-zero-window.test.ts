import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PeerUnreachableError, ReliableDatagramSocket } from '../../src/index.js';
import { encodeAck, PacketType } from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';
import { Resources } from '../reliable/helpers.js';
import { RawPeer } from '../reliable/raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

describe('reliable sender facing a receiver that keeps its window shut', () => {
  it('fails the send with PeerUnreachableError once the zero window outlasts the peer timeout', async () => {
    const peerTimeout = 500;
    const sender = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0', { peerTimeout }));
    const raw = resources.add(await RawPeer.open());
    // Every DATA is answered at once with an ACK that takes nothing and advertises window 0.
    let answered = 0;
    raw.onAnswer = (packet) => {
      if (packet?.type !== PacketType.Data) return;
      answered++;
      void raw.send(
        encodeAck(packet.incarnation, 0, 0, packet.timestamp, 1, []),
        sender.localEndpoint,
      );
    };
    const started = performance.now();
    await assert.rejects(
      within(sender.sendTo('a chat line', raw.localEndpoint), peerTimeout + 2500, 'the send'),
      PeerUnreachableError,
    );
    const elapsed = performance.now() - started;
    console.log(`send failed after ${elapsed.toFixed(0)} ms, ${answered} zero-window ACKs`);
    assert.ok(answered >= 2, `the receiver answered ${answered} probes`);
    assert.ok(elapsed < peerTimeout + 1000, `failed after ${elapsed.toFixed(0)} ms`);
    assert.equal(sender.peerCount, 0, 'the peer was forgotten');
  });
});
