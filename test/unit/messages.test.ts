import * as assert from 'node:assert/strict';
import { isTrueConfError } from '../../src/trueconf/errors';
import { isOwnMessage, normaliseUserId, parseEnvelope, parseFileMessage } from '../../src/trueconf/messages';

/** The seed page's "New file in chat" notification payload. */
function seedFileEnvelope(): Record<string, unknown> {
  return {
    chatId: 'bea15543d971a83c8ba1f103104791762c6b4b8f',
    messageId: 'c8c3eee8-9ad0-4638-9692-ad16391a4256',
    timestamp: 1735302531000,
    author: { id: 'user@video.example.com', type: 1 },
    isEdited: false,
    box: { id: 10, position: '' },
    type: 2,
    content: { name: 'someimage.png', mimeType: 'image/png', size: 2156, fileId: 'e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5' },
  };
}

/** protocol.md §4.8: a live server's ATTACHMENT envelope. */
function liveFileEnvelope(): Record<string, unknown> {
  return {
    messageId: 'e8a3c5b0-4f1d-4b2e-9c7a-6d5e4f3a2b1c',
    chatId: '51ffe1b1ac9d4c7aa3cc1e4e6c3a2c55d8e0f1a2',
    timestamp: 1767090031000,
    author: { id: 'ivan@video.example.com/inst1', type: 1 },
    box: { id: 412, position: '0' },
    type: 202,
    isEdited: false,
    replyMessageId: null,
    content: { name: 'scan.png', size: 204800, mimeType: 'image/png', fileId: 'c47d', readyState: 1 },
    chat: { chatId: '51ffe1b1ac9d4c7aa3cc1e4e6c3a2c55d8e0f1a2', chatTitle: 'Ivan Petrov', chatType: 1 },
  };
}

describe('messages', () => {
  describe('parseFileMessage', () => {
    it('reads the seed dialect (type 2, no readyState)', () => {
      assert.deepEqual(parseFileMessage(seedFileEnvelope()), {
        chatId: 'bea15543d971a83c8ba1f103104791762c6b4b8f',
        messageId: 'c8c3eee8-9ad0-4638-9692-ad16391a4256',
        timestamp: 1735302531000,
        authorId: 'user@video.example.com',
        fileId: 'e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5',
        name: 'someimage.png',
        size: 2156,
        mimeType: 'image/png',
      });
    });

    it('reads the live dialect (type 202, readyState, chat)', () => {
      assert.deepEqual(parseFileMessage(liveFileEnvelope()), {
        chatId: '51ffe1b1ac9d4c7aa3cc1e4e6c3a2c55d8e0f1a2',
        messageId: 'e8a3c5b0-4f1d-4b2e-9c7a-6d5e4f3a2b1c',
        timestamp: 1767090031000,
        authorId: 'ivan@video.example.com/inst1',
        fileId: 'c47d',
        name: 'scan.png',
        size: 204800,
        mimeType: 'image/png',
        readyState: 1,
        chatTitle: 'Ivan Petrov',
        chatType: 1,
      });
    });

    it('does not take a type-2 REMOVE_PARTICIPANT system envelope for a file', () => {
      const system = { ...seedFileEnvelope(), author: { id: 'system', type: 0 }, content: { userId: 'bob@trueconf.test' } };
      assert.equal(parseFileMessage(system), undefined);
    });

    it('ignores text messages and non-envelopes', () => {
      assert.equal(parseFileMessage({ ...liveFileEnvelope(), type: 200, content: { text: 'hi', parseMode: 'text' } }), undefined);
      assert.equal(parseFileMessage({ ...liveFileEnvelope(), type: 201 }), undefined, 'a forwarded message is not handled as a file');
      assert.equal(parseFileMessage(null), undefined);
      assert.equal(parseFileMessage('sendMessage'), undefined);
      assert.equal(parseFileMessage({ ...liveFileEnvelope(), content: { ...(liveFileEnvelope().content as object), fileId: 7 } }), undefined);
    });

    it('defaults a missing MIME type', () => {
      const envelope = seedFileEnvelope();
      delete (envelope.content as Record<string, unknown>).mimeType;
      assert.equal(parseFileMessage(envelope)?.mimeType, 'application/octet-stream');
    });

    it('rejects a file message with mistyped fields as a protocol error', () => {
      const cases: Array<[string, (e: Record<string, unknown>) => void]> = [
        ['size as text', (e) => ((e.content as Record<string, unknown>).size = '2156')],
        ['negative size', (e) => ((e.content as Record<string, unknown>).size = -1)],
        ['no name', (e) => delete (e.content as Record<string, unknown>).name],
        ['bad readyState', (e) => ((e.content as Record<string, unknown>).readyState = 5)],
        ['timestamp as text', (e) => (e.timestamp = '1735302531000')],
        ['author without id', (e) => (e.author = { type: 1 })],
      ];
      for (const [label, mutate] of cases) {
        const envelope = liveFileEnvelope();
        mutate(envelope);
        assert.throws(() => parseFileMessage(envelope), (err) => isTrueConfError(err, 'protocol'), label);
      }
    });
  });

  describe('parseEnvelope', () => {
    it('keeps well-typed optional fields and drops malformed ones', () => {
      const envelope = parseEnvelope({ ...liveFileEnvelope(), box: { id: 'x' }, isEdited: 'no' }, 'test');
      assert.equal(envelope.box, undefined);
      assert.equal(envelope.isEdited, undefined);
      assert.deepEqual(envelope.chat, { chatId: '51ffe1b1ac9d4c7aa3cc1e4e6c3a2c55d8e0f1a2', chatTitle: 'Ivan Petrov', chatType: 1 });
      assert.equal(envelope.replyMessageId, null);
    });

    it('fills in the chat id for a lastMessage that has none', () => {
      const raw = liveFileEnvelope();
      delete raw.chatId;
      assert.equal(parseEnvelope(raw, 'test', 'chat-1').chatId, 'chat-1');
      assert.throws(() => parseEnvelope(raw, 'test'), (err) => isTrueConfError(err, 'protocol'));
    });
  });

  describe('user ids', () => {
    it('drops the instance suffix', () => {
      assert.equal(normaliseUserId('bot@video.example.com/4f1c2a'), 'bot@video.example.com');
      assert.equal(normaliseUserId('bot@video.example.com'), 'bot@video.example.com');
    });

    it('recognises own messages from any session, ignoring case', () => {
      assert.equal(isOwnMessage({ author: { id: 'Bot@Video.example.com/abc', type: 1 } }, 'bot@video.example.com/xyz'), true);
      assert.equal(isOwnMessage({ authorId: 'bot@video.example.com' }, 'bot@video.example.com/1'), true);
      assert.equal(isOwnMessage({ authorId: 'bob@video.example.com' }, 'bot@video.example.com/1'), false);
    });
  });
});
