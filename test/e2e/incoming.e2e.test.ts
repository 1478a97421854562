import * as assert from 'node:assert/strict';
import { makePng } from '../fake-server/png';
import { signInThroughPalette } from './flows';
import { type Harness, UI_TIMEOUT_MS, useHarness } from './harness';

const NOTES = ['Release checklist', '- bump the version to 1.4.0', '- update the changelog', '- tag v1.4.0 and push it'].join('\n');

/** 17 lines of a build log: short enough to be on screen whole. */
const BUILD_LOG = Array.from({ length: 16 }, (_, i) => `[12:00:${String(i * 3).padStart(2, '0')}] step ${i + 1}/16 ok`)
  .concat('BUILD SUCCESSFUL')
  .join('\n');

/** A small "diagram": three boxes joined by a line, on white. */
const DIAGRAM = { width: 320, height: 200 };
function diagramPng(): Buffer {
  const boxes: { x0: number; x1: number; colour: [number, number, number] }[] = [
    { x0: 20, x1: 100, colour: [0, 95, 184] },
    { x0: 120, x1: 200, colour: [46, 160, 67] },
    { x0: 220, x1: 300, colour: [219, 109, 40] },
  ];
  return makePng(DIAGRAM.width, DIAGRAM.height, (x, y) => {
    const box = boxes.find((b) => x >= b.x0 && x < b.x1 && y >= 70 && y < 130);
    if (box) {
      return box.colour;
    }
    return y >= 98 && y < 102 && x >= 20 && x < 300 ? [60, 60, 60] : [255, 255, 255];
  });
}

/** The chat's row: a P2P chat is titled with the other person's display name. */
const CHAT = 'Bob Brown';
const SENDER = 'Bob Brown';

/** "Bob Brown · 12 bytes · now": the description of a file that is there to open. */
function readyDescription(bytes: number): RegExp {
  return new RegExp(`^${SENDER} · ${bytes} bytes · `);
}

const SIDE_BAR_WIDTH = 440;

/** Leaves the pointer over an empty part of the editor area, so no hover covers what a screenshot shows. */
async function movePointerAway(ui: Harness): Promise<void> {
  await ui.page.mouse.move(1000, 820);
}

