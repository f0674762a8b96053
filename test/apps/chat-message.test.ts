import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatChatMessage,
  isLeaveMessage,
  isoLocalTimestamp,
  LEAVE_TEXT,
  parseChatMessage,
} from '../../src/apps/chat-message.js';

describe('chat message codec', () => {
  it('writes timestamps as Python isoformat does', () => {
    assert.equal(isoLocalTimestamp(new Date(2024, 1, 3, 12, 15, 0, 0)), '2024-02-03T12:15:00');
    assert.equal(
      isoLocalTimestamp(new Date(2024, 1, 3, 12, 15, 0, 175)),
      '2024-02-03T12:15:00.175000',
    );
    assert.equal(isoLocalTimestamp(new Date(999, 0, 1, 0, 0, 0, 1)), '0999-01-01T00:00:00.001000');
  });

  it('formats the course message', () => {
    const when = new Date(2024, 1, 3, 12, 15, 0, 0);
    assert.equal(formatChatMessage('hi', 'Alice', when), '[2024-02-03T12:15:00] Alice:\n\thi');
    assert.equal(
      formatChatMessage('x', 'Bob', '2024-02-03T12:15:00.175104'),
      '[2024-02-03T12:15:00.175104] Bob:\n\tx',
    );
  });

  it('parses a message written by a Python peer', () => {
    const parsed = parseChatMessage('[2024-02-03T12:15:00.175104] Alice:\n\tline one\nline two');
    assert.ok(parsed);
    assert.equal(parsed.timestamp, '2024-02-03T12:15:00.175104');
    assert.equal(parsed.sender, 'Alice');
    assert.equal(parsed.text, 'line one\nline two');
    assert.deepEqual(parsed.time, new Date(2024, 1, 3, 12, 15, 0, 175));
  });

  it('returns null for text that is not a chat message', () => {
    assert.equal(parseChatMessage('hello'), null);
    assert.equal(parseChatMessage('[2024-02-03T12:15:00] Alice: hi'), null);
    assert.equal(parseChatMessage('2024-02-03T12:15:00] Alice:\n\thi'), null);
  });

  it('keeps a timestamp it cannot read, with time null', () => {
    const parsed = parseChatMessage('[yesterday] Bob:\n\thi');
    assert.equal(parsed?.timestamp, 'yesterday');
    assert.equal(parsed?.time, null);
    assert.equal(parseChatMessage('[2024-02-30T00:00:00] Bob:\n\thi')?.time, null);
  });

  it('recognises a leave message by its suffix', () => {
    assert.ok(isLeaveMessage(formatChatMessage(LEAVE_TEXT, 'Alice')));
    assert.ok(!isLeaveMessage(formatChatMessage('bye', 'Alice')));
  });

  it('round-trips any sender without ":\\n\\t" and any text', () => {
    const sender = fc.string().filter((s) => !s.includes(':\n\t'));
    fc.assert(
      fc.property(
        sender,
        fc.string(),
        fc.date({ noInvalidDate: true, min: new Date(1, 0, 1), max: new Date(9999, 11, 31) }),
        (name, text, when) => {
          const parsed = parseChatMessage(formatChatMessage(text, name, when));
          assert.ok(parsed);
          assert.equal(parsed.sender, name);
          assert.equal(parsed.text, text);
          assert.equal(parsed.timestamp, isoLocalTimestamp(when));
        },
      ),
      { numRuns: 500 },
    );
  });
});
