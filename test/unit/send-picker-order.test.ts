import * as assert from 'node:assert/strict';
import { ChatSummary, orderChats, PickerChatType, RecentChat, rememberRecent } from '../../src/common/sendNaming';

const chat = (chatId: string, lastActivity?: number, chatType: number = PickerChatType.Group, title: string | null = chatId): ChatSummary => ({
  chatId,
  title,
  chatType,
  lastActivity,
});
const recent = (chatId: string, usedAt: number, title = chatId, chatType: number = PickerChatType.Group): RecentChat => ({
  chatId,
  title,
  chatType,
  usedAt,
});
const ids = (list: ChatSummary[]) => list.map((c) => c.chatId);

describe('send/picker order', () => {
  it('lists every chat by last activity, newest first, when nothing was used yet', () => {
    const { recent: r, others } = orderChats([chat('a', 100), chat('b', 300), chat('c', 200)], [], true);
    assert.deepEqual(r, []);
    assert.deepEqual(ids(others), ['b', 'c', 'a']);
  });

  it('puts recently used chats first, most recent first, and does not list them twice', () => {
    const chats = [chat('a', 100), chat('b', 300), chat('c', 200), chat('d', 400)];
    const { recent: r, others } = orderChats(chats, [recent('a', 10), recent('c', 20)], true);
    assert.deepEqual(ids(r), ['c', 'a']);
    assert.deepEqual(ids(others), ['d', 'b']);
  });

  it('puts chats without any message last, by title', () => {
    const chats = [chat('x', undefined, 2, 'Zeta'), chat('y', 50), chat('z', undefined, 2, 'Alpha')];
    assert.deepEqual(ids(orderChats(chats, [], true).others), ['y', 'z', 'x']);
  });

  it('sorts the Favorites chat (no title) by its activity like any other chat', () => {
    const chats = [chat('fav', 250, PickerChatType.Favorites, null), chat('a', 300), chat('b', 100)];
    assert.deepEqual(ids(orderChats(chats, [], true).others), ['a', 'fav', 'b']);
    assert.deepEqual(ids(orderChats(chats, [recent('fav', 1, 'Favorites', PickerChatType.Favorites)], true).recent), ['fav']);
  });

  it('leaves out system chats, which nobody can post to', () => {
    const chats = [chat('sys', 999, PickerChatType.System), chat('p', 1, PickerChatType.P2P), chat('ch', 2, PickerChatType.Channel)];
    const { recent: r, others } = orderChats(chats, [recent('sys', 5, 'System', PickerChatType.System)], true);
    assert.deepEqual(ids(r), []);
    assert.deepEqual(ids(others), ['ch', 'p']);
  });

  it('shows remembered recent chats before the chat list has loaded', () => {
    const { recent: r, others } = orderChats([], [recent('a', 1, 'Team A'), recent('b', 2, 'Bob', PickerChatType.P2P)], false);
    assert.deepEqual(r, [
      { chatId: 'b', title: 'Bob', chatType: PickerChatType.P2P },
      { chatId: 'a', title: 'Team A', chatType: PickerChatType.Group },
    ]);
    assert.deepEqual(others, []);
  });

  it('drops a remembered chat that the loaded list no longer has', () => {
    const { recent: r } = orderChats([chat('a', 1)], [recent('gone', 9), recent('a', 1)], true);
    assert.deepEqual(ids(r), ['a']);
  });

  it('prefers the current chat record (fresh title) over the remembered one', () => {
    const { recent: r } = orderChats([chat('a', 1, 2, 'New title')], [recent('a', 1, 'Old title')], true);
    assert.equal(r[0].title, 'New title');
  });

  it('remembers a chat at the front, once, up to a maximum', () => {
    let list: RecentChat[] = [];
    list = rememberRecent(list, recent('a', 1), 3);
    list = rememberRecent(list, recent('b', 2), 3);
    list = rememberRecent(list, recent('a', 3), 3);
    assert.deepEqual(
      list.map((r) => r.chatId),
      ['a', 'b'],
    );
    list = rememberRecent(list, recent('c', 4), 3);
    list = rememberRecent(list, recent('d', 5), 3);
    assert.deepEqual(
      list.map((r) => r.chatId),
      ['d', 'c', 'a'],
    );
  });
});
