/**
 * The manifest against what the code registers, in a real VS Code (extension.test.ts checks the
 * other direction: every contributed command is registered):
 * - no `trueconf.*` command is registered without being contributed;
 * - every command named by a menu, a keybinding, the walkthrough or the welcome views exists;
 * - commands that only make sense on a tree item are hidden from the palette;
 * - a command that needs the session is offered only while signed in (or connected);
 * - the keyboard shortcuts need a sign-in and an editor, and VS Code binds nothing to their
 *   first chord;
 * - the walkthrough takes a new user from sign-in to a sent file and the incoming files.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, ContextKeys, Views } from '../../src/constants';
import { ourExtension } from './helpers';

interface MenuItem {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}
interface Keybinding {
  command: string;
  key: string;
  mac?: string;
  linux?: string;
  win?: string;
  when?: string;
}
interface WalkthroughStep {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: unknown; svg?: string };
  completionEvents?: string[];
}
interface Manifest {
  contributes: {
    commands: { command: string }[];
    menus: Record<string, MenuItem[]>;
    keybindings?: Keybinding[];
    views: Record<string, { id: string }[]>;
    viewsContainers: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    walkthroughs?: { id: string; steps: WalkthroughStep[] }[];
  };
}

/** Commands that act on the tree item they are invoked on: hidden from the palette. */
const ITEM_ONLY_COMMANDS: readonly string[] = [Commands.copyIncomingFileName, Commands.removeIncomingFile];

/** Commands that talk to the server: every menu offering them requires the session. */
const SESSION_COMMANDS: readonly string[] = [
  Commands.signOut,
  Commands.reconnect,
  Commands.sendActiveFile,
  Commands.sendSelection,
  Commands.sendFiles,
  Commands.openIncomingFile,
  Commands.refreshIncomingFiles,
];
// Not in SESSION_COMMANDS, on purpose: saveIncomingFileAs (a received file's editor saves from
// the download cache), copyIncomingFileName, removeIncomingFile, clearIncomingFiles and
// markIncomingFilesRead (the local list), signIn, showLog, chooseCaFile, showSessionMenu.

function manifest(): Manifest {
  return ourExtension().packageJSON as Manifest;
}

/**
 * The texts of a manifest string in every language the extension ships: a `%key%` is looked up
 * in each package.nls*.json beside the manifest; VS Code may hand us the manifest already
 * translated, then the text is used as it is too.
 */
function allTexts(value: string): string[] {
  const key = /^%([\w.-]+)%$/.exec(value)?.[1];
  const dir = ourExtension().extensionPath;
  const bundles = fs
    .readdirSync(dir)
    .filter((name) => /^package\.nls(\.[\w-]+)?\.json$/.test(name))
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Record<string, string>);
  if (key) {
    return bundles.map((bundle) => bundle[key]).filter((text): text is string => typeof text === 'string');
  }
  // Already translated: find the key whose text it is, and return that key's texts in every language.
  const sameKey = bundles.flatMap((bundle) => Object.entries(bundle).filter(([, text]) => text === value).map(([k]) => k))[0];
  return sameKey ? bundles.map((bundle) => bundle[sameKey]).filter((text): text is string => typeof text === 'string') : [value];
}

/** `command:` link targets in markdown (viewsWelcome, walkthrough descriptions). */
function commandLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(command:([\w.-]+)/g)].map((m) => m[1]);
}

/** True when `when` can only hold while signed in: every `||` alternative has `trueconf.signedIn` or `trueconf.connected` as a conjunct. */
function requiresSession(when: string | undefined): boolean {
  if (!when) {
    return false;
  }
  const required = new Set<string>([ContextKeys.signedIn, ContextKeys.connected]);
  return when.split('||').every((alternative) =>
    alternative
      .replace(/[()]/g, ' ')
      .split('&&')
      .map((term) => term.trim())
      .some((term) => required.has(term)),
  );
}

/** A chord as VS Code's default keybindings file writes it, modifiers in a fixed order. */
function normalizeChord(chord: string): string {
  const parts = chord.toLowerCase().split('+');
  const key = parts.pop() ?? '';
  const order = ['ctrl', 'shift', 'alt', 'meta', 'cmd', 'win'];
  return [...parts.sort((a, b) => order.indexOf(a) - order.indexOf(b)), key].join('+');
}

/** Every `menus` entry, with the menu it is in. */
function menuEntries(): Array<{ menu: string; item: MenuItem }> {
  return Object.entries(manifest().contributes.menus).flatMap(([menu, items]) => items.map((item) => ({ menu, item })));
}

