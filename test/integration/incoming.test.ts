import * as assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, INCOMING_FILE_SCHEME, Settings } from '../../src/constants';
import type { TrueConfShareApi } from '../../src/extension';
import { FakeTrueConfServer } from '../fake-server';
import type { Dialect } from '../fake-server/types';
import { activate, chatUri, config, eventually, fileDownloads, listed, listedIds, signInAsAlice, signOutAndStop } from './helpers';

async function isListed(chatId: string, fileId: string): Promise<boolean> {
  return (await listedIds(chatId)).includes(fileId);
}

describe('Incoming files', function () {
  this.timeout(90_000);
  let server: FakeTrueConfServer;
  let api: TrueConfShareApi;
  let team: string;
  const downloadsOf = (fileId: string) => fileDownloads(server, fileId);

  before(async () => {
    api = await activate();
    await config().update(Settings.notificationsNewFiles, 'never', vscode.ConfigurationTarget.Global);
    server = await FakeTrueConfServer.start();
    team = server.createChat({ type: 2, title: 'Build team', participants: ['alice', 'bob'] });
    await signInAsAlice(server.url);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await signOutAndStop(server, [Settings.server, Settings.username, Settings.notificationsNewFiles, Settings.downloadMaxSizeMB]);
  });

  it('lists a file bob sends under its chat, and reads its bytes through the trueconf-file URI', async () => {
    const data = Buffer.from('hello from bob\n');
    const { fileId } = await server.sendFile('bob', team, { name: 'notes.txt', data });
    const uri = await listed(team, fileId);

    assert.equal(path.posix.basename(uri.path), 'notes.txt');
    const stat = await vscode.workspace.fs.stat(uri);
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.size, data.length);
    assert.equal(downloadsOf(fileId), 0, 'listing and stat download nothing');
    assert.deepEqual(Buffer.from(await vscode.workspace.fs.readFile(uri)), data);
    assert.equal(vscode.workspace.fs.isWritableFileSystem(INCOMING_FILE_SCHEME), false, 'the scheme is read-only');
  });

  it('opens a text file in the text editor and clears its unread mark', async () => {
    const text = 'export const answer = 42;\n';
    const { fileId } = await server.sendFile('bob', team, { name: 'answer.ts', data: Buffer.from(text) });
    const uri = await listed(team, fileId);
    const unreadBefore = api.incomingFiles.unreadCount;
    assert.ok(unreadBefore >= 1, 'a new file counts as not opened');

    await vscode.commands.executeCommand(Commands.openIncomingFile, uri);
    const editor = await eventually('the file open in a text editor', () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.toString() === uri.toString() ? active : undefined;
    });
    assert.equal(editor.document.getText(), text);
    assert.equal(api.incomingFiles.unreadCount, unreadBefore - 1);
  });

  it('reuses the downloaded copy: reading again downloads nothing', async () => {
    const { fileId } = await server.sendFile('bob', team, { name: 'data.json', data: Buffer.from('{"a":1}') });
    const uri = await listed(team, fileId);
    await vscode.workspace.fs.readFile(uri);
    assert.equal(downloadsOf(fileId), 1);
    const fileInfoRequests = () => server.log.requests.filter((r) => r.method === 'getFileInfo').length;
    const before = fileInfoRequests();
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), '{"a":1}');
    assert.equal(downloadsOf(fileId), 1, 'no second download');
    assert.equal(fileInfoRequests(), before, 'no request to the server at all');
  });

  it('lists chats by their newest file and files newest first', async () => {
    const other = server.createChat({ type: 2, title: 'Design', participants: ['alice', 'bob'] });
    const older = await server.sendFile('bob', other, { name: 'older.png', data: Buffer.from('x'), timestamp: Date.now() - 60_000 });
    const newer = await server.sendFile('bob', other, { name: 'newer.png', data: Buffer.from('y') });
    await listed(other, older.fileId);
    await listed(other, newer.fileId);

    const chats = (await vscode.workspace.fs.readDirectory(vscode.Uri.from({ scheme: INCOMING_FILE_SCHEME, path: '/' }))).map(([n]) => decodeURIComponent(n));
    assert.equal(chats[0], other, 'the chat with the newest file comes first');
    assert.ok(chats.includes(team));
    const files = (await vscode.workspace.fs.readDirectory(chatUri(other))).map(([n]) => decodeURIComponent(n));
    assert.deepEqual(files, [newer.fileId, older.fileId]);
  });

  it('leaves out the files alice sends herself', async () => {
    const own = await server.sendFile('alice', team, { name: 'mine.txt', data: Buffer.from('mine') });
    const theirs = await server.sendFile('bob', team, { name: 'theirs.txt', data: Buffer.from('theirs') });
    await listed(team, theirs.fileId);
    assert.equal(await isListed(team, own.fileId), false);
    assert.ok(!api.incomingFiles.files().some((f) => f.fileId === own.fileId));
  });

  it('adds the files sent while disconnected from the chat history after the reconnect', async () => {
    const auths = () => server.log.requests.filter((r) => r.method === 'auth').length;
    const authsBefore = auths();
    const droppedAt = Date.now();
    server.faults.dropAllSockets();
    const missed = await server.sendFile('bob', team, { name: 'while-away.md', data: Buffer.from('# sent while offline\n') });
    assert.ok(
      !server.log.notifications.some((n) => n.method === 'sendMessage' && (n.payload as { messageId?: string }).messageId === missed.messageId),
      'the file was not pushed to alice (no socket)',
    );
    await server.waitFor(() => auths() > authsBefore, 20_000);
    const uri = await listed(team, missed.fileId);
    assert.ok(server.log.requests.some((r) => r.method === 'getChatHistory' && r.at >= droppedAt), 'history was read after the reconnect');
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), '# sent while offline\n');
  });

  it('asks before downloading a file over trueconf.download.maxSizeMB, and downloads nothing when declined', async () => {
    await config().update(Settings.downloadMaxSizeMB, 1, vscode.ConfigurationTarget.Global);
    const data = Buffer.alloc(1_500_000, 7);
    const { fileId } = await server.sendFile('bob', team, { name: 'big.bin', data });
    const uri = await listed(team, fileId);
    const asked: Array<{ name: string; limit: number }> = [];
    let answer = false;
    const override = api.incomingFiles.overrideLargeDownloadPrompt(async (file, limit) => {
      asked.push({ name: file.name, limit });
      return answer;
    });
    try {
      await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(uri)));
      assert.deepEqual(asked, [{ name: 'big.bin', limit: 1024 * 1024 }]);
      assert.equal(downloadsOf(fileId), 0, 'declined: nothing downloaded');

      answer = true;
      assert.equal((await vscode.workspace.fs.readFile(uri)).length, data.length);
      assert.equal(asked.length, 2);
      assert.equal(downloadsOf(fileId), 1);

      await vscode.workspace.fs.readFile(uri);
      assert.equal(asked.length, 2, 'a cached file is not asked about again');
    } finally {
      override.dispose();
      await config().update(Settings.downloadMaxSizeMB, undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('keeps hostile file names inside the download cache', async () => {
    const cacheDir = api.incomingFiles.cacheDir;
    const cases = [
      { name: '../../escaped.txt', expected: 'escaped.txt' },
      { name: 'C:\\Windows\\evil.txt', expected: 'evil.txt' },
      { name: 'nul.txt', expected: '_nul.txt' },
      { name: 'bad\u0001name .', expected: 'bad_name' },
    ];
    for (const { name, expected } of cases) {
      const { fileId } = await server.sendFile('bob', team, { name, data: Buffer.from(name) });
      const uri = await listed(team, fileId);
      assert.equal(path.posix.basename(uri.path), expected);
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), name);
      const cached = path.join(cacheDir, fileId, expected);
      assert.equal(await fs.readFile(cached, 'utf8'), name, `cached at ${cached}`);
    }
    assert.equal(existsSync(path.resolve(cacheDir, '..', 'escaped.txt')), false);
    assert.equal(existsSync(path.resolve(cacheDir, 'escaped.txt')), false);
  });

  it('shows a file still being uploaded and opens it once it is ready', async () => {
    const data = Buffer.from('arrives slowly');
    const { fileId, ready } = await server.sendFile('bob', team, { name: 'slow.txt', data, uploadMs: 2_000 });
    const uri = await listed(team, fileId);
    const entry = api.incomingFiles.files().find((f) => f.fileId === fileId);
    assert.equal(entry?.readyState, 1, 'listed while uploading');
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), 'arrives slowly');
    await ready;
    await eventually('the entry marked ready', () => api.incomingFiles.files().find((f) => f.fileId === fileId)?.readyState === 2);
  });

  it('saves a copy with Save As… and removes a file from the list for good', async () => {
    const { fileId } = await server.sendFile('bob', team, { name: 'report.csv', data: Buffer.from('a,b\n1,2\n') });
    const uri = await listed(team, fileId);
    const target = vscode.Uri.file(path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'trueconf-save-')), 'report.csv'));
    await vscode.commands.executeCommand(Commands.saveIncomingFileAs, uri, target);
    assert.equal(await fs.readFile(target.fsPath, 'utf8'), 'a,b\n1,2\n');

    await vscode.commands.executeCommand(Commands.removeIncomingFile, uri);
    assert.equal(await isListed(team, fileId), false);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(uri)));
    await vscode.commands.executeCommand(Commands.refreshIncomingFiles);
    assert.equal(await isListed(team, fileId), false, 'history does not bring a removed file back');
  });
});

