import * as assert from 'node:assert/strict';
import { MemoryLogger } from '../../src/common/logger';
import { ChatApi } from '../../src/trueconf/chats';
import { isTrueConfError } from '../../src/trueconf/errors';
import { stubChannel } from './helpers/stub-channel';

function chat(n: number): Record<string, unknown> {
  return { chatId: `chat-${n}`, title: `Chat ${n}`, chatType: 2, unreadMessages: 0, avatarUrl: null, lastMessage: null };
}

function isProtocolError(err: unknown): boolean {
  return isTrueConfError(err, 'protocol');
}

describe('ChatApi on unusual answers', () => {
  it('stops paging when the server ignores the page number', async () => {
    const logger = new MemoryLogger();
    const rpc = stubChannel({ getChats: () => [chat(1), chat(2)] });
    const chats = await new ChatApi(rpc, logger).getAllChats({ pageSize: 2 });
    assert.deepEqual(
      chats.map((c) => c.chatId),
      ['chat-1', 'chat-2'],
    );
    assert.equal(rpc.calls.length, 2);
    assert.match(logger.text, /getChats page 2 repeated earlier chats; stopped paging/);
  });

  it('reads a chat without a title (Favorites) as title null', async () => {
    const rpc = stubChannel({ getChatByID: () => ({ chatId: 'fav', chatType: 5 }) });
    assert.deepEqual(await new ChatApi(rpc).getChatByID('fav'), { chatId: 'fav', title: null, chatType: 5 });
  });

  it('rejects answers of the wrong shape as protocol errors', async () => {
    const api = (answers: Record<string, (p: unknown) => unknown>) => new ChatApi(stubChannel(answers));
    await assert.rejects(api({ getChats: () => ({ items: [] }) }).getChats({ page: 1, count: 10 }), isProtocolError);
    await assert.rejects(api({ getChats: () => [{ ...chat(1), title: 5 }] }).getChats({ page: 1, count: 10 }), isProtocolError);
    await assert.rejects(api({ getChats: () => [{ ...chat(1), chatType: '2' }] }).getChats({ page: 1, count: 10 }), isProtocolError);
    await assert.rejects(api({ getChatHistory: () => ({ chatId: 'c', count: 1, messages: null }) }).getChatHistory({ chatId: 'c', count: 1 }), isProtocolError);
    await assert.rejects(api({ createP2PChat: () => ({}) }).createP2PChat('bob@x'), isProtocolError);
    await assert.rejects(api({ getUserDisplayName: () => ({ displayName: null }) }).getUserDisplayName('bob@x'), isProtocolError);
    await assert.rejects(api({ sendMessage: () => ({ chatId: 'c', messageId: 'm' }) }).sendMessage({ chatId: 'c', text: 'hi' }), isProtocolError);
  });

  it('counts the history messages when the answer has no count', async () => {
    const envelope = { messageId: 'm1', timestamp: 1, author: { id: 'bob@x', type: 1 }, type: 200, content: { text: 'hi' } };
    const rpc = stubChannel({ getChatHistory: () => ({ messages: [envelope] }) });
    const history = await new ChatApi(rpc).getChatHistory({ chatId: 'c', count: 5 });
    assert.equal(history.count, 1);
    assert.equal(history.chatId, 'c');
    assert.equal(history.messages[0].chatId, 'c');
  });
});