describe('Contributions: package.json against the registered commands', () => {
  let registered: Set<string>;

  before(async function () {
    this.timeout(60_000);
    await ourExtension().activate();
    registered = new Set(await vscode.commands.getCommands(true));
  });

  it('registers no trueconf.* command that package.json does not contribute', () => {
    const contributed = new Set(manifest().contributes.commands.map((c) => c.command));
    // VS Code itself registers commands for each contributed view ("trueconf.incomingFiles.focus", …).
    const viewIds = Object.values(manifest().contributes.views).flatMap((views) => views.map((v) => v.id));
    const generated = (id: string) => viewIds.some((view) => id.startsWith(`${view}.`));
    const orphans = [...registered].filter((id) => id.startsWith('trueconf.') && !contributed.has(id) && !generated(id));
    assert.deepEqual(orphans, [], 'registered commands missing from contributes.commands');
  });

  it('names only existing commands in menus, keybindings, the walkthrough and the welcome views', () => {
    const { contributes } = manifest();
    const named = [
      ...menuEntries().flatMap(({ menu, item }) => (item.command ? [{ where: `menus.${menu}`, command: item.command }] : [])),
      ...(contributes.keybindings ?? []).map((k) => ({ where: `keybindings (${k.key})`, command: k.command })),
      ...contributes.viewsWelcome.flatMap((w) => allTexts(w.contents).flatMap(commandLinks).map((command) => ({ where: `viewsWelcome (${w.when})`, command }))),
      ...(contributes.walkthroughs ?? []).flatMap((walkthrough) =>
        walkthrough.steps.flatMap((step) => [
          ...allTexts(step.description).flatMap(commandLinks).map((command) => ({ where: `walkthrough step ${step.id}`, command })),
          ...(step.completionEvents ?? [])
            .filter((event) => event.startsWith('onCommand:'))
            .map((event) => ({ where: `walkthrough step ${step.id} completion`, command: event.slice('onCommand:'.length) })),
        ]),
      ),
    ];
    assert.ok(named.length > 20, 'found the commands the manifest names');
    const missing = named.filter(({ command }) => !registered.has(command)).map(({ where, command }) => `${command} (${where})`);
    assert.deepEqual(missing, [], 'commands named in package.json that do not exist');
  });

  it('hides commands that act on a tree item from the palette, and offers every hidden command somewhere else', () => {
    const palette = manifest().contributes.menus.commandPalette ?? [];
    const hidden = palette.filter((item) => item.when === 'false').map((item) => item.command);
    assert.deepEqual(
      ITEM_ONLY_COMMANDS.filter((id) => !hidden.includes(id)),
      [],
      'tree-item commands without { "when": "false" } in menus.commandPalette',
    );
    const elsewhere = new Set([
      ...menuEntries()
        .filter(({ menu }) => menu !== 'commandPalette')
        .map(({ item }) => item.command),
      ...(manifest().contributes.keybindings ?? []).map((k) => k.command),
    ]);
    assert.deepEqual(
      hidden.filter((id) => id && !elsewhere.has(id)),
      [],
      'commands hidden from the palette that no menu or keybinding offers',
    );
  });

  it('offers the commands that need the session only while signed in', () => {
    const offenders = menuEntries()
      .filter(({ item }) => item.command && SESSION_COMMANDS.includes(item.command) && item.when !== 'false' && !requiresSession(item.when))
      .map(({ menu, item }) => `${item.command} in ${menu} (when: ${item.when ?? 'always'})`);
    assert.deepEqual(offenders, [], 'menu entries that need trueconf.signedIn or trueconf.connected in their when clause');
  });

  it('has keyboard shortcuts for sending that need a sign-in and a focused editor (and a selection for the selection)', () => {
    const keybindings = manifest().contributes.keybindings ?? [];
    const byCommand = new Map(keybindings.map((k) => [k.command, k]));
    for (const id of [Commands.sendActiveFile, Commands.sendSelection]) {
      const binding = byCommand.get(id);
      assert.ok(binding, `${id} has a keybinding`);
      assert.ok(requiresSession(binding.when), `${id}'s keybinding requires the session (when: ${binding.when})`);
      assert.match(binding.when ?? '', /\beditorTextFocus\b/, `${id}'s keybinding needs a focused text editor`);
      assert.ok(binding.mac, `${id} has a macOS keybinding`);
    }
    assert.match(byCommand.get(Commands.sendSelection)?.when ?? '', /\beditorHasSelection\b/, 'the selection shortcut needs a selection');
    for (const binding of keybindings) {
      assert.ok(!/^(ctrl|cmd)\+k\b/.test(binding.key) && !/^(ctrl|cmd)\+k\b/.test(binding.mac ?? ''), `${binding.key}: Ctrl+K starts VS Code's own chords`);
    }
  });

  it("binds nothing of VS Code's to the first chord of its shortcuts (the default keybindings of this platform)", async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    const document = vscode.window.activeTextEditor?.document;
    assert.ok(document && /keybindings\.json$/.test(document.uri.path), `the default keybindings file is open (active: ${document?.uri.toString()})`);
    const text = document.getText();
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const defaults = [...text.matchAll(/"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)]
      .map((m) => ({ key: m[1], command: m[2] }))
      .filter((binding) => !binding.command.replace(/^-/, '').startsWith('trueconf.'));
    assert.ok(defaults.length > 300, `read VS Code's default keybindings (${defaults.length})`);
    const ours = (manifest().contributes.keybindings ?? []).map((k) => normalizeChord(k.key.split(' ')[0]));
    const clashes = defaults.filter((binding) => ours.includes(normalizeChord(binding.key.split(' ')[0])));
    assert.deepEqual(clashes, [], 'default keybindings that start with the first chord of ours');
  });

  it('has a walkthrough from sign-in to a sent file and the incoming files', () => {
    const walkthrough = (manifest().contributes.walkthroughs ?? []).find((w) => w.id === 'trueconf.gettingStarted');
    assert.ok(walkthrough, 'contributes.walkthroughs has trueconf.gettingStarted');
    const events = walkthrough.steps.map((step) => step.completionEvents ?? []);
    assert.ok(events[0]?.includes(`onContext:${ContextKeys.signedIn}`), 'step 1 completes on sign-in');
    assert.ok(events[1]?.includes(`onCommand:${Commands.sendActiveFile}`), 'step 2 completes when a file is sent');
    assert.ok(events[2]?.includes(`onView:${Views.incomingFiles}`), 'step 3 completes when the Incoming Files view opens');
    assert.ok(commandLinks(allTexts(walkthrough.steps[0].description).join('\n')).includes(Commands.signIn), 'step 1 has a Sign In button');
    const dir = ourExtension().extensionPath;
    for (const step of walkthrough.steps) {
      for (const media of allTexts(step.media.markdown ?? '')) {
        assert.ok(fs.existsSync(path.join(dir, media)), `${step.id}: ${media} is in the installed extension`);
      }
    }
  });
});
