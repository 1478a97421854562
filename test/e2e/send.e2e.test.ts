/**
 * "Send to a chat" the way a person does it in a real VS Code (code-server in Chromium): the
 * active file from the command palette, a selection from the editor's context menu, two files
 * from the Explorer's context menu. Each time, the fake server must hold exactly those bytes, in
 * exactly that chat, once each, and nothing else; and the person sees the "Sent …" notification.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoredMessage } from '../fake-server';
import { makePng } from '../fake-server';
import { answerChatPicker, signInThroughPalette } from './flows';
import { useHarness, type Harness } from './harness';

const HELLO_TS = [
  '// Greets people in their own words.',
  'export function hello(name: string): string {',
  '  return `Hello, ${name}!`;',
  '}',
  '',
  "export const PRIVET = 'Привет, мир';",
  '',
].join('\n');

/** Lines 2-4 are the function a person selects and sends. */
const SERVER_TS = [
  "import { createServer } from 'node:http';",
  'export function start(port: number) {',
  "  return createServer((_req, res) => res.end('ok')).listen(port);",
  '}',
  '',
  'start(8080);',
  '',
].join('\n');

/** Windows line endings and UTF-8 text: what arrives must be these bytes, not a re-encoding. */
const BUILD_LOG = 'build started\r\nstep 1/2: compile ✓\r\nstep 2/2: test ✓\r\nbuild finished\r\n';
const DIAGRAM_PNG = makePng(96, 64);

const CHAT = 'Backend team';

