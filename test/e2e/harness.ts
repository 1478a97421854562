/**
 * The e2e harness: the packaged extension in a real VS Code (code-server) shown in Debian's
 * Chromium, a fake TrueConf server beside it, and helpers that act the way a person does —
 * press F1, type, read the status bar and the notifications — and wait for what a person
 * would see, each with an explicit timeout and a message naming what was awaited.
 *
 * In a mocha file:
 *
 *     describe('sign-in', () => {
 *       const h = useHarness({ suite: 'sign-in' });
 *       it('…', async () => { await h().runCommand('TrueConf: Sign In'); … });
 *     });
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Locator, type Page } from 'playwright-core';
import { FakeTrueConfServer, type FakeServerOptions } from '../fake-server';

/** Default wait for something a person would see after an action. */
export const UI_TIMEOUT_MS = 30_000;
/** Starting everything: build, code-server, browser, workbench. */
const START_TIMEOUT_MS = 5 * 60_000;
const EXTENSION_ID = 'trueconf-share.trueconf-share';
/** The status bar entry of the contract: VS Code gives it the DOM id `<extension id>.<entry id>`. */
export const STATUS_ENTRY_DOM_ID = `${EXTENSION_ID}.trueconf.status`;

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const resultsDir = path.join(repoRoot, 'test-results');

// ---- the plain-ESM helpers in scripts/ (shared with `npm start` and the integration runner)

interface CodeServerHandle {
  url: string;
  port: number;
  workbenchUrl: string;
  logFile: string;
  stop(): Promise<void>;
}
interface Scripts {
  QUIET_WORKBENCH_SETTINGS: Record<string, unknown>;
  ensureCodeServer(): Promise<string>;
  startCodeServer(options: {
    workspace: string;
    userDataDir: string;
    extensionsDir: string;
    settings?: Record<string, unknown>;
    locale?: string;
  }): Promise<CodeServerHandle>;
  packageVsix(options: { quiet: boolean }): Promise<string>;
  installVsix(vsix: string, extensionsDir: string): { id: string; dir: string };
  chromiumLaunchOptions(): { executablePath: string; args: string[]; headless: boolean };
  openWorkbench(page: Page, url: string, options?: { timeoutMs?: number }): Promise<void>;
  saveCodeServerLogs(userDataDir: string, destDir: string): void;
}

let scripts: Promise<Scripts> | undefined;
function loadScripts(): Promise<Scripts> {
  const load = async (file: string) => import(pathToFileURL(path.join(repoRoot, 'scripts', file)).href);
  scripts ??= Promise.all([
    load('code-server.mjs'),
    load('package-vsix.mjs'),
    load('lib/extensions.mjs'),
    load('lib/browser.mjs'),
  ]).then((modules) => Object.assign({}, ...modules) as Scripts);
  return scripts;
}

/** The .vsix is built once per test run and shared by every harness. */
let vsix: Promise<string> | undefined;
function packagedVsix(): Promise<string> {
  vsix ??= loadScripts().then((s) => s.packageVsix({ quiet: true }));
  return vsix;
}

// ---- options

export interface HarnessOptions {
  /** Names the folders of screenshots and failure logs under test-results/. */
  suite: string;
  /** User settings on top of the defaults (which point `trueconf.server` at the fake server). */
  settings?: Record<string, unknown>;
  /** Files of the workspace folder (relative path → contents); a small default set otherwise. */
  workspaceFiles?: Record<string, string>;
  /** Options for the fake TrueConf server. */
  server?: FakeServerOptions;
  /** VS Code display language, e.g. 'de'. */
  locale?: string;
}

const DEFAULT_WORKSPACE_FILES: Record<string, string> = {
  'README.md': '# Demo project\n\nA small folder for TrueConf Share tests.\n',
  'src/hello.ts': "export function hello(name: string): string {\n  return `Hello, ${name}!`;\n}\n",
  'notes/todo.txt': 'send the build log to the team chat\n',
};

