/**
 * Drag and drop on the Incoming Files view, through the view's real TreeDragAndDropController
 * (the one VS Code calls; the extension's exports hand it out as `incomingFiles.tree`), against
 * the fake server:
 *
 *   - explorer files dropped on a chat (or on one of its files) are sent to that chat: exactly
 *     those bytes, once each, in the order dropped; folders are skipped and named;
 *   - a file dragged out of the view carries a `text/uri-list` that reads to the file's bytes,
 *     which is what VS Code copies when it is dropped in the explorer.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { INCOMING_FILE_SCHEME, Settings, Views } from '../../src/constants';
import type { TrueConfShareApi } from '../../src/extension';
import type { IncomingNode } from '../../src/views/incomingFilesTree';
import { FakeTrueConfServer } from '../fake-server/server';
import { activate, config, eventually, fileDownloads, fileMessages, makeWorkspaceTempDir, removeDir, signInAsAlice, signOutAndStop, writeFileIn } from './helpers';

const URI_LIST = 'text/uri-list';
/** What VS Code adds to a drag that starts in the view itself. */
const OWN_TREE_MIME = `application/vnd.code.tree.${Views.incomingFiles.toLowerCase()}`;

function uriList(...uris: vscode.Uri[]): vscode.DataTransfer {
  const dataTransfer = new vscode.DataTransfer();
  dataTransfer.set(URI_LIST, new vscode.DataTransferItem(uris.map((uri) => uri.toString()).join('\r\n')));
  return dataTransfer;
}

async function urisIn(dataTransfer: vscode.DataTransfer): Promise<vscode.Uri[]> {
  const item = dataTransfer.get(URI_LIST);
  assert.ok(item, `the drag carries ${URI_LIST}`);
  const text = await item.asString();
  return text
    .split(/\r?\n/)
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => vscode.Uri.parse(line, true));
}