describe('Send to a chat', () => {
  const h = useHarness({
    suite: 'send',
    workspaceFiles: {
      'README.md': '# Demo project\n',
      'src/hello.ts': HELLO_TS,
      'src/server.ts': SERVER_TS,
      'build.log': BUILD_LOG,
      'diagram.png': DIAGRAM_PNG,
    },
  });
  let team = '';
  let otherChats: string[] = [];

  before(async function () {
    this.timeout(180_000);
    const ui = h();
    // The chats exist before alice signs in, as they would on a real server.
    team = ui.server.createChat({ type: 2, title: CHAT, participants: ['alice', 'bob'] });
    otherChats = [
      ui.server.createChat({ type: 2, title: 'Backend on-call', participants: ['alice', 'carol'] }),
      ui.server.createChat({ type: 1, participants: ['alice', 'bob'] }),
    ];
    try {
      await ui.waitForStatusBarText(/^TrueConf: Sign In$/);
      await signInThroughPalette(ui, { username: 'alice', password: 'alice-pass' });
      await ui.waitForStatusBarText(/TrueConf: alice@trueconf\.test/);
    } catch (error) {
      // useHarness saves the failure logs only for a failed test; a failed hook skips them all.
      await ui.screenshot('sign-in-failed').catch(() => undefined);
      await ui.close({ failed: true });
      throw error;
    }
  });

  afterEach(async function () {
    this.timeout(120_000);
    const ui = h();
    ui.server.faults.clear();
    // Each test starts with no toasts and no editors left over from the one before.
    await ui.runCommand('Notifications: Clear All Notifications');
    await ui.runCommand('View: Close All Editors');
  });

  /** What the server holds now: messages per chat of alice's, uploads and sendFile requests. */
  function serverState(ui: Harness) {
    return {
      messages: new Map(ui.server.chatsOf('alice').map((c) => [c.chatId, ui.server.chatMessages(c.chatId).length])),
      uploads: ui.server.log.uploads.length,
      sendFiles: ui.server.log.requests.filter((r) => r.method === 'sendFile').length,
    };
  }

  /**
   * The messages that arrived in the team chat since `before`, after checking that no other
   * chat got any, and that exactly `files` uploads and sendFile requests crossed the wire.
   */
  function newTeamMessages(ui: Harness, before: ReturnType<typeof serverState>, files: number): StoredMessage[] {
    for (const chat of ui.server.chatsOf('alice')) {
      if (chat.chatId !== team) {
        assert.equal(
          ui.server.chatMessages(chat.chatId).length,
          before.messages.get(chat.chatId) ?? 0,
          `nothing new in the chat "${chat.title}"`,
        );
      }
    }
    assert.ok([team, ...otherChats].every((id) => before.messages.has(id)), 'all test chats are alice\'s');
    const uploads = ui.server.log.uploads.slice(before.uploads);
    assert.equal(uploads.length, files, `${files} upload(s) (got ${JSON.stringify(uploads.map((u) => [u.fileName, u.status]))})`);
    assert.ok(uploads.every((u) => u.status === 200), `every upload succeeded: ${JSON.stringify(uploads.map((u) => u.status))}`);
    const sendFiles = ui.server.log.requests.filter((r) => r.method === 'sendFile').length - before.sendFiles;
    assert.equal(sendFiles, files, `${files} sendFile request(s)`);
    return ui.server.chatMessages(team).slice(before.messages.get(team));
  }

  function describeMessages(messages: readonly StoredMessage[]): string {
    return JSON.stringify(messages.map((m) => m.content.name ?? m.content.text));
  }

  function assertFileMessage(ui: Harness, message: StoredMessage | undefined, name: string, bytes: Buffer): void {
    assert.ok(message, `a message for ${name}`);
    assert.equal(message.content.name, name, 'the file message names the file');
    assert.equal(typeof message.content.fileId, 'string', `${name} is a file message`);
    assert.equal(message.author.id, 'alice@trueconf.test', `alice sent ${name}`);
    assert.deepEqual(ui.server.fileBytes(message.content.fileId as string), bytes, `the chat holds exactly the bytes of ${name}`);
  }

  function assertTextMessage(message: StoredMessage | undefined, text: string): void {
    assert.ok(message, `a message "${text}"`);
    assert.equal(message.content.fileId, undefined, `"${text}" is a text message`);
    assert.equal(message.content.text, text);
    assert.equal(message.author.id, 'alice@trueconf.test');
  }

  it('sends the active file from the command palette', async () => {
    const ui = h();
    const onDisk = fs.readFileSync(path.join(ui.workspace, 'src/hello.ts'));
    await ui.openFile('src/hello.ts');
    await ui.screenshot('hello-ts-open');
    const before = serverState(ui);

    await ui.runCommand('TrueConf: Send Active File to Chat…');
    // No caption: Enter on the empty caption box sends the file alone.
    const suggested = await answerChatPicker(ui, { chat: CHAT, what: 'hello.ts', caption: '', screenshots: true });
    assert.equal(suggested, '', 'no caption is suggested for a whole file');

    const sent = await ui.waitForNotification(/^Sent hello\.ts to /);
    await ui.waitForNotificationGone(/^Sending /);
    await ui.screenshot('sent-hello-ts');
    assert.equal(sent, `Sent hello.ts to ${CHAT}.`);

    const messages = newTeamMessages(ui, before, 1);
    assert.equal(messages.length, 1, `exactly one new message in ${CHAT}: ${describeMessages(messages)}`);
    assertFileMessage(ui, messages[0], 'hello.ts', onDisk);
  });

  it('says an upload cut off mid-way sent nothing, and one click on Retry sends the file once', async () => {
    const ui = h();
    const onDisk = fs.readFileSync(path.join(ui.workspace, 'src/hello.ts'));
    await ui.openFile('src/hello.ts');
    const before = serverState(ui);
    // The server drops the connection after a few bytes of the next upload (once).
    ui.server.faults.closeMidUpload(64);

    await ui.runCommand('TrueConf: Send Active File to Chat…');
    await answerChatPicker(ui, { chat: CHAT, what: 'hello.ts', caption: '' });
    const lost = await ui.waitForNotification(/^The connection was lost while sending hello\.ts/);
    await ui.waitForNotificationGone(/^Sending /);
    await ui.screenshot('upload-interrupted');
    assert.equal(lost, 'The connection was lost while sending hello.ts. Nothing was sent.');
    assert.equal(ui.server.chatMessages(team).length, before.messages.get(team), 'nothing arrived in the chat');
    assert.equal(serverState(ui).sendFiles, before.sendFiles, 'no sendFile request after the cut upload');

    await ui.clickNotificationButton('Retry', { notification: /connection was lost/ });
    const sent = await ui.waitForNotification(/^Sent hello\.ts to /);
    await ui.screenshot('sent-after-retry');
    assert.equal(sent, `Sent hello.ts to ${CHAT}.`);
    const messages = ui.server.chatMessages(team).slice(before.messages.get(team));
    assert.equal(messages.length, 1, `exactly one new message in ${CHAT}: ${describeMessages(messages)}`);
    assertFileMessage(ui, messages[0], 'hello.ts', onDisk);
    assert.equal(serverState(ui).sendFiles, before.sendFiles + 1, 'one sendFile request in all');
  });

  it('sends a selection from the editor context menu, named after its lines, with where it came from', async () => {
    const ui = h();
    const lines = SERVER_TS.split('\n');
    await ui.openFile('src/server.ts');
    await ui.selectLines(2, 4);
    await ui.screenshot('lines-2-4-selected');
    const before = serverState(ui);

    await ui.rightClickEditorSelection();
    await ui.screenshot('editor-context-menu');
    await ui.clickContextMenuItem('Send Selection to Chat…');
    // The caption box suggests where the selection came from; Enter keeps it.
    const caption = await answerChatPicker(ui, { chat: CHAT, what: 'server.L2-4.ts', screenshots: true });
    assert.equal(caption, 'src/server.ts:2-4', 'the suggested caption names the file and its lines');

    const sent = await ui.waitForNotification(/^Sent server\.L2-4\.ts to /);
    await ui.waitForNotificationGone(/^Sending /);
    await ui.screenshot('sent-selection');
    assert.equal(sent, `Sent server.L2-4.ts to ${CHAT}.`);

    const messages = newTeamMessages(ui, before, 1);
    assert.equal(messages.length, 2, `the caption and the file, nothing else: ${describeMessages(messages)}`);
    assertTextMessage(messages[0], 'src/server.ts:2-4');
    assertFileMessage(ui, messages[1], 'server.L2-4.ts', Buffer.from(`${lines.slice(1, 4).join('\n')}\n`, 'utf8'));
  });

  it('sends two files from the Explorer context menu, in order, under one progress notification', async () => {
    const ui = h();
    const names = ['build.log', 'diagram.png'];
    const onDisk = names.map((name) => fs.readFileSync(path.join(ui.workspace, name)));
    assert.deepEqual(onDisk[0], Buffer.from(BUILD_LOG, 'utf8'));
    assert.deepEqual(onDisk[1], DIAGRAM_PNG);
    await ui.runCommand('View: Show Explorer');
    await ui.selectExplorerItems(names);
    await ui.screenshot('two-files-selected');
    const before = serverState(ui);
    // The server takes a while to post each file, so the progress notification stays on
    // screen long enough for a person (and a screenshot) to see it.
    ui.server.faults.delayResponses('sendFile', 2_500);
    const toasts = await ui.recordNotifications();

    await ui.rightClickExplorerItem('diagram.png');
    await ui.screenshot('explorer-context-menu');
    await ui.clickContextMenuItem('Send to TrueConf Chat…');
    await answerChatPicker(ui, { chat: CHAT, what: '2 files', caption: 'Last night’s build', screenshots: true });

    await ui.waitForNotification(/^Sending [12] of 2: /);
    await ui.screenshot('sending-progress');
    const sent = await ui.waitForNotification(/^Sent 2 files to /);
    await ui.waitForNotificationGone(/^Sending /);
    await ui.screenshot('sent-two-files');
    assert.equal(sent, `Sent 2 files to ${CHAT}.`);

    const seen = await toasts.stop();
    const progress = seen.filter((messages) => messages.some((m) => m.startsWith('Sending ')));
    assert.equal(progress.length, 1, `one progress notification for the batch (toasts seen: ${JSON.stringify(seen)})`);
    const steps = progress[0].filter((m) => m.startsWith('Sending '));
    const first = steps.findIndex((m) => m.startsWith('Sending 1 of 2: build.log'));
    const second = steps.findIndex((m) => m.startsWith('Sending 2 of 2: diagram.png'));
    assert.ok(first >= 0 && second > first, `the progress names each file in turn: ${JSON.stringify(steps)}`);

    const messages = newTeamMessages(ui, before, 2);
    assert.equal(messages.length, 3, `the caption and the two files, nothing else: ${describeMessages(messages)}`);
    assertTextMessage(messages[0], 'Last night’s build');
    assertFileMessage(ui, messages[1], 'build.log', onDisk[0]);
    assertFileMessage(ui, messages[2], 'diagram.png', onDisk[1]);
  });
});
