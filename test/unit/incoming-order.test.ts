import * as assert from 'node:assert/strict';
import { compareNewestFirst, IncomingFileIndex, incomingFileKey, mergeObservation } from '../../src/common/incomingOrder';
import { isOwnMessage, parseFileMessage } from '../../src/trueconf/messages';
import type { IncomingFile } from '../../src/trueconf/types';

const CHAT_A = '51ffe1b1ac9d4c7aa3cc1e4e6c3a2c55d8e0f1a2';
const CHAT_B = 'bea15543d971a83c8ba1f103104791762c6b4b8f';
const ME = 'alice@trueconf.test';
const BOB = 'bob@trueconf.test';

let seq = 0;

/** A file message as a live server sends it (type 202, readyState present). */
function liveEnvelope(chatId: string, timestamp: number, name: string, extra: { fileId?: string; author?: string; readyState?: number } = {}) {
  seq++;
  return {
    messageId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    chatId,
    timestamp,
    author: { id: extra.author ?? BOB, type: 1 },
    box: { id: seq, position: '0' },
    type: 202,
    isEdited: false,
    content: { name, size: 100 + seq, mimeType: 'text/plain', fileId: extra.fileId ?? `file${seq}`, readyState: extra.readyState ?? 2 },
    chat: { chatId, chatTitle: 'Team', chatType: 2 },
  };
}

/** The same message in the seed page's dialect (type 2, no readyState, no chat). */
function seedEnvelope(chatId: string, timestamp: number, name: string, extra: { fileId?: string; author?: string; messageId?: string } = {}) {
  seq++;
  return {
    chatId,
    messageId: extra.messageId ?? `00000000-0000-4000-9000-${String(seq).padStart(12, '0')}`,
    timestamp,
    author: { id: extra.author ?? `${BOB}/instance-1`, type: 1 },
    isEdited: false,
    box: { id: seq, position: '' },
    type: 2,
    content: { name, mimeType: 'image/png', size: 2156, fileId: extra.fileId ?? `seedfile${seq}` },
  };
}

function files(envelopes: unknown[], ownUserId = ME): IncomingFile[] {
  return envelopes.flatMap((e) => {
    const file = parseFileMessage(e);
    return file && !isOwnMessage(file, ownUserId) ? [file] : [];
  });
}

function names(index: IncomingFileIndex<IncomingFile>, chatId: string): string[] {
  return index.filesOf(chatId).map((f) => f.name);
}