describe('Incoming files in the TrueConf view', () => {
  const h = useHarness({ suite: 'incoming' });
  let chatId = '';

  it('lists the text file and the PNG bob sends under his chat, newest first, with a badge', async () => {
    const ui = h();
    await ui.waitForStatusBarText(/^TrueConf: Sign In$/);
    await signInThroughPalette(ui, { username: 'alice', password: 'alice-pass' });
    await ui.waitForStatusBarText(/TrueConf: alice@trueconf\.test/);
    await ui.runCommand('Notifications: Clear All Notifications');

    await ui.openView('TrueConf');
    // Wide enough for the files' descriptions (sender · size · time) to show whole.
    await ui.resizeSideBar(SIDE_BAR_WIDTH);
    // Signed in, nothing received yet: the view says so.
    await ui.page.locator('.part.sidebar').getByText('No incoming files yet.', { exact: false }).waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await movePointerAway(ui);
    await ui.screenshot('view-empty');

    chatId = ui.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    await ui.server.sendFile('bob', chatId, { name: 'notes.txt', data: Buffer.from(NOTES), mimeType: 'text/plain' });
    await ui.waitForTreeItem('notes.txt', { description: readyDescription(NOTES.length) });
    await ui.server.sendFile('bob', chatId, { name: 'diagram.png', data: diagramPng(), mimeType: 'image/png' });
    await ui.waitForTreeItem('diagram.png', { description: new RegExp(`^${SENDER} · [\\d.]+ KB · `) });
    await ui.waitForTreeItem(CHAT, { description: '2 files' });

    assert.deepEqual(
      (await ui.treeItems()).map(({ label, level }) => ({ label, level })),
      [
        { label: CHAT, level: 1 },
        { label: 'diagram.png', level: 2 },
        { label: 'notes.txt', level: 2 },
      ],
      'the chat, and under it both files, the newest first',
    );
    await ui.waitForActivityBarBadge('TrueConf', '2');
    await movePointerAway(ui);
    await ui.screenshot('tree-with-files');
  });

  it('opens notes.txt in a text editor showing its content', async () => {
    const ui = h();
    await ui.clickTreeItem('notes.txt');
    await ui.waitForActiveEditor('notes.txt');
    assert.equal(await ui.waitForActiveEditorText(NOTES), NOTES);
    assert.equal(await ui.activeEditorTitle(), 'notes.txt');
    // Opened: one file left not opened yet.
    await ui.waitForActivityBarBadge('TrueConf', '1');
    await movePointerAway(ui);
    await ui.screenshot('text-file-open');
  });

  it('opens diagram.png in the image preview', async () => {
    const ui = h();
    await ui.clickTreeItem('diagram.png');
    await ui.waitForActiveEditor('diagram.png');
    const size = await ui.waitForImagePreview();
    assert.deepEqual(size, DIAGRAM, 'the preview shows the PNG bob sent, decoded');
    assert.equal(await ui.activeEditorText(), '', 'not a text editor');
    // The image preview's own status bar entry names the image's size.
    await ui.waitForStatusBarText(new RegExp(`^${DIAGRAM.width}x${DIAGRAM.height}$`));
    await ui.waitForActivityBarBadge('TrueConf', '');
    await movePointerAway(ui);
    await ui.screenshot('image-preview');
  });

  it('shows the progress of a file still being uploaded, then opens it once complete', async () => {
    const ui = h();
    const sent = await ui.server.sendFile('bob', chatId, { name: 'build.log', data: Buffer.from(BUILD_LOG), mimeType: 'text/plain', uploadMs: 10_000 });
    const first = await ui.waitForTreeItem('build.log', { description: new RegExp(`^${SENDER} · uploading \\d+%$`) });

    // Follow the row until the file is complete, remembering each description it showed; the
    // screenshot shows it part-way (or complete, if it got there between two looks).
    const seen = [first.description];
    const ready = readyDescription(BUILD_LOG.length);
    const follow = (done: (text: string) => boolean) => (text: string) => {
      if (seen[seen.length - 1] !== text) {
        seen.push(text);
      }
      return done(text);
    };
    await ui.waitForTreeItem('build.log', { description: follow((text) => /uploading [1-9]\d?%$/.test(text) || ready.test(text)), timeout: 90_000 });
    await movePointerAway(ui);
    await ui.screenshot('uploading');
    const done = await ui.waitForTreeItem('build.log', { description: follow((text) => ready.test(text)), timeout: 90_000 });
    await sent.ready;
    const percents = seen.flatMap((text) => /uploading (\d+)%$/.exec(text)?.[1] ?? []).map(Number);
    assert.ok(percents.length > 0, `build.log showed its upload progress before it was complete (seen: ${JSON.stringify(seen)})`);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), `the percentage only grows (seen: ${JSON.stringify(seen)})`);
    assert.ok(
      percents.some((p) => p > 0 && p < 100),
      `the progress moved between 0% and 100% (seen: ${JSON.stringify(seen)})`,
    );
    assert.match(done.description, ready);
    await ui.waitForTreeItem(CHAT, { description: '3 files' });
    await ui.waitForActivityBarBadge('TrueConf', '1');

    await ui.clickTreeItem('build.log');
    await ui.waitForActiveEditor('build.log');
    assert.equal(await ui.waitForActiveEditorText(BUILD_LOG), BUILD_LOG, 'the whole file, not what was there mid-upload');
    await ui.waitForActivityBarBadge('TrueConf', '');
    await movePointerAway(ui);
    await ui.screenshot('uploaded-file-open');
  });

  it('still lists the chat and its files after a window reload, without reading the chats again', async () => {
    const ui = h();
    const { log } = ui.server;
    const authsBefore = log.requests.filter((r) => r.method === 'auth').length;
    const tokensBefore = log.tokenRequests.length;
    const requestsBefore = log.requests.length;
    // The server does not answer history requests: what the view shows after the reload is the
    // list the extension kept, not one read again from the chats. Nothing new is sent either.
    ui.server.faults.omitResponses('getChatHistory');
    try {
      await ui.reload();
      // The session comes back by itself: code-server keeps SecretStorage across a reload of the page.
      await ui.waitForStatusBarText(/TrueConf: alice@trueconf\.test/, { timeout: 60_000 });
      await ui.openView('TrueConf');
      await ui.resizeSideBar(SIDE_BAR_WIDTH);
      // The chat may come back collapsed: it starts open only while it has files not opened yet.
      await ui.expandTreeItem(CHAT);
      await ui.waitForTreeItem(CHAT, { description: '3 files' });
      await ui.waitForTreeItem('notes.txt');
      assert.deepEqual(
        (await ui.treeItems()).map(({ label, level }) => ({ label, level })),
        [
          { label: CHAT, level: 1 },
          { label: 'build.log', level: 2 },
          { label: 'diagram.png', level: 2 },
          { label: 'notes.txt', level: 2 },
        ],
        'the same chat and files, in the same order',
      );
      await ui.waitForTreeItem('diagram.png', { description: new RegExp(`^${SENDER} · [\\d.]+ KB · `) });
      await ui.waitForTreeItem('build.log', { description: readyDescription(BUILD_LOG.length) });
      await movePointerAway(ui);
      await ui.screenshot('after-reload');

      const requestsSince = log.requests.slice(requestsBefore).map((r) => r.method);
      assert.ok(
        log.requests.filter((r) => r.method === 'auth').length > authsBefore,
        `the reloaded window's extension connected anew (requests since the reload: ${JSON.stringify(requestsSince)})`,
      );
      assert.equal(log.tokenRequests.length, tokensBefore, 'it used the stored token: no new sign-in');
    } finally {
      ui.server.faults.clear();
    }
  });

  it('after a reload in the middle of an upload, shows the file complete once it is, and opens it', async () => {
    const ui = h();
    const TRACE = Array.from({ length: 12 }, (_, i) => `trace ${i + 1}: ok`).join('\n');
    const sent = await ui.server.sendFile('bob', chatId, { name: 'trace.log', data: Buffer.from(TRACE), mimeType: 'text/plain', uploadMs: 15_000 });
    // Some progress on screen: the file has been in the list long enough to be kept across the reload.
    await ui.waitForTreeItem('trace.log', { description: new RegExp(`^${SENDER} · uploading [1-9]\\d?%$`) });

    await ui.reload();
    await ui.waitForStatusBarText(/TrueConf: alice@trueconf\.test/, { timeout: 60_000 });
    await ui.openView('TrueConf');
    await ui.resizeSideBar(SIDE_BAR_WIDTH);
    await ui.expandTreeItem(CHAT);
    await ui.waitForTreeItem(CHAT, { description: '4 files' });
    await ui.waitForTreeItem('trace.log', { description: readyDescription(TRACE.length), timeout: 90_000 });
    await sent.ready;

    await ui.clickTreeItem('trace.log');
    await ui.waitForActiveEditor('trace.log');
    assert.equal(await ui.waitForActiveEditorText(TRACE), TRACE);
    await movePointerAway(ui);
    await ui.screenshot('uploaded-across-reload-open');
  });
});