describe('Incoming Files drag and drop', function () {
  this.timeout(90_000);
  let server: FakeTrueConfServer;
  let api: TrueConfShareApi;
  let dir: string;
  let tokens: vscode.CancellationTokenSource;

  const token = () => tokens.token;
  const dnd = () => api.incomingFiles.tree.dragAndDrop;
  const write = (name: string, data: string | Buffer) => writeFileIn(dir, name, data);
  /** A chat with a file from bob, so the view lists it; resolves with its chat node and bob's file. */
  const chatWithAFile = async (title: string) => {
    const chatId = server.createChat({ type: 2, title, participants: ['alice', 'bob'] });
    const data = randomBytes(2048);
    const { fileId } = await server.sendFile('bob', chatId, { name: `from-bob-${title}.bin`, data });
    const fileNode = await eventually(`file ${fileId} in the view`, () => api.incomingFiles.tree.fileNode(fileId));
    const chatNode = api.incomingFiles.tree.chatNode(chatId);
    assert.ok(chatNode, `chat ${chatId} in the view`);
    return { chatId, chatNode, fileId, fileNode, data };
  };
  /** Messages shown since the snapshot `before` of api.messages.shown was taken. */
  const shownSince = (before: readonly unknown[]) => api.messages.shown.filter((m) => !before.includes(m));

  before(async () => {
    api = await activate();
    await config().update(Settings.notificationsNewFiles, 'never', vscode.ConfigurationTarget.Global);
    // A drop asks for a caption by default; an input box nobody answers would hold the drop forever.
    await config().update(Settings.sendAskForCaption, false, vscode.ConfigurationTarget.Global);
    server = await FakeTrueConfServer.start();
    await signInAsAlice(server.url);
    assert.equal(api.session.state.kind, 'connected');
    dir = makeWorkspaceTempDir('dnd-test-');
  });

  beforeEach(() => {
    tokens = new vscode.CancellationTokenSource();
  });

  afterEach(() => {
    tokens.dispose();
  });

  after(async () => {
    await signOutAndStop(server, [Settings.server, Settings.username, Settings.notificationsNewFiles, Settings.sendAskForCaption]);
    removeDir(dir);
  });

  it('is the controller of the view, accepting and providing text/uri-list', () => {
    assert.ok(dnd().dropMimeTypes.includes(URI_LIST));
    assert.ok(dnd().dragMimeTypes.includes(URI_LIST));
    assert.equal(typeof dnd().handleDrop, 'function');
    assert.equal(typeof dnd().handleDrag, 'function');
  });

  describe('dropping explorer files on the view', () => {
    it('sends files dropped on a chat to that chat, once each, in order, and skips a folder with a message', async () => {
      const { chatId, chatNode } = await chatWithAFile('Drop zone');
      const text = Buffer.from('alpha\nbeta\n');
      const binary = randomBytes(200 * 1024);
      const a = write('a.txt', text);
      const b = write('b.bin', binary);
      const folder = path.join(dir, 'a-folder');
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, 'inside.txt'), 'not sent');
      const before = fileMessages(server, chatId).length;
      const shownBefore = [...api.messages.shown];

      await dnd().handleDrop?.(chatNode, uriList(a, vscode.Uri.file(folder), b), token());

      const sent = fileMessages(server, chatId).slice(before);
      assert.deepEqual(
        sent.map((m) => m.content.name),
        ['a.txt', 'b.bin'],
      );
      assert.deepEqual(server.fileBytes(sent[0].content.fileId as string), text);
      assert.deepEqual(server.fileBytes(sent[1].content.fileId as string), binary);
      assert.ok(!server.chatMessages(chatId).some((m) => m.content.name === 'inside.txt' || m.content.name === 'a-folder'), 'nothing from the folder');
      const shown = shownSince(shownBefore);
      assert.ok(
        shown.some((m) => /Sent 2 files to/.test(m.message) && /Skipped a-folder: folders cannot be sent\./.test(m.message)),
        `a message names the skipped folder (shown: ${JSON.stringify(shown.map((m) => m.message))})`,
      );
    });

    it('refuses a drop of only a folder with a message, and sends nothing', async () => {
      const { chatId, chatNode } = await chatWithAFile('Folders only');
      const folder = path.join(dir, 'just-a-folder');
      fs.mkdirSync(folder, { recursive: true });
      const before = server.chatMessages(chatId).length;
      const shownBefore = [...api.messages.shown];

      await dnd().handleDrop?.(chatNode, uriList(vscode.Uri.file(folder)), token());

      assert.equal(server.chatMessages(chatId).length, before, 'nothing reached the chat');
      const shown = shownSince(shownBefore);
      assert.ok(
        shown.some((m) => m.severity === 'error' && /Nothing was sent\. Skipped just-a-folder: folders cannot be sent\./.test(m.message)),
        `an error names the folder (shown: ${JSON.stringify(shown.map((m) => m.message))})`,
      );
    });

    it("sends files dropped on a file to that file's chat", async () => {
      const first = await chatWithAFile('First');
      const second = await chatWithAFile('Second');
      const bytes = Buffer.from('dropped on a file\n');
      const c = write('c.txt', bytes);
      const before = { first: server.chatMessages(first.chatId).length, second: fileMessages(server, second.chatId).length };

      await dnd().handleDrop?.(second.fileNode, uriList(c), token());

      const sent = fileMessages(server, second.chatId).slice(before.second);
      assert.deepEqual(
        sent.map((m) => m.content.name),
        ['c.txt'],
      );
      assert.deepEqual(server.fileBytes(sent[0].content.fileId as string), bytes);
      assert.equal(server.chatMessages(first.chatId).length, before.first, 'the other chat got nothing');
    });

    it('sends a file listed twice in one drop once', async () => {
      const { chatId, chatNode } = await chatWithAFile('Twice');
      const d = write('d.txt', 'once');
      const before = fileMessages(server, chatId).length;

      await dnd().handleDrop?.(chatNode, uriList(d, d), token());

      assert.deepEqual(
        fileMessages(server, chatId)
          .slice(before)
          .map((m) => m.content.name),
        ['d.txt'],
      );
    });

    it('sends nothing for a drag that started in the view itself, nor for trueconf-file URIs', async () => {
      const source = await chatWithAFile('Source');
      const target = await chatWithAFile('Target');
      const before = server.chatMessages(target.chatId).length;

      // Downloaded first, so the drag carries the cached copy's file: URI, not a trueconf-file one.
      await vscode.workspace.fs.readFile((await urisIn(await drag([source.fileNode])))[0]);
      const ownDrag = await drag([source.fileNode]);
      const [cached] = await urisIn(ownDrag);
      assert.equal(cached.scheme, 'file');
      ownDrag.set(OWN_TREE_MIME, new vscode.DataTransferItem([source.fileNode]));
      await dnd().handleDrop?.(target.chatNode, ownDrag, token());
      assert.equal(server.chatMessages(target.chatId).length, before, 'moving within the view sends nothing');

      const sourceBefore = server.chatMessages(source.chatId).length;
      const [incoming] = await urisIn(await drag([target.fileNode]));
      assert.equal(incoming.scheme, INCOMING_FILE_SCHEME, 'not downloaded: the trueconf-file URI');
      await dnd().handleDrop?.(source.chatNode, uriList(incoming), token());
      assert.equal(server.chatMessages(source.chatId).length, sourceBefore, 'incoming files are not sent on to another chat');
      assert.equal(server.chatMessages(target.chatId).length, before);
    });

    it('sends nothing when the drop was cancelled', async () => {
      const { chatId, chatNode } = await chatWithAFile('Cancelled');
      const e = write('e.txt', 'never');
      const before = server.chatMessages(chatId).length;
      tokens.cancel();

      await dnd().handleDrop?.(chatNode, uriList(e), token());

      assert.equal(server.chatMessages(chatId).length, before);
    });
  });

  describe('dragging files out of the view', () => {
    it('provides a text/uri-list that reads to exactly the file bytes, before and after it is downloaded', async () => {
      const { fileId, fileNode, data } = await chatWithAFile('Drag source');
      const downloads = () => fileDownloads(server, fileId);
      assert.equal(downloads(), 0);

      const [notYet] = await urisIn(await drag([fileNode]));
      assert.equal(notYet.scheme, INCOMING_FILE_SCHEME, 'not downloaded: the trueconf-file URI');
      assert.equal(downloads(), 0, 'dragging downloads nothing by itself');
      assert.deepEqual(Buffer.from(await vscode.workspace.fs.readFile(notYet)), data);
      assert.equal(path.posix.basename(notYet.path), 'from-bob-Drag source.bin', 'the copy gets the file name');

      const [cached] = await urisIn(await drag([fileNode]));
      assert.equal(cached.scheme, 'file', 'downloaded: the cached copy');
      assert.ok(cached.fsPath.startsWith(api.incomingFiles.cacheDir), `${cached.fsPath} is in the download cache`);
      assert.equal(path.basename(cached.fsPath), 'from-bob-Drag source.bin');
      assert.deepEqual(Buffer.from(await vscode.workspace.fs.readFile(cached)), data);
      assert.equal(downloads(), 1, 'downloaded once');
    });

    it('provides one URI per dragged file, in order, and nothing for a dragged chat', async () => {
      const chat = await chatWithAFile('Several');
      const second = Buffer.from('second file\n');
      const { fileId } = await server.sendFile('bob', chat.chatId, { name: 'second.txt', data: second });
      const secondNode = await eventually('second.txt in the view', () => api.incomingFiles.tree.fileNode(fileId));

      const uris = await urisIn(await drag([chat.chatNode, secondNode, chat.fileNode]));

      assert.equal(uris.length, 2);
      assert.deepEqual(Buffer.from(await vscode.workspace.fs.readFile(uris[0])), second);
      assert.deepEqual(Buffer.from(await vscode.workspace.fs.readFile(uris[1])), chat.data);

      const onlyChat = new vscode.DataTransfer();
      await dnd().handleDrag?.([chat.chatNode], onlyChat, token());
      assert.equal(onlyChat.get(URI_LIST), undefined);
    });
  });

  async function drag(nodes: readonly IncomingNode[]): Promise<vscode.DataTransfer> {
    const dataTransfer = new vscode.DataTransfer();
    await dnd().handleDrag?.(nodes, dataTransfer, token());
    return dataTransfer;
  }
});