for (const dialect of ['seed', 'live'] as Dialect[]) {
  describe(`Incoming files from a server speaking the ${dialect} dialect`, function () {
    this.timeout(90_000);
    let server: FakeTrueConfServer;
    let chat: string;

    before(async () => {
      await activate();
      await config().update(Settings.notificationsNewFiles, 'never', vscode.ConfigurationTarget.Global);
      server = await FakeTrueConfServer.start({ dialect });
      chat = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    });

    after(async () => {
      await signOutAndStop(server, [Settings.server, Settings.username, Settings.notificationsNewFiles]);
    });

    it('lists files sent before sign-in (history) and after it (live), each once', async () => {
      const before = await server.sendFile('bob', chat, { name: 'before.txt', data: Buffer.from('before') });
      await signInAsAlice(server.url);
      const beforeUri = await listed(chat, before.fileId);
      const after = await server.sendFile('bob', chat, { name: 'after.txt', data: Buffer.from('after') });
      const afterUri = await listed(chat, after.fileId);
      await vscode.commands.executeCommand(Commands.refreshIncomingFiles);

      const files = (await vscode.workspace.fs.readDirectory(chatUri(chat))).map(([n]) => decodeURIComponent(n));
      assert.deepEqual(files, [after.fileId, before.fileId]);
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(beforeUri)).toString(), 'before');
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(afterUri)).toString(), 'after');
    });
  });
}
