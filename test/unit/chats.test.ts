import * as assert from 'node:assert/strict';
import { isTrueConfError } from '../../src/trueconf/errors';
import type { FakeTrueConfServer } from '../fake-server';
import { FileSession, openSession } from './helpers/file-session';

function requests(server: FakeTrueConfServer, method: string): unknown[] {
  return server.log.requests.filter((r) => r.method === method).map((r) => r.payload);
}

for (const chatsShape of ['array', 'object'] as const) {
  describe(`ChatApi.getChats, answered as ${chatsShape === 'array' ? 'a bare array' : '{chats}'}`, () => {
    let s: FileSession;
    let groupIds: string[];

    beforeEach(async () => {
      s = await openSession({ chatsShape });
      groupIds = ['One', 'Two', 'Three', 'Four', 'Five'].map((title) => s.server.createChat({ type: 2, title, participants: ['alice', 'bob'] }));
    });

    afterEach(async () => {
      await s.close();
    });

    it('reads one page as normalised chats', async () => {
      const page = await s.chats.getChats({ page: 1, count: 2 });
      assert.equal(page.length, 2);
      for (const chat of page) {
        assert.ok(groupIds.includes(chat.chatId));
        assert.equal(chat.chatType, 2);
        assert.equal(typeof chat.title, 'string');
        assert.equal(chat.unreadMessages, 0);
      }
      assert.deepEqual(requests(s.server, 'getChats'), [{ page: 1, count: 2 }]);
    });

    it('walks all pages until a short one', async () => {
      const all = await s.chats.getAllChats({ pageSize: 2 });
      assert.deepEqual(all.map((c) => c.chatId).sort(), [...groupIds].sort());
      assert.deepEqual(requests(s.server, 'getChats'), [
        { page: 1, count: 2 },
        { page: 2, count: 2 },
        { page: 3, count: 2 },
      ]);
    });
  });
}

for (const dialect of ['seed', 'live'] as const) {
  describe(`ChatApi, ${dialect} dialect`, () => {
    let s: FileSession;
    let chatId: string;

    beforeEach(async () => {
      s = await openSession({ dialect });
      chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    });

    afterEach(async () => {
      await s.close();
    });

    it('gets a chat by id, with its last message', async () => {
      await s.server.sendText('bob', chatId, 'latest');
      const chat = await s.chats.getChatByID(chatId);
      assert.equal(chat.chatId, chatId);
      assert.equal(chat.chatType, 1);
      assert.equal(chat.lastMessage?.chatId, chatId, 'the chat id is filled in for the last message');
      assert.deepEqual(chat.lastMessage?.content, { text: 'latest', parseMode: 'text' });
    });

    it('reports an unknown chat as an API error', async () => {
      await assert.rejects(s.chats.getChatByID('0'.repeat(40)), (err) => isTrueConfError(err, 'api') && err.details.code === 304);
    });

    it('creates (or finds) the personal chat with a user', async () => {
      assert.equal(await s.chats.createP2PChat(s.server.userId('bob')), chatId);
      const carolChat = await s.chats.createP2PChat(s.server.userId('carol'));
      assert.equal(carolChat, s.server.p2pChatId('alice', 'carol'));
    });

    it('reads history with envelopes parsed, whatever their order', async () => {
      const texts = ['one', 'two', 'three'];
      for (const text of texts) {
        await s.server.sendText('bob', chatId, text);
      }
      const history = await s.chats.getChatHistory({ chatId, count: 10 });
      assert.equal(history.chatId, chatId);
      assert.equal(history.messages.length, 3);
      assert.deepEqual(history.messages.map((m) => (m.content as { text: string }).text).sort(), [...texts].sort());
      for (const message of history.messages) {
        assert.equal(message.chatId, chatId);
        assert.equal(message.author.id, s.server.userId('bob'));
        assert.equal(message.type, 200);
      }
      assert.deepEqual(requests(s.server, 'getChatHistory'), [{ chatId, count: 10 }]);

      const anchor = history.messages.find((m) => (m.content as { text: string }).text === 'two');
      await s.chats.getChatHistory({ chatId, count: 1, fromMessageId: anchor?.messageId });
      assert.deepEqual(requests(s.server, 'getChatHistory')[1], { chatId, count: 1, fromMessageId: anchor?.messageId });
    });

    it('asks for a display name once, however often and however concurrently it is needed', async () => {
      const bob = s.server.userId('bob');
      const [first, second] = await Promise.all([s.chats.getUserDisplayName(bob), s.chats.getUserDisplayName(`${bob}/instance7`)]);
      const third = await s.chats.getUserDisplayName(bob);
      assert.deepEqual([first, second, third], ['Bob Brown', 'Bob Brown', 'Bob Brown']);
      assert.deepEqual(requests(s.server, 'getUserDisplayName'), [{ userId: bob }]);
    });

    it('does not remember a failed display-name lookup', async () => {
      await assert.rejects(s.chats.getUserDisplayName('nobody@trueconf.test'));
      await assert.rejects(s.chats.getUserDisplayName('nobody@trueconf.test'));
      assert.equal(requests(s.server, 'getUserDisplayName').length, 2);
    });

    it('sends a message that arrives in the chat', async () => {
      const sent = await s.chats.sendMessage({ chatId, text: '**Build** finished', parseMode: 'markdown' });
      const stored = s.server.chatMessages(chatId).find((m) => m.messageId === sent.messageId);
      assert.deepEqual(stored?.content, { text: '**Build** finished', parseMode: 'markdown' });
      assert.equal(sent.chatId, chatId);
      assert.equal(typeof sent.timestamp, 'number');
      assert.deepEqual(requests(s.server, 'sendMessage'), [{ chatId, content: { text: '**Build** finished', parseMode: 'markdown' } }]);
    });

    it('sends a reply with its reference', async () => {
      const original = await s.server.sendText('bob', chatId, 'question?');
      await s.chats.sendMessage({ chatId, text: 'answer', replyMessageId: original.messageId });
      assert.deepEqual(requests(s.server, 'sendMessage'), [
        { chatId, content: { text: 'answer', parseMode: 'text' }, replyMessageId: original.messageId },
      ]);
    });

    it('refuses text over 4096 visible characters without sending anything', async () => {
      await assert.rejects(s.chats.sendMessage({ chatId, text: 'я'.repeat(4097) }), (err) =>
        isTrueConfError(err, 'limit') && err.message === 'The message is 4097 characters long; TrueConf allows 4096.',
      );
      await assert.rejects(s.chats.sendMessage({ chatId, text: `<b>${'x'.repeat(4097)}</b>`, parseMode: 'html' }), (err) =>
        isTrueConfError(err, 'limit'),
      );
      assert.deepEqual(requests(s.server, 'sendMessage'), []);
      assert.deepEqual(s.server.chatMessages(chatId), []);
    });

    it('sends markup whose visible text fits even when its source does not', async () => {
      const text = `**${'x'.repeat(4094)}**`; // 4098 characters of source, 4094 visible
      await s.chats.sendMessage({ chatId, text, parseMode: 'markdown' });
      assert.equal(requests(s.server, 'sendMessage').length, 1);
    });
  });
}