describe('common/incomingOrder', () => {
  it('keys files by fileId, and by messageId without one', () => {
    assert.equal(incomingFileKey({ fileId: 'abc', messageId: 'm1' }), 'f:abc');
    assert.equal(incomingFileKey({ fileId: '', messageId: 'm1' }), 'm:m1');
  });

  it('orders newest first, ties broken by id so arrival order never matters', () => {
    const a = { chatId: 'c', messageId: 'm1', fileId: 'f1', timestamp: 10 };
    const b = { chatId: 'c', messageId: 'm2', fileId: 'f2', timestamp: 20 };
    const c = { chatId: 'c', messageId: 'm3', fileId: 'f3', timestamp: 20 };
    assert.deepEqual([a, b, c].sort(compareNewestFirst), [c, b, a]);
    assert.deepEqual([c, a, b].sort(compareNewestFirst), [c, b, a]);
  });

  it('lists files newest first and chats by their newest file, whatever order history came in', () => {
    const envelopes = [
      liveEnvelope(CHAT_A, 1000, 'a-old.txt'),
      liveEnvelope(CHAT_B, 3000, 'b-new.txt'),
      liveEnvelope(CHAT_A, 2000, 'a-new.txt'),
      liveEnvelope(CHAT_B, 500, 'b-old.txt'),
    ];
    for (const order of [envelopes, [...envelopes].reverse(), [envelopes[2], envelopes[0], envelopes[3], envelopes[1]]]) {
      const index = new IncomingFileIndex<IncomingFile>();
      index.upsert(files(order));
      assert.deepEqual(index.chats(), [CHAT_B, CHAT_A]);
      assert.deepEqual(names(index, CHAT_A), ['a-new.txt', 'a-old.txt']);
      assert.deepEqual(names(index, CHAT_B), ['b-new.txt', 'b-old.txt']);
    }
  });

  it('merges live notifications and overlapping history pages without duplicates (live dialect, type 202)', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    const first = liveEnvelope(CHAT_A, 1000, 'spec.md', { fileId: 'f-spec' });
    const second = liveEnvelope(CHAT_A, 2000, 'diagram.png', { fileId: 'f-diagram' });
    const live = index.upsert(files([first]), mergeObservation);
    assert.equal(live.added.length, 1);
    // History after a reconnect: the file seen live plus one sent while offline; the page repeats an anchor.
    const history = index.upsert(files([second, first, first]), mergeObservation);
    assert.deepEqual(
      history.added.map((f) => f.name),
      ['diagram.png'],
    );
    assert.equal(index.size, 2);
    assert.deepEqual(names(index, CHAT_A), ['diagram.png', 'spec.md']);
    // The same page again changes nothing.
    const again = index.upsert(files([first, second]), mergeObservation);
    assert.equal(again.added.length, 0);
    assert.equal(again.chats.size, 0);
  });

  it('merges the seed dialect (type 2, no readyState) and ignores type-2 system messages', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    const removeParticipant = { ...seedEnvelope(CHAT_B, 900, 'x'), content: { userId: 'carol@trueconf.test' } };
    const page = [seedEnvelope(CHAT_B, 1000, 'someimage.png', { fileId: 'e09dbd63' }), removeParticipant, seedEnvelope(CHAT_B, 1000, 'someimage.png', { fileId: 'e09dbd63' })];
    const change = index.upsert(files(page), mergeObservation);
    assert.equal(change.added.length, 1);
    assert.equal(index.size, 1);
    const file = index.get('f:e09dbd63');
    assert.equal(file?.name, 'someimage.png');
    assert.equal(file?.readyState, undefined);
  });

  it('treats one fileId seen in both dialects as one file', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    index.upsert(files([seedEnvelope(CHAT_A, 1000, 'a.txt', { fileId: 'same' })]), mergeObservation);
    const change = index.upsert(files([liveEnvelope(CHAT_A, 1000, 'a.txt', { fileId: 'same', readyState: 2 })]), mergeObservation);
    assert.equal(change.added.length, 0);
    assert.equal(index.size, 1);
    assert.equal(index.get('f:same')?.readyState, 2, 'the readyState learnt later is kept');
  });

  it('leaves out the user\'s own files from any of their sessions', () => {
    const own = [
      liveEnvelope(CHAT_A, 1000, 'mine.txt', { author: ME }),
      seedEnvelope(CHAT_A, 1100, 'mine-too.txt', { author: `${ME}/other-session` }),
      liveEnvelope(CHAT_A, 1200, 'MINE.txt', { author: 'ALICE@trueconf.test' }),
      liveEnvelope(CHAT_A, 1300, 'theirs.txt'),
    ];
    assert.deepEqual(
      files(own).map((f) => f.name),
      ['theirs.txt'],
    );
  });

  it('never moves a file back from ready to uploading, but accepts "no longer available"', () => {
    const base: IncomingFile = { chatId: CHAT_A, messageId: 'm', timestamp: 1, authorId: BOB, fileId: 'f', name: 'a', size: 1, mimeType: 'text/plain', readyState: 2 };
    assert.equal(mergeObservation(base, { ...base, readyState: 1 }), base, 'unchanged object');
    assert.equal(mergeObservation(base, { ...base, readyState: 0 }).readyState, 0);
    const uploading = { ...base, readyState: 1 as const };
    assert.equal(mergeObservation(uploading, { ...base, readyState: 2 }).readyState, 2);
    assert.equal(mergeObservation(base, { ...base, readyState: undefined }), base, 'a missing readyState keeps what is known');
    assert.equal(mergeObservation(base, { ...base, chatTitle: 'New title' }).chatTitle, 'New title');
  });

  it('updates a file in place when only its state changes, without touching its chat\'s list', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    index.upsert(files([liveEnvelope(CHAT_A, 2000, 'a1', { fileId: 'u1', readyState: 1 }), liveEnvelope(CHAT_A, 1000, 'a0')]));
    const known = index.get('f:u1');
    assert.ok(known);
    const change = index.upsert([{ ...known, readyState: 2 }], mergeObservation);
    assert.deepEqual([...change.chats], []);
    assert.equal(change.orderChanged, false);
    assert.deepEqual(
      change.updated.map((f) => f.readyState),
      [2],
    );
    assert.equal(index.filesOf(CHAT_A)[0].readyState, 2, 'the chat list holds the new entry');
    // A changed timestamp moves the file: that is a change of the chat's list.
    const moved = index.upsert([{ ...known, timestamp: 500 }]);
    assert.deepEqual([...moved.chats], [CHAT_A]);
    assert.deepEqual(names(index, CHAT_A), ['a0', 'a1']);
  });

  it('reports when the chat order changes, and only then', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    index.upsert(files([liveEnvelope(CHAT_A, 2000, 'a1'), liveEnvelope(CHAT_B, 1000, 'b1')]));
    assert.deepEqual(index.chats(), [CHAT_A, CHAT_B]);
    // An older file in the first chat: no reordering.
    let change = index.upsert(files([liveEnvelope(CHAT_A, 1500, 'a0')]));
    assert.equal(change.orderChanged, false);
    assert.deepEqual([...change.chats], [CHAT_A]);
    // A newer file in the first chat keeps it first.
    change = index.upsert(files([liveEnvelope(CHAT_A, 3000, 'a2')]));
    assert.equal(change.orderChanged, false);
    // A newer file in the second chat moves it up.
    change = index.upsert(files([liveEnvelope(CHAT_B, 4000, 'b2')]));
    assert.equal(change.orderChanged, true);
    assert.deepEqual(index.chats(), [CHAT_B, CHAT_A]);
    // A new chat always changes the order.
    change = index.upsert(files([liveEnvelope('chat-c', 10, 'c1')]));
    assert.equal(change.orderChanged, true);
    assert.deepEqual(index.chats(), [CHAT_B, CHAT_A, 'chat-c']);
  });

  it('removes files and drops chats left empty', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    index.upsert(files([liveEnvelope(CHAT_A, 2000, 'a1', { fileId: 'x1' }), liveEnvelope(CHAT_B, 1000, 'b1', { fileId: 'x2' })]));
    const change = index.remove(['f:x2', 'f:unknown']);
    assert.equal(change.removed.length, 1);
    assert.equal(change.orderChanged, true);
    assert.deepEqual(index.chats(), [CHAT_A]);
    assert.deepEqual(index.filesOf(CHAT_B), []);
  });

  it('keeps the newest files when trimmed', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    index.upsert(files([1, 2, 3, 4, 5].map((t) => liveEnvelope(t % 2 ? CHAT_A : CHAT_B, t * 1000, `f${t}`))));
    const trimmed = index.trim(3);
    assert.deepEqual(
      trimmed.removed.map((f) => f.name).sort(),
      ['f1', 'f2'],
    );
    assert.deepEqual(names(index, CHAT_A), ['f5', 'f3']);
    assert.deepEqual(names(index, CHAT_B), ['f4']);
  });

  it('stays fast with 10,000 files in 200 chats', () => {
    const index = new IncomingFileIndex<IncomingFile>();
    const all: IncomingFile[] = [];
    for (let i = 0; i < 10_000; i++) {
      all.push({ chatId: `chat${i % 200}`, messageId: `m${i}`, timestamp: (i * 7919) % 100_000, authorId: BOB, fileId: `f${i}`, name: `n${i}`, size: i, mimeType: 'x' });
    }
    const started = process.hrtime.bigint();
    index.upsert(all, mergeObservation);
    // One live file at a time, as notifications arrive, with the chat order read after each (what the view does).
    for (let i = 0; i < 1_000; i++) {
      index.upsert([{ ...all[i], messageId: `live${i}`, fileId: `live${i}`, timestamp: 200_000 + i }], mergeObservation);
      index.chats();
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(index.size, 11_000);
    assert.equal(index.chats().length, 200);
    for (const chatId of index.chats()) {
      const list = index.filesOf(chatId);
      for (let i = 1; i < list.length; i++) {
        assert.ok(compareNewestFirst(list[i - 1], list[i]) < 0);
      }
    }
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});
