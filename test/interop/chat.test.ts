import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatShows } from '../helpers/chat.js';
import { closeAll, dsock, python, readyPort, type LineChild } from '../helpers/child.js';

interface PyEvent {
  raw?: string;
  sender?: [string, number];
  closed?: boolean;
  sent?: number;
  received?: number;
  same?: boolean;
  timestamp_ok?: boolean;
}

/** Reads JSON events from a Python peer until one matches. */
async function pyEvent(peer: LineChild, match: (e: PyEvent) => boolean): Promise<PyEvent> {
  for (;;) {
    const event = JSON.parse(await peer.nextLine()) as PyEvent;
    if (match(event)) return event;
  }
}

const CHAT = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?)\] (.*):\n\t([\s\S]*)$/;

describe('chat interop with Python stdlib peers', () => {
  it('UDP: dsock and a Python peer chat both ways and see each other leave', async () => {
    const children: LineChild[] = [];
    try {
      const me = dsock(['chat', 'udp', 0, '--name', 'Dee', '--host', '127.0.0.1']);
      children.push(me);
      const port = Number((await me.stderrMatch(/chatting on .*:(\d+)$/))[1]);
      const py = python('chat_peer.py', ['udp', 'Pat', `127.0.0.1:${port}`]);
      children.push(py);
      await readyPort(py);

      py.write('hello from Python\n');
      await chatShows(me, 'Pat', 'hello from Python');
      me.write('hello from dsock\n');
      const got = await pyEvent(py, (e) => e.raw !== undefined);
      const parts = CHAT.exec(got.raw ?? '');
      assert.ok(parts, `Python got a chat message: ${got.raw}`);
      assert.equal(parts[2], 'Dee');
      assert.equal(parts[3], 'hello from dsock');
      assert.deepEqual(got.sender, ['127.0.0.1', port]);
      assert.equal(got.timestamp_ok, true, "Python's datetime.fromisoformat reads the timestamp");

      py.endInput();
      await chatShows(me, 'Pat', '<LEAVES THE CHAT>');
      // The departure names the person, from the sender of the messages that endpoint sent.
      await me.stderrMatch(/^# Pat left the chat$/);
      assert.equal(await py.exitCode(), 0);
      me.endInput();
      assert.equal(await me.exitCode(), 0);
    } finally {
      await closeAll(children);
    }
  });

  it('TCP: a Python server chats with the dsock client', async () => {
    const children: LineChild[] = [];
    try {
      const py = python('chat_peer.py', ['tcp-server', 'Pat']);
      children.push(py);
      const port = await readyPort(py);
      const me = dsock(['chat', 'tcp', 'client', `127.0.0.1:${port}`, '--name', 'Dee']);
      children.push(me);
      await me.stderrMatch(/chatting with/);
      me.write('hi Pat\n');
      const got = await pyEvent(py, (e) => e.raw !== undefined);
      assert.equal(CHAT.exec(got.raw ?? '')?.[3], 'hi Pat');
      assert.equal(got.timestamp_ok, true);
      py.write('hi Dee\nsecond\n');
      await chatShows(me, 'Pat', 'hi Dee');
      await chatShows(me, 'Pat', 'second');
      py.endInput();
      await me.stderrMatch(/^# Pat left the chat$/);
      assert.equal(await me.exitCode(), 0);
      await pyEvent(py, (e) => e.closed === true);
    } finally {
      await closeAll(children);
    }
  });

  it('TCP: a Python client chats with the dsock server', async () => {
    const children: LineChild[] = [];
    try {
      const me = dsock(['chat', 'tcp', 'server', 0, '--name', 'Dee', '--host', '127.0.0.1']);
      children.push(me);
      const port = Number((await me.stderrMatch(/waiting for a client on .*:(\d+)$/))[1]);
      const py = python('chat_peer.py', ['tcp-client', 'Pat', '127.0.0.1', port]);
      children.push(py);
      await readyPort(py);
      py.write('ünïcode from Python\n');
      await chatShows(me, 'Pat', 'ünïcode from Python');
      me.write('and back\n');
      const got = await pyEvent(py, (e) => e.raw !== undefined);
      assert.equal(CHAT.exec(got.raw ?? '')?.[3], 'and back');
      me.endInput();
      await pyEvent(py, (e) => e.closed === true);
      assert.equal(await me.exitCode(), 0);
    } finally {
      await closeAll(children);
    }
  });

  it('a Python echo client gets its 5 MiB back from dsock echo server', async () => {
    const children: LineChild[] = [];
    try {
      const server = dsock(['echo', 'server', 0, '--once', '--host', '127.0.0.1']);
      children.push(server);
      const port = Number((await server.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const py = python('chat_peer.py', ['echo-client', '127.0.0.1', port, 5 << 20]);
      children.push(py);
      const result = JSON.parse(await py.nextLine(30_000)) as PyEvent;
      assert.deepEqual(result, { sent: 5 << 20, received: 5 << 20, same: true });
      assert.equal(await server.exitCode(), 0);
    } finally {
      await closeAll(children);
    }
  });
});