/** The pause between two looks at the screen while polling — never a wait for something. */
function pollInterval(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'step';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What the page-side helpers below record about the quick input (see installQuickInputProbe). */
interface QuickInputMark {
  /** How often the quick input has been hidden so far. */
  hides: number;
  /** Title, prompt, placeholder, input type and value of the open box; null when none is open. */
  key: string | null;
}

interface QuickInputProbe {
  hides: number;
  mark(): QuickInputMark;
  acceptedSince(before: QuickInputMark): boolean;
}
/** The page's global object, once installQuickInputProbe has run. */
type ProbedWindow = { __trueconfE2E: QuickInputProbe };

// installQuickInputProbe runs in the page, not in Node. These are the few DOM globals it uses,
// declared here (module scope) instead of adding the DOM library to every tsconfig that sees
// this file.
interface PageElement {
  readonly style: { display: string };
  readonly textContent: string | null;
  readonly className: string;
  readonly type?: string;
  readonly placeholder?: string;
  readonly value?: string;
  querySelector(selector: string): PageElement | null;
}
declare const document: PageElement;
declare const MutationObserver: new (callback: () => void) => { observe(target: PageElement, options: object): void };

/**
 * Runs in the page before VS Code loads: counts the quick input hiding, and describes the open
 * box, so that "the box took the Enter" is observable. A multi-step input (createInputBox
 * shown right after the previous one is disposed) never hides in between: there, the box is
 * replaced in place, which the description catches.
 */
function installQuickInputProbe(): void {
  const probe: QuickInputProbe = {
    hides: 0,
    mark(): QuickInputMark {
      const widget = document.querySelector('.quick-input-widget');
      if (!widget || widget.style.display === 'none') {
        return { hides: probe.hides, key: null };
      }
      const input = widget.querySelector('input.input');
      const text = (selector: string) => widget.querySelector(selector)?.textContent ?? '';
      return {
        hides: probe.hides,
        key: JSON.stringify([text('.quick-input-title'), text('.quick-input-message'), input?.type, input?.placeholder, input?.value]),
      };
    },
    /** True once the box marked `before` was accepted: hidden, or replaced by another box. */
    acceptedSince(before: QuickInputMark): boolean {
      const now = probe.mark();
      if (now.hides > before.hides || now.key === null) {
        return true;
      }
      const box = document.querySelector('.quick-input-widget .monaco-inputbox');
      const showsValidationError = /\b(error|warning)\b/.test(box?.className ?? '');
      return !showsValidationError && now.key !== before.key;
    },
  };
  (globalThis as unknown as ProbedWindow).__trueconfE2E = probe;
  let wasVisible = false;
  new MutationObserver(() => {
    const widget = document.querySelector('.quick-input-widget');
    const visible = widget !== null && widget.style.display !== 'none';
    if (wasVisible && !visible) {
      probe.hides++;
    }
    wasVisible = visible;
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['style'] });
}

// ---- the harness

export class Harness {
  /** The fake TrueConf server the extension is pointed at. */
  server!: FakeTrueConfServer;
  page!: Page;
  /** The temporary workspace folder open in VS Code. */
  workspace = '';

  private codeServer?: CodeServerHandle;
  private root = '';
  private readonly cleanups: { what: string; run: () => unknown }[] = [];
  private readonly browserLog: string[] = [];
  private readonly stepsLog: string[] = [];
  private screenshots = 0;
  private closed = false;

  private constructor(readonly options: HarnessOptions) {}

  /** Starts everything; if any part fails, what was started is stopped again. */
  static async start(options: HarnessOptions): Promise<Harness> {
    const harness = new Harness(options);
    try {
      await harness.boot();
      return harness;
    } catch (error) {
      await harness.close({ failed: true });
      throw error;
    }
  }

  get screenshotDir(): string {
    return path.join(resultsDir, 'screenshots', slug(this.options.suite));
  }

  private get userDataDir(): string {
    return path.join(this.root, 'user-data');
  }

  get failureLogDir(): string {
    return path.join(resultsDir, 'logs', slug(this.options.suite));
  }

  /** The workbench URL (code-server with the workspace folder). */
  get url(): string {
    return this.codeServer?.workbenchUrl ?? '';
  }

  private trace(message: string): void {
    const line = `${new Date().toISOString()} ${message}`;
    this.stepsLog.push(line);
    if (process.env.TRUECONF_E2E_VERBOSE) {
      console.log(`      · ${message}`);
    }
  }

  private async boot(): Promise<void> {
    const started = Date.now();
    fs.rmSync(this.screenshotDir, { recursive: true, force: true });
    fs.rmSync(this.failureLogDir, { recursive: true, force: true });
    const s = await loadScripts();
    const vsixPath = await packagedVsix();
    await s.ensureCodeServer();

    this.server = await FakeTrueConfServer.start(this.options.server ?? {});
    this.cleanups.push({ what: 'the fake TrueConf server', run: () => this.server.stop() });
    this.trace(`fake TrueConf server on ${this.server.url}`);

    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `trueconf-e2e-${slug(this.options.suite)}-`));
    this.cleanups.push({ what: 'the temporary folders', run: () => fs.rmSync(this.root, { recursive: true, force: true }) });
    this.workspace = path.join(this.root, 'workspace');
    for (const [file, contents] of Object.entries(this.options.workspaceFiles ?? DEFAULT_WORKSPACE_FILES)) {
      fs.mkdirSync(path.dirname(path.join(this.workspace, file)), { recursive: true });
      fs.writeFileSync(path.join(this.workspace, file), contents);
    }
    const extensionsDir = path.join(this.root, 'extensions');
    s.installVsix(vsixPath, extensionsDir);

    this.codeServer = await s.startCodeServer({
      workspace: this.workspace,
      userDataDir: this.userDataDir,
      extensionsDir,
      settings: { ...s.QUIET_WORKBENCH_SETTINGS, 'trueconf.server': this.server.url, ...this.options.settings },
      locale: this.options.locale,
    });
    const codeServer = this.codeServer;
    this.cleanups.push({ what: 'code-server', run: () => codeServer.stop() });
    this.trace(`code-server on ${codeServer.url}`);

    const browser = await chromium.launch(s.chromiumLaunchOptions());
    this.cleanups.push({ what: 'Chromium', run: () => browser.close() });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    this.page = await context.newPage();
    this.page.on('console', (message) => this.browserLog.push(`[${message.type()}] ${message.text()}`));
    this.page.on('pageerror', (error) => this.browserLog.push(`[pageerror] ${error.stack ?? error.message}`));
    await this.page.addInitScript(installQuickInputProbe);
    await this.openWorkbench();
    this.trace(`workbench and extension ready ${((Date.now() - started) / 1000).toFixed(1)} s after start`);
  }

  /**
   * Loads the workbench and waits until the extension is there: its status bar entry is on
   * screen (before that, the command palette may not list its commands yet).
   */
  private async openWorkbench(): Promise<void> {
    const s = await loadScripts();
    await this.step('open VS Code in the browser', () => s.openWorkbench(this.page, this.url));
    await this.step(
      'see the TrueConf status bar entry (the extension has started)',
      () => this.page.locator(`[id="${STATUS_ENTRY_DOM_ID}"]`).waitFor({ state: 'visible', timeout: 60_000 }),
      async () => `status bar: ${JSON.stringify(await this.statusBarTexts())}`,
    );
  }

  /**
   * Stops everything that was started, whatever happened. With `failed`, first saves a
   * screenshot, code-server's output, VS Code's logs (extension host, output channels),
   * the browser console, the fake server's log and the harness steps to
   * test-results/logs/<suite>/.
   */
  async close({ failed = false }: { failed?: boolean } = {}): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (failed) {
      await this.saveFailureLogs();
    }
    const problems: string[] = [];
    for (const { what, run } of this.cleanups.reverse()) {
      try {
        await run();
      } catch (error) {
        problems.push(`stopping ${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (problems.length > 0) {
      console.warn(`e2e harness cleanup problems:\n  ${problems.join('\n  ')}`);
    }
  }

  private async saveFailureLogs(): Promise<void> {
    const dir = this.failureLogDir;
    fs.mkdirSync(dir, { recursive: true });
    if (this.page && !this.page.isClosed()) {
      await this.page.screenshot({ path: path.join(dir, 'at-failure.png') }).catch(() => undefined);
    }
    if (this.root) {
      (await loadScripts()).saveCodeServerLogs(this.userDataDir, dir);
    }
    if (this.server) {
      fs.writeFileSync(path.join(dir, 'fake-server-log.json'), `${JSON.stringify(this.server.log, null, 2)}\n`);
    }
    fs.writeFileSync(path.join(dir, 'browser-console.log'), `${this.browserLog.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'steps.log'), `${this.stepsLog.join('\n')}\n`);
    console.log(`      e2e logs of "${this.options.suite}" saved to ${path.relative(repoRoot, dir)}/`);
  }

  /**
   * Runs `action`; if it throws (a playwright timeout, typically), rethrows with `what` named
   * and, if given, what is on screen now.
   */
  private async step<T>(what: string, action: () => Promise<T>, onScreen?: () => Promise<string>): Promise<T> {
    this.trace(what);
    try {
      return await action();
    } catch (error) {
      const seen = onScreen ? await onScreen().catch(() => '') : '';
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new Error(`${what}: ${reason}${seen ? `\n  on screen: ${seen}` : ''}`, { cause: error });
    }
  }

  // ---- screenshots and page

  /** Saves a PNG of what a person sees to test-results/screenshots/<suite>/<nn>-<name>.png. */
  async screenshot(name: string): Promise<string> {
    this.screenshots += 1;
    const file = path.join(this.screenshotDir, `${String(this.screenshots).padStart(2, '0')}-${slug(name)}.png`);
    fs.mkdirSync(this.screenshotDir, { recursive: true });
    await this.page.screenshot({ path: file });
    this.trace(`screenshot ${path.relative(repoRoot, file)}`);
    return file;
  }

  /** Reloads the browser window and waits for the workbench and the extension. */
  async reload(): Promise<void> {
    await this.openWorkbench();
  }

  // ---- the command palette and quick input

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private get quickInputBox(): Locator {
    return this.quickInput.locator('input.input');
  }

  private async markQuickInput(): Promise<QuickInputMark> {
    return this.page.evaluate(() => (globalThis as unknown as ProbedWindow).__trueconfE2E.mark());
  }

  /** Waits until the quick input marked `before` has taken the entry: it closed or the next box replaced it. */
  private async waitForQuickInputAccepted(before: QuickInputMark, timeout: number): Promise<void> {
    await this.page.waitForFunction(
      (b) => (globalThis as unknown as ProbedWindow).__trueconfE2E.acceptedSince(b),
      before,
      { timeout },
    );
  }

  /** A short description of the quick input for error messages. */
  private async describeQuickInput(): Promise<string> {
    if (!(await this.isQuickInputOpen())) {
      return 'no quick input is open';
    }
    const rows = await this.quickInput.locator('.quick-input-list .monaco-list-row').allTextContents();
    const message = await this.quickInput.locator('.quick-input-message').textContent();
    return `quick input "${await this.quickInputValue()}" (message: ${JSON.stringify(message ?? '')}; items: ${JSON.stringify(rows.slice(0, 8))})`;
  }

  /** True while a quick pick or input box is on screen. */
  async isQuickInputOpen(): Promise<boolean> {
    return this.quickInput.isVisible();
  }

  /** Waits for a quick input box to be on screen with the keyboard in it. */
  async waitForQuickInput({ password, timeout = UI_TIMEOUT_MS }: { password?: boolean; timeout?: number } = {}): Promise<void> {
    const what = password ? 'a password box' : 'a quick input box';
    await this.step(
      `wait for ${what}`,
      async () => {
        const box = password ? this.quickInput.locator('input.input[type="password"]') : this.quickInputBox;
        await box.waitFor({ state: 'visible', timeout });
        await this.quickInput.locator('input.input:focus').waitFor({ state: 'visible', timeout });
      },
      () => this.describeQuickInput(),
    );
  }

  /** The quick pick row whose label starts with `title`. */
  quickPickItem(title: string): Locator {
    return this.quickInput
      .locator('.quick-input-list .monaco-list-row')
      .filter({ hasText: new RegExp(`^\\s*${escapeRegExp(title)}`) })
      .first();
  }

  /** Waits for the quick pick to list an item whose label starts with `title`. */
  async waitForQuickPickItem(title: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.step(
      `see "${title}" listed in the quick pick`,
      () => this.quickPickItem(title).waitFor({ state: 'visible', timeout }),
      () => this.describeQuickInput(),
    );
  }

  /** Opens the command palette (F1) and waits for it, empty but for its `>` prefix. */
  async openCommandPalette({ timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.step('open the command palette (F1)', async () => {
      if (await this.isQuickInputOpen()) {
        await this.page.keyboard.press('Escape');
        await this.quickInput.waitFor({ state: 'hidden', timeout });
      }
      await this.page.keyboard.press('F1');
      await this.waitForQuickInputValue('>', timeout);
    });
  }

  /** Opens the command palette, types `title` and runs the command whose label starts with it. */
  async runCommand(title: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.openCommandPalette({ timeout });
    await this.page.keyboard.type(title);
    await this.waitForQuickPickItem(title, { timeout });
    await this.step(
      `run "${title}"`,
      async () => {
        const row = this.quickPickItem(title);
        const before = await this.markQuickInput();
        if ((await row.getAttribute('class'))?.split(/\s+/).includes('focused')) {
          await this.page.keyboard.press('Enter');
        } else {
          await row.click();
        }
        await this.waitForQuickInputAccepted(before, timeout);
      },
      () => this.describeQuickInput(),
    );
  }

  /** Waits for an input box, then types `text` into it, key by key. */
  async typeInQuickInput(text: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.waitForQuickInput({ timeout });
    await this.step(`type "${text}" into the quick input`, () => this.page.keyboard.type(text));
  }

  /** Empties the open input box (select all, Backspace). */
  async clearQuickInput({ timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.waitForQuickInput({ timeout });
    await this.step(
      'clear the quick input',
      async () => {
        await this.page.keyboard.press('ControlOrMeta+a');
        await this.page.keyboard.press('Backspace');
        await this.waitForQuickInputValue('', timeout);
      },
      () => this.describeQuickInput(),
    );
  }

  private async waitForQuickInputValue(value: string, timeout: number): Promise<void> {
    await this.poll(
      `the quick input to read ${JSON.stringify(value)}`,
      timeout,
      async () => ((await this.isQuickInputOpen()) && (await this.quickInputBox.inputValue()) === value ? true : undefined),
      () => this.describeQuickInput(),
    );
  }

  /** Presses Enter in the open input box and waits until the box accepts it and goes away. */
  async pressEnter({ timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.waitForQuickInput({ timeout });
    const before = await this.markQuickInput();
    await this.step(
      'press Enter and see the quick input accept it',
      async () => {
        await this.page.keyboard.press('Enter');
        await this.waitForQuickInputAccepted(before, timeout);
      },
      () => this.describeQuickInput(),
    );
  }

  /** The text in the open quick input ('' when none is open). */
  async quickInputValue(): Promise<string> {
    return (await this.isQuickInputOpen()) ? this.quickInputBox.inputValue() : '';
  }

  /** True when the open input box hides what is typed (a password box). */
  async isPasswordInput(): Promise<boolean> {
    return (await this.isQuickInputOpen()) && (await this.quickInputBox.getAttribute('type')) === 'password';
  }

  /**
   * The validation message shown under the open input box, or '' when the input is valid
   * (then VS Code shows the prompt there instead, which is not a validation message).
   */
  async quickInputMessage(): Promise<string> {
    if (!(await this.isQuickInputOpen())) {
      return '';
    }
    const severity = await this.quickInput.locator('.monaco-inputbox').first().getAttribute('class');
    if (!/\b(error|warning)\b/.test(severity ?? '')) {
      return '';
    }
    return ((await this.quickInput.locator('.quick-input-message').textContent()) ?? '').trim();
  }

  /** Waits until the open input box shows a validation message (matching `pattern`), returns it. */
  async waitForQuickInputMessage(pattern: RegExp = /\S/, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<string> {
    return this.poll(`a validation message matching ${pattern} under the input box`, timeout, async () => {
      const message = await this.quickInputMessage();
      return pattern.test(message) ? message : undefined;
    }, () => this.describeQuickInput());
  }

  // ---- status bar

  /** Status bar entries whose text matches. */
  statusBarItem(textOrRegex: string | RegExp): Locator {
    return this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: textOrRegex });
  }

  /** The texts of all status bar entries, left to right. */
  async statusBarTexts(): Promise<string[]> {
    const texts = await this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item').allTextContents();
    return texts.map((t) => t.trim()).filter((t) => t.length > 0);
  }

  /** Waits until some status bar entry's text matches `pattern`; returns that text. */
  async waitForStatusBarText(pattern: RegExp, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<string> {
    return this.poll(
      `the status bar to show text matching ${pattern}`,
      timeout,
      async () => (await this.statusBarTexts()).find((text) => pattern.test(text)),
      async () => `status bar: ${JSON.stringify(await this.statusBarTexts())}`,
    );
  }

  // ---- notifications

  private get toasts(): Locator {
    return this.page.locator('.notifications-toasts .notification-toast');
  }

  /** The messages of the notification toasts on screen (with `settled`, only those done fading in). */
  async notificationTexts({ settled = false }: { settled?: boolean } = {}): Promise<string[]> {
    const toasts = settled ? this.toasts.and(this.page.locator('.notification-fade-in-done')) : this.toasts;
    const texts = await toasts.locator('.notification-list-item-message').allTextContents();
    return texts.map((t) => t.trim());
  }

  /**
   * Waits for a notification toast whose message matches `pattern`, fully faded in (so a
   * screenshot shows it as a person reads it); returns the message.
   */
  async waitForNotification(pattern: RegExp, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<string> {
    return this.poll(
      `a notification matching ${pattern}`,
      timeout,
      async () => (await this.notificationTexts({ settled: true })).find((text) => pattern.test(text)),
      async () => `notifications: ${JSON.stringify(await this.notificationTexts())}`,
    );
  }

  /** Waits until no notification toast's message matches `pattern` (for example a finished progress). */
  async waitForNotificationGone(pattern: RegExp, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.poll(
      `no notification matching ${pattern}`,
      timeout,
      async () => ((await this.notificationTexts()).some((text) => pattern.test(text)) ? undefined : true),
      async () => `notifications: ${JSON.stringify(await this.notificationTexts())}`,
    );
  }

  /** Clicks the button labelled `label` on a notification toast (the one matching `notification`, if given). */
  async clickNotificationButton(
    label: string,
    { notification, timeout = UI_TIMEOUT_MS }: { notification?: RegExp; timeout?: number } = {},
  ): Promise<void> {
    const toast = notification ? this.toasts.filter({ hasText: notification }) : this.toasts;
    const button = toast
      .locator('.notification-list-item-buttons-container .monaco-button')
      .filter({ hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) })
      .first();
    await this.step(
      `click "${label}" on a notification${notification ? ` matching ${notification}` : ''}`,
      () => button.click({ timeout }),
      async () => `notifications: ${JSON.stringify(await this.notificationTexts())}`,
    );
  }

  // ---- panel

  /** The output channel shown in the Output view ('' when the Output view is not on screen). */
  async shownOutputChannel(): Promise<string> {
    const panel = this.page.locator('.part.panel');
    const outputTab = panel.locator('.action-item.checked[role="tab"]').filter({ hasText: /output/i });
    if (!(await panel.isVisible()) || (await outputTab.count()) === 0) {
      return '';
    }
    const channels = panel.locator('select.monaco-select-box');
    return (await channels.count()) > 0 ? channels.first().inputValue() : '';
  }

  /** Waits until the Output view shows the channel `name`. */
  async waitForOutputChannel(name: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.poll(
      `the Output view to show the "${name}" channel`,
      timeout,
      async () => ((await this.shownOutputChannel()) === name ? true : undefined),
      async () => `output channel: ${JSON.stringify(await this.shownOutputChannel())}; notifications: ${JSON.stringify(await this.notificationTexts())}`,
    );
  }

  // ---- waiting

  /**
   * Re-reads the screen until `probe` returns a value; the timeout error names `what` and
   * what `onScreen` reports at that moment.
   */
  private async poll<T>(what: string, timeout: number, probe: () => Promise<T | undefined>, onScreen: () => Promise<string>): Promise<T> {
    this.trace(`wait for ${what}`);
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
      if (Date.now() >= deadline) {
        throw new Error(`Timed out after ${Math.round(timeout / 1000)} s waiting for ${what}\n  on screen: ${await onScreen()}`);
      }
      await pollInterval();
    }
  }
}

/**
 * Mocha glue: starts a harness before the tests of the enclosing `describe`, and closes it
 * after them, saving logs if any test failed. Returns an accessor for the running harness.
 */
export function useHarness(options: HarnessOptions): () => Harness {
  let harness: Harness | undefined;
  let failed = false;
  before(async function () {
    this.timeout(START_TIMEOUT_MS);
    harness = await Harness.start(options);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      await harness?.screenshot(`failed-${this.currentTest.title}`).catch(() => undefined);
    }
  });
  after(async function () {
    this.timeout(120_000);
    await harness?.close({ failed });
  });
  return () => {
    if (!harness) {
      throw new Error('The e2e harness is not running (its start failed; see the `before all` hook error).');
    }
    return harness;
  };
}
