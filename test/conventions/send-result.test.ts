// `send` and `sendTo` resolve the length in bytes of the one datagram or message they carried
// (its payload, without headers or length prefix), on every class that has them; `sendAll`
// resolves nothing, as Python's sendall returns None.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  DatagramSocket,
  FrameWriter,
  MessageStream,
  ReliableDatagramSocket,
  StreamServer,
  StreamSocket,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';

const opened: { close(): Promise<void> }[] = [];
after(() => within(Promise.all(opened.map((c) => c.close())), 10_000, 'closing what is left'));

function track<T extends { close(): Promise<void> }>(closable: T): T {
  opened.push(closable);
  return closable;
}

/** Five characters, six bytes in UTF-8: a count of characters would be 5. */
const TEXT = 'héllo';
const TEXT_BYTES = 6;

describe('send and sendTo resolve the bytes they carried', () => {
  it('on DatagramSocket (sendTo and send) and ReliableDatagramSocket (sendTo)', async () => {
    const plain = track(await DatagramSocket.bind('127.0.0.1:0'));
    const reliable = track(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const receiver = track(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    assert.equal(await within(plain.sendTo(TEXT, plain.localEndpoint), 5000, 'sendTo'), 6);
    await plain.connect(plain.localEndpoint);
    assert.equal(await within(plain.send(Buffer.alloc(3)), 5000, 'send'), 3);
    const sent = reliable.sendTo(TEXT, receiver.localEndpoint);
    const received = await within(receiver.recvFrom(undefined, { timeout: 5000 }), 6000, 'recv');
    assert.equal(received.data.toString(), TEXT);
    assert.equal(await within(sent, 5000, 'the acknowledgement'), TEXT_BYTES);
  });

  it('on MessageStream and FrameWriter (send), not counting the prefix', async () => {
    const server = track(await StreamServer.listen('127.0.0.1:0'));
    const client = track(await within(StreamSocket.connect(server.localEndpoint), 5000, 'connect'));
    const accepted = track(await server.accept({ timeout: 5000 }));
    const stream = track(new MessageStream(accepted, { prefix: 'uint32be' }));
    assert.equal(await within(stream.send(TEXT), 5000, 'MessageStream.send'), TEXT_BYTES);
    const writer = new FrameWriter(
      { write: (data, done) => void client.sendAll(data).then(() => done(), done) },
      { prefix: 'varint' },
    );
    assert.equal(await within(writer.send(Buffer.alloc(300)), 5000, 'FrameWriter.send'), 300);
    assert.equal(await within(client.sendAll(TEXT), 5000, 'sendAll'), undefined);
  });
});
