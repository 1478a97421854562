/**
 * Sending to a chat, through the real commands in a real VS Code, against the fake server.
 * The commands take a UI-skipping argument (`{ chatId, caption?, sendAs? }`, see
 * src/commands/send.ts) and resolve with a SendReport; the assertions are on what the server
 * holds: exactly these bytes, in exactly this chat, once each.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, Settings } from '../../src/constants';
import type { SendReport } from '../../src/services/send';
import { FakeTrueConfServer } from '../fake-server/server';
import { activate, fileMessages, makeWorkspaceTempDir, removeDir, signInAsAlice, signOutAndStop, writeFileIn } from './helpers';

function textMessages(server: FakeTrueConfServer, chatId: string): string[] {
  return server
    .chatMessages(chatId)
    .filter((m) => typeof m.content.text === 'string')
    .map((m) => m.content.text as string);
}

/** The one file message named `name` in the chat, with its bytes; fails if there are none or several. */
function theFile(server: FakeTrueConfServer, chatId: string, name: string): Buffer {
  const found = fileMessages(server, chatId).filter((m) => m.content.name === name);
  assert.equal(found.length, 1, `exactly one "${name}" in the chat (found ${found.length})`);
  return server.fileBytes(found[0].content.fileId as string);
}

async function closeAllEditors(): Promise<void> {
  // Unsaved test documents are reverted so no "Save changes?" dialog can block the suite.
  for (const document of vscode.workspace.textDocuments) {
    if (document.isDirty) {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

describe('Sending to a chat', function () {
  this.timeout(60_000);
  let server: FakeTrueConfServer;
  let dir: string;
  let team: string;

  const send = (command: string, ...args: unknown[]) => vscode.commands.executeCommand<SendReport | undefined>(command, ...args);
  const write = (name: string, data: string | Buffer) => writeFileIn(dir, name, data);
  const uploadTasks = () => server.log.requests.filter((r) => r.method === 'uploadFile').length;
  /** Change the server's upload limits and wait until the client acknowledged the pushed update. */
  const setUploadLimits = async (limits: Parameters<FakeTrueConfServer['setUploadLimits']>[0]) => {
    const seen = server.log.notifications.length;
    server.setUploadLimits(limits);
    const push = await server.waitFor(() => server.log.notifications.slice(seen).find((n) => n.method === 'getFileUploadLimits'));
    await server.waitFor(() => server.log.acks.some((a) => a.socketId === push.socketId && a.id === push.id));
  };

  before(async () => {
    server = await FakeTrueConfServer.start();
    const api = await activate();
    await signInAsAlice(server.url);
    assert.equal(api.session.state.kind, 'connected');
    team = server.createChat({ type: 2, title: 'Team', participants: ['alice', 'bob'] });
    dir = makeWorkspaceTempDir('send-test-');
  });

  afterEach(async () => {
    server.faults.clear();
    await closeAllEditors();
  });

  after(async () => {
    await signOutAndStop(server, [Settings.server, Settings.username]);
    removeDir(dir);
  });

  describe('trueconf.sendFiles', () => {
    it('sends the explorer selection one after another, exactly those bytes once each, and skips folders', async () => {
      const text = write('notes.txt', 'alpha\nbeta\n');
      const binary = randomBytes(300 * 1024);
      const blob = write('blob.bin', binary);
      const folder = path.join(dir, 'folder');
      fs.mkdirSync(folder, { recursive: true });

      const report = await send(Commands.sendFiles, text, [text, blob, vscode.Uri.file(folder)], { chatId: team });

      assert.ok(report);
      assert.equal(report.error, undefined, report.error?.message);
      assert.deepEqual(
        report.sent.map((s) => s.name),
        ['notes.txt', 'blob.bin'],
      );
      assert.deepEqual(report.skipped, [{ name: 'folder', reason: 'folder' }]);
      assert.deepEqual(theFile(server, team, 'notes.txt'), Buffer.from('alpha\nbeta\n'));
      assert.deepEqual(theFile(server, team, 'blob.bin'), binary);
      assert.equal(fileMessages(server, team).length, 2);
    });

    it('sends the caption once, with the first file', async () => {
      const chat = server.createChat({ type: 2, title: 'Caption', participants: ['alice', 'bob'] });
      const one = write('one.txt', 'one');
      const two = write('two.txt', 'two');

      const report = await send(Commands.sendFiles, one, [one, two], { chatId: chat, caption: 'two files for you' });

      assert.equal(report?.sent.length, 2, report?.error?.message);
      assert.deepEqual(textMessages(server, chat), ['two files for you']);
      const messages = server.chatMessages(chat);
      assert.deepEqual(
        messages.map((m) => (typeof m.content.text === 'string' ? 'caption' : m.content.name)),
        ['caption', 'one.txt', 'two.txt'],
      );
    });

    it('refuses the whole batch when one file exceeds the server limit, and names it', async () => {
      await setUploadLimits({ maxSize: 1000, extensions: null });
      try {
        const small = write('small.txt', 'fits');
        const big = write('big.bin', randomBytes(5000));
        const before = { files: fileMessages(server, team).length, tasks: uploadTasks() };

        const report = await send(Commands.sendFiles, small, [small, big], { chatId: team });

        assert.equal(report?.error?.kind, 'limit');
        assert.match(report?.error?.message ?? '', /big\.bin/);
        assert.deepEqual(report?.sent, []);
        assert.equal(uploadTasks(), before.tasks, 'no upload task was created');
        assert.equal(fileMessages(server, team).length, before.files, 'nothing reached the chat');
      } finally {
        await setUploadLimits(null);
      }
    });

    it('reports an upload cut off mid-way with nothing sent, and sending again delivers the file once', async () => {
      const chat = server.createChat({ type: 2, title: 'Flaky', participants: ['alice', 'bob'] });
      const bytes = randomBytes(512 * 1024);
      const file = write('cut.bin', bytes);
      server.faults.closeMidUpload(64 * 1024);

      const failed = await send(Commands.sendFiles, file, [file], { chatId: chat });

      assert.equal(failed?.error?.kind, 'unreachable', failed?.error?.message);
      assert.match(failed?.error?.message ?? '', /Nothing was sent/);
      assert.deepEqual(failed?.notSent, ['cut.bin']);
      assert.equal(fileMessages(server, chat).length, 0, 'nothing reached the chat');

      // What the Retry button does: the same files, to the same chat.
      const retried = await send(Commands.sendFiles, file, [file], { chatId: chat });

      assert.equal(retried?.error, undefined, retried?.error?.message);
      assert.deepEqual(theFile(server, chat, 'cut.bin'), bytes);
    });

    it('says a chat that is gone is no longer available, and sends nothing', async () => {
      const chat = server.createChat({ type: 2, title: 'Doomed', participants: ['alice', 'bob'] });
      server.removeChat(chat);
      const file = write('late.txt', 'too late');

      const report = await send(Commands.sendFiles, file, [file], { chatId: chat });

      assert.equal(report?.error?.kind, 'api');
      assert.match(report?.error?.message ?? '', /no longer available/);
      assert.deepEqual(report?.sent, []);
    });

    it('skips a file that no longer exists and says so', async () => {
      const gone = vscode.Uri.file(path.join(dir, 'deleted.txt'));

      const report = await send(Commands.sendFiles, gone, [gone], { chatId: team });

      assert.deepEqual(report?.skipped, [{ name: 'deleted.txt', reason: 'missing' }]);
      assert.equal(report?.error?.kind, 'nothingToSend');
      assert.match(report?.error?.message ?? '', /deleted\.txt/);
    });
  });

  describe('trueconf.sendActiveFile', () => {
    it('sends what the editor shows, unsaved changes included', async () => {
      const chat = server.createChat({ type: 2, title: 'Editor', participants: ['alice', 'bob'] });
      const uri = write('draft.md', '# Saved\n');
      const editor = await vscode.window.showTextDocument(uri);
      await editor.edit((e) => e.insert(new vscode.Position(1, 0), 'Unsaved line — ünïcödé\n'));
      assert.ok(editor.document.isDirty);

      const report = await send(Commands.sendActiveFile, { chatId: chat, caption: 'work in progress' });

      assert.equal(report?.error, undefined, report?.error?.message);
      assert.deepEqual(theFile(server, chat, 'draft.md'), Buffer.from('# Saved\nUnsaved line — ünïcödé\n', 'utf8'));
      assert.deepEqual(textMessages(server, chat), ['work in progress']);
    });

    it('sends a saved file byte for byte from disk', async () => {
      const chat = server.createChat({ type: 2, title: 'Disk', participants: ['alice', 'bob'] });
      const bytes = Buffer.from('line one\r\nline two\r\n', 'utf8');
      const uri = write('crlf.txt', bytes);
      await vscode.window.showTextDocument(uri);

      const report = await send(Commands.sendActiveFile, { chatId: chat });

      assert.equal(report?.error, undefined, report?.error?.message);
      assert.deepEqual(theFile(server, chat, 'crlf.txt'), bytes);
      assert.deepEqual(textMessages(server, chat), [], 'no caption');
    });

    it('names an untitled document after its language', async () => {
      const chat = server.createChat({ type: 2, title: 'Untitled', participants: ['alice', 'bob'] });
      const document = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'export const answer = 42;\n' });
      await vscode.window.showTextDocument(document);

      const report = await send(Commands.sendActiveFile, { chatId: chat });

      assert.equal(report?.error, undefined, report?.error?.message);
      const [message] = fileMessages(server, chat);
      assert.match(String(message?.content.name), /^untitled-\d+\.ts$/);
      assert.deepEqual(server.fileBytes(message.content.fileId as string), Buffer.from('export const answer = 42;\n'));
    });

    it('sends the file of an editor tab given by its URI (tab context menu)', async () => {
      const chat = server.createChat({ type: 2, title: 'Tab', participants: ['alice', 'bob'] });
      const background = write('background.txt', 'in another tab');
      await vscode.window.showTextDocument(background);
      await vscode.window.showTextDocument(write('front.txt', 'in front'));

      const report = await send(Commands.sendActiveFile, background, { chatId: chat });

      assert.equal(report?.error, undefined, report?.error?.message);
      assert.deepEqual(theFile(server, chat, 'background.txt'), Buffer.from('in another tab'));
      assert.equal(fileMessages(server, chat).length, 1);
    });
  });

  describe('trueconf.sendSelection', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

    it('sends a selection as a file named after its lines, captioned with where it came from', async () => {
      const chat = server.createChat({ type: 2, title: 'Selection', participants: ['alice', 'bob'] });
      const uri = write('server.ts', lines);
      const editor = await vscode.window.showTextDocument(uri);
      editor.selection = new vscode.Selection(9, 0, 24, 0);

      const report = await send(Commands.sendSelection, { chatId: chat });

      assert.equal(report?.error, undefined, report?.error?.message);
      const expected = Array.from({ length: 15 }, (_, i) => `line ${i + 10}\n`).join('');
      assert.deepEqual(theFile(server, chat, 'server.L10-24.ts'), Buffer.from(expected));
      assert.deepEqual(textMessages(server, chat), [`${vscode.workspace.asRelativePath(uri)}:10-24`]);
    });

    it('sends several selections as one file in document order, each after a marker line', async () => {
      const chat = server.createChat({ type: 2, title: 'Selections', participants: ['alice', 'bob'] });
      const uri = write('multi.ts', lines);
      const editor = await vscode.window.showTextDocument(uri);
      editor.selections = [new vscode.Selection(2, 0, 4, 0), new vscode.Selection(0, 0, 0, 6)];

      const report = await send(Commands.sendSelection, { chatId: chat });

      assert.equal(report?.error, undefined, report?.error?.message);
      assert.deepEqual(theFile(server, chat, 'multi.L1-4.ts'), Buffer.from('// line 1\nline 1\n// lines 3-4\nline 3\nline 4\n'));
      assert.deepEqual(textMessages(server, chat), [`${vscode.workspace.asRelativePath(uri)}:1,3-4`]);
    });

    it('sends a selection as a text message when asked to', async () => {
      const chat = server.createChat({ type: 2, title: 'As message', participants: ['alice', 'bob'] });
      const uri = write('message.py', lines);
      const editor = await vscode.window.showTextDocument(uri);
      editor.selection = new vscode.Selection(0, 0, 2, 0);

      const report = await send(Commands.sendSelection, { chatId: chat, sendAs: 'message' });

      assert.equal(report?.error, undefined, report?.error?.message);
      assert.deepEqual(textMessages(server, chat), [`${vscode.workspace.asRelativePath(uri)}:1-2\nline 1\nline 2`]);
      assert.equal(fileMessages(server, chat).length, 0);
    });
  });
});
