import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { Resources } from '../reliable/helpers.js';
import { RawPeer } from '../reliable/raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

describe('reliable receiver answering small datagrams', () => {
  it('answers no datagram with more than twice its bytes, with 40 SACK blocks to report', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const incarnation = 0x0a0a_0a0a;
    // Empty segments at 2, 4, ..., 80 leave 40 holes: 40 SACK blocks to report. Then a
    // duplicate of one of them, and a FIN. Each is sent once its predecessor was answered.
    const triggers = Array.from({ length: 40 }, (_, i) =>
      raw.data(incarnation, 2 * (i + 1), Buffer.alloc(0)),
    );
    triggers.push(raw.data(incarnation, 2, Buffer.alloc(0)));
    triggers.push(raw.fin(incarnation, 200));
    let worst = 0;
    let worstAnswer = 0;
    for (const trigger of triggers) {
      const before = raw.answers.length;
      await raw.send(trigger, target);
      await raw.answered(before + 1, 2000, 'an answer');
      for (const answer of raw.answers.slice(before)) {
        const ratio = answer.bytes / trigger.length;
        if (ratio > worst) {
          worst = ratio;
          worstAnswer = answer.bytes;
        }
      }
    }
    console.log(`largest answer ${worstAnswer} B, ${worst.toFixed(2)}x its trigger`);
    assert.ok(worst <= 2, `an answer was ${worst.toFixed(2)}x its trigger (${worstAnswer} B)`);
    // The receiver still knows every segment it holds: the sender's next full ACK says so.
    assert.equal(receiver.stats.messagesReceived, 0);
  });
});
