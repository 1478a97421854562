/**
 * Incoming files, as the user meets them beyond listing and opening (incoming.test.ts): the
 * new-file notification per `trueconf.notifications.newFiles`, editors restored after a reload
 * (stat answers from the list alone), files the server no longer has, Copy Name, Clear, Mark
 * All Read, and the read-only text editor of a received file. Every check is on what the user
 * sees (messages shown, clipboard, editors, the unread count behind the badge) or on what
 * crossed the wire (the fake server's log).
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, INCOMING_FILE_SCHEME, Settings, Views } from '../../src/constants';
import type { TrueConfShareApi } from '../../src/extension';
import type { ShownMessage } from '../../src/services/messages';
import { FakeTrueConfServer } from '../fake-server';
import { activate, chatUri, config, eventually, fileDownloads, listed, listedIds, signInAsAlice, signOutAndStop, sleep } from './helpers';

/** Longer than the notifier's batching window (750 ms) with room to spare: a notification due by now was shown. */
const NOTIFICATION_SETTLE_MS = 2_000;

/**
 * The clipboard's text. In code-server this is the browser's clipboard: without the permission
 * (scripts/run-integration.mjs grants it) VS Code asks in a notification and the read never ends.
 */
async function clipboardText(): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the clipboard could not be read: has the browser the clipboard-read permission?')), 10_000);
  });
  try {
    return await Promise.race([Promise.resolve(vscode.env.clipboard.readText()), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A FileSystemError with this code, however it crossed into this extension host. */
function fsError(code: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof vscode.FileSystemError, `a FileSystemError, not ${String(err)}`);
    assert.equal(err.code, code, String(err));
    return true;
  };
}

describe('Incoming files: notifications, restored editors, unavailable files and list commands', function () {
  this.timeout(90_000);
  let server: FakeTrueConfServer;
  let api: TrueConfShareApi;
  let team: string;
  const downloadsOf = (fileId: string) => fileDownloads(server, fileId);
  /** Notifications shown that name this file (each file in these tests has a name of its own). */
  const notificationsAbout = (name: string): ShownMessage[] => api.messages.shown.filter((m) => m.message.includes(`"${name}"`));

  async function setNewFiles(value: 'always' | 'whenHidden' | 'never'): Promise<void> {
    await config().update(Settings.notificationsNewFiles, value, vscode.ConfigurationTarget.Global);
  }

  before(async () => {
    api = await activate();
    await setNewFiles('never');
    server = await FakeTrueConfServer.start();
    team = server.createChat({ type: 2, title: 'QA team', participants: ['alice', 'bob'] });
    await signInAsAlice(server.url);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.view.explorer');
    await signOutAndStop(server, [Settings.server, Settings.username, Settings.notificationsNewFiles]);
  });

  describe('trueconf.notifications.newFiles', () => {
    afterEach(async () => {
      await setNewFiles('never');
      await vscode.commands.executeCommand('notifications.clearAll');
    });

    it('always: a new file shows a notification naming it, with Open, even while the view is visible', async () => {
      await setNewFiles('always');
      await vscode.commands.executeCommand(`${Views.incomingFiles}.focus`);
      const { fileId } = await server.sendFile('bob', team, { name: 'always-notes.txt', data: Buffer.from('always') });
      await listed(team, fileId);
      const [shown] = await eventually('a notification about always-notes.txt', () => {
        const found = notificationsAbout('always-notes.txt');
        return found.length > 0 ? found : undefined;
      });
      assert.equal(shown.severity, 'info');
      assert.ok(shown.items.includes('Open'), `an Open button, got ${JSON.stringify(shown.items)}`);
      await sleep(NOTIFICATION_SETTLE_MS);
      assert.equal(notificationsAbout('always-notes.txt').length, 1, 'shown once');
    });

    it('never: a new file shows no notification, but counts as not opened', async () => {
      await setNewFiles('never');
      await vscode.commands.executeCommand('workbench.view.explorer');
      const unreadBefore = api.incomingFiles.unreadCount;
      const { fileId } = await server.sendFile('bob', team, { name: 'never-notes.txt', data: Buffer.from('never') });
      await listed(team, fileId);
      await sleep(NOTIFICATION_SETTLE_MS);
      assert.deepEqual(notificationsAbout('never-notes.txt'), []);
      assert.equal(api.incomingFiles.unreadCount, unreadBefore + 1, 'the badge counts it');
    });

    it('whenHidden: no notification while the Incoming Files view is visible, one once it is hidden', async () => {
      await setNewFiles('whenHidden');
      await vscode.commands.executeCommand(`${Views.incomingFiles}.focus`);
      const seen = await server.sendFile('bob', team, { name: 'while-visible.txt', data: Buffer.from('visible') });
      await listed(team, seen.fileId);
      await sleep(NOTIFICATION_SETTLE_MS);
      assert.deepEqual(notificationsAbout('while-visible.txt'), [], 'the user is looking at the list already');

      await vscode.commands.executeCommand('workbench.view.explorer');
      const hidden = await server.sendFile('bob', team, { name: 'while-hidden.txt', data: Buffer.from('hidden') });
      await listed(team, hidden.fileId);
      const [shown] = await eventually('a notification about while-hidden.txt', () => {
        const found = notificationsAbout('while-hidden.txt');
        return found.length > 0 ? found : undefined;
      });
      assert.ok(shown.items.includes('Open'), `an Open button, got ${JSON.stringify(shown.items)}`);
    });
  });

  describe('editors restored after a reload', () => {
    it('stat of a listed file answers its size and time from the list, downloading nothing', async () => {
      const sentAt = Date.now() - 90_000;
      const data = Buffer.from('restored after a reload\n');
      const { fileId } = await server.sendFile('bob', team, { name: 'restored.md', data, timestamp: sentAt });
      const uri = await listed(team, fileId);
      const fileInfoRequests = () => server.log.requests.filter((r) => r.method === 'getFileInfo').length;
      const infoBefore = fileInfoRequests();

      const stat = await vscode.workspace.fs.stat(uri);
      assert.equal(stat.type, vscode.FileType.File);
      assert.equal(stat.size, data.length);
      assert.equal(stat.mtime, sentAt, 'the time the file was sent');
      assert.equal(stat.permissions, vscode.FilePermission.Readonly);
      assert.equal(downloadsOf(fileId), 0, 'no GET of the file');
      assert.equal(server.log.downloads.filter((d) => d.fileId === fileId).length, 0, 'not even a HEAD');
      assert.equal(fileInfoRequests(), infoBefore, 'no request about the file either');
    });

    it('stat of a trueconf-file URI not in the list throws FileNotFound', async () => {
      const unknownFile = vscode.Uri.joinPath(chatUri(team), 'no-such-file-id', 'gone.txt');
      await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(unknownFile)), fsError('FileNotFound'));
      const unknownChat = vscode.Uri.from({ scheme: INCOMING_FILE_SCHEME, path: '/no-such-chat/no-such-file/gone.txt' });
      await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(unknownChat)), fsError('FileNotFound'));
    });
  });

  describe('a file the server no longer has', () => {
    it('is listed as not available; reading or opening it says so and downloads nothing', async () => {
      const { fileId } = await server.sendFile('bob', team, { name: 'vanished.log', data: Buffer.from('gone'), notAvailable: true });
      const uri = await listed(team, fileId);
      // The tree item's description ("no longer available") is rendered from this state.
      await eventually('the entry marked not available', () => api.incomingFiles.files().find((f) => f.fileId === fileId)?.readyState === 0);

      await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(uri)), (err: unknown) => {
        assert.ok(err instanceof vscode.FileSystemError, String(err));
        assert.match(err.message, /vanished\.log.*no longer available/);
        return true;
      });

      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const shownBefore = api.messages.shown.length;
      await vscode.commands.executeCommand(Commands.openIncomingFile, uri);
      const message = await eventually('a message that the file is not available', () =>
        api.messages.shown.slice(shownBefore).find((m) => m.message.includes('vanished.log') && /no longer available/.test(m.message)),
      );
      assert.notEqual(message.severity, 'info');
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString() === uri.toString(), false, 'no editor for it');
      assert.equal(downloadsOf(fileId), 0, 'nothing downloaded');
    });
  });

  describe('list commands', () => {
    it('Copy Name puts the file name on the clipboard, one line per selected file', async () => {
      const first = await server.sendFile('bob', team, { name: 'build report (final).pdf', data: Buffer.from('%PDF-1.4') });
      const second = await server.sendFile('bob', team, { name: 'changes.diff', data: Buffer.from('--- a\n+++ b\n') });
      const firstUri = await listed(team, first.fileId);
      const secondUri = await listed(team, second.fileId);

      await vscode.env.clipboard.writeText('');
      await vscode.commands.executeCommand(Commands.copyIncomingFileName, firstUri);
      assert.equal(await clipboardText(), 'build report (final).pdf');

      // From the context menu over a selection: the clicked item and the whole selection.
      await vscode.commands.executeCommand(Commands.copyIncomingFileName, secondUri, [firstUri, secondUri]);
      assert.equal(await clipboardText(), 'build report (final).pdf\nchanges.diff');
      assert.equal(downloadsOf(first.fileId) + downloadsOf(second.fileId), 0, 'copying a name downloads nothing');
    });

    it('Mark All Read leaves no file counted as not opened', async () => {
      await server.sendFile('bob', team, { name: 'unread-1.txt', data: Buffer.from('1') }).then(({ fileId }) => listed(team, fileId));
      await server.sendFile('bob', team, { name: 'unread-2.txt', data: Buffer.from('2') }).then(({ fileId }) => listed(team, fileId));
      assert.ok(api.incomingFiles.unreadCount >= 2);
      await vscode.commands.executeCommand(Commands.markIncomingFilesRead);
      assert.equal(api.incomingFiles.unreadCount, 0);
      assert.ok(api.incomingFiles.files().length >= 2, 'the files stay listed');
    });

    it('Clear empties the list and the badge, deletes downloaded copies, and Refresh does not bring the files back', async () => {
      const kept = await server.sendFile('bob', team, { name: 'cleared.txt', data: Buffer.from('cleared') });
      const keptUri = await listed(team, kept.fileId);
      await vscode.workspace.fs.readFile(keptUri);
      const cached = path.join(api.incomingFiles.cacheDir, kept.fileId);
      assert.ok(existsSync(cached), 'downloaded before the clear');
      await server.sendFile('bob', team, { name: 'unread-at-clear.txt', data: Buffer.from('x') }).then(({ fileId }) => listed(team, fileId));
      assert.ok(api.incomingFiles.unreadCount >= 1);

      // Without arguments it asks first (a modal, which a test cannot answer); scripted, it does not.
      await vscode.commands.executeCommand(Commands.clearIncomingFiles, { skipConfirmation: true });
      assert.deepEqual(api.incomingFiles.files(), []);
      assert.equal(api.incomingFiles.unreadCount, 0, 'no badge');
      assert.deepEqual(await vscode.workspace.fs.readDirectory(vscode.Uri.from({ scheme: INCOMING_FILE_SCHEME, path: '/' })), []);
      assert.equal(existsSync(cached), false, 'the downloaded copy is deleted');
      await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(keptUri)), fsError('FileNotFound'));

      // The intent (IncomingFilesService.clear, and the confirmation's wording): only files sent
      // from now on are listed. The chat history still holds the cleared files; a Refresh reads
      // it and must not list them again.
      const historyReads = () => server.log.requests.filter((r) => r.method === 'getChatHistory').length;
      const readsBefore = historyReads();
      await vscode.commands.executeCommand(Commands.refreshIncomingFiles);
      assert.ok(historyReads() > readsBefore, 'Refresh read the chat history');
      assert.deepEqual(await listedIds(team), []);
      assert.deepEqual(api.incomingFiles.files(), []);

      const later = await server.sendFile('bob', team, { name: 'after-clear.txt', data: Buffer.from('new') });
      await listed(team, later.fileId);
      assert.deepEqual(await listedIds(team), [later.fileId], 'a file sent after the clear is listed');
      assert.equal(api.incomingFiles.unreadCount, 1);
    });
  });

  describe('the editor of a received file', () => {
    it('is read-only: writing through the file system is refused, and the editor shows the text', async () => {
      const text = 'const received = true;\n';
      const { fileId } = await server.sendFile('bob', team, { name: 'received.ts', data: Buffer.from(text) });
      const uri = await listed(team, fileId);

      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri, Buffer.from('overwritten'))), fsError('NoPermissions'));
      await assert.rejects(Promise.resolve(vscode.workspace.fs.delete(uri)), fsError('NoPermissions'));
      assert.equal(downloadsOf(fileId), 0, 'a refused write downloads nothing');

      await vscode.commands.executeCommand(Commands.openIncomingFile, uri);
      const editor = await eventually('the file open in a text editor', () => {
        const active = vscode.window.activeTextEditor;
        return active?.document.uri.toString() === uri.toString() ? active : undefined;
      });
      assert.equal(editor.document.getText(), text);
      assert.equal(editor.document.isDirty, false);
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString(), text, 'the received bytes are unchanged');
    });
  });
});
