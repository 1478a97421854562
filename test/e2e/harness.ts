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
  installEmptyLanguagePack(locale: string, extensionsDir: string, userDataDir: string): { id: string; dir: string };
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
  /** Files of the workspace folder (relative path → text, or bytes); a small default set otherwise. */
  workspaceFiles?: Record<string, string | Uint8Array>;
  /** Options for the fake TrueConf server. */
  server?: FakeServerOptions;
  /**
   * VS Code display language, e.g. 'ru': code-server's `--locale`, with an empty language pack
   * so that the extension's own translations are used (VS Code's UI stays English).
   */
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

/** Matches an element whose whole text is `text` (surrounding white space aside). */
function exactText(text: string): RegExp {
  return new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`);
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
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
declare const document: PageElement;
declare const MutationObserver: new (callback: () => void) => { observe(target: PageElement, options: object): void; disconnect(): void };

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

/** What recordNotifications() keeps in the page: each toast seen, with the messages it showed. */
type NotificationRecorderWindow = {
  __trueconfNotifications?: { toasts: Array<{ element: PageElement; messages: string[] }>; stop(): void };
};

/**
 * Runs in the page (see Harness.recordNotifications): from now on, remembers every notification
 * toast element that appears and each distinct message it shows, however briefly.
 */
function startNotificationRecorder(): void {
  const w = globalThis as unknown as NotificationRecorderWindow;
  w.__trueconfNotifications?.stop();
  const toasts: Array<{ element: PageElement; messages: string[] }> = [];
  const look = () => {
    const elements = document.querySelectorAll('.notifications-toasts .notification-toast');
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i];
      let toast = toasts.find((t) => t.element === element);
      if (!toast) {
        toast = { element, messages: [] };
        toasts.push(toast);
      }
      const message = (element.querySelector('.notification-list-item-message')?.textContent ?? '').trim();
      if (message && toast.messages[toast.messages.length - 1] !== message) {
        toast.messages.push(message);
      }
    }
  };
  const observer = new MutationObserver(look);
  observer.observe(document, { subtree: true, childList: true, characterData: true });
  look();
  w.__trueconfNotifications = { toasts, stop: () => observer.disconnect() };
}

/** What the side bar's tree helpers read from a row (see Harness.treeItems). */
export interface TreeItemInfo {
  label: string;
  description: string;
  /** 1 for a top-level row. */
  level: number;
  /** Set only on rows that have children. */
  expanded?: boolean;
}

/** The few DOM members the page-side callbacks of the tree and editor helpers read. */
interface PageNode {
  readonly textContent: string | null;
  readonly style: { top: string };
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
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
    if (this.options.locale && !/^en\b/i.test(this.options.locale)) {
      // VS Code's language pack cannot be downloaded here: an empty one makes the language
      // `locale` (its own UI stays English); our package.nls/l10n translations then apply.
      s.installEmptyLanguagePack(this.options.locale, extensionsDir, this.userDataDir);
    }

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

  // ---- quick pick, editor, explorer and context menus

  /** The title of the open quick input ('' when none is open, or it has no title). */
  async quickInputTitle(): Promise<string> {
    if (!(await this.isQuickInputOpen())) {
      return '';
    }
    return ((await this.quickInput.locator('.quick-input-title').textContent()) ?? '').trim();
  }

  /** Waits until the open quick input's title is `title` (or matches it); returns the title. */
  async waitForQuickInputTitle(title: string | RegExp, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<string> {
    const matches = (text: string) => (typeof title === 'string' ? text === title : title.test(text));
    return this.poll(
      `a quick input titled ${typeof title === 'string' ? JSON.stringify(title) : title}`,
      timeout,
      async () => {
        const text = await this.quickInputTitle();
        return matches(text) ? text : undefined;
      },
      async () => `title ${JSON.stringify(await this.quickInputTitle())}; ${await this.describeQuickInput()}`,
    );
  }

  /** Waits for the quick pick row whose label starts with `title`, clicks it and waits until the pick took it. */
  async pickQuickPickItem(title: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.waitForQuickPickItem(title, { timeout });
    await this.step(
      `pick "${title}" in the quick pick`,
      async () => {
        const before = await this.markQuickInput();
        await this.quickPickItem(title).click({ timeout });
        await this.waitForQuickInputAccepted(before, timeout);
      },
      () => this.describeQuickInput(),
    );
  }

  /** The active editor group's active tab. */
  private get activeTab(): Locator {
    return this.page.locator('.editor-group-container.active .tabs-container .tab.active');
  }

  /** The text editor of the active editor group. */
  private get activeTextEditor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-container .monaco-editor').first();
  }

  /** Waits until the active editor tab is the file `name` (a base name, `hello.ts`). */
  async waitForActiveEditor(name: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.step(
      `see ${name} in the active editor tab`,
      () => this.activeTab.filter({ has: this.page.locator('.label-name', { hasText: exactText(name) }) }).waitFor({ state: 'visible', timeout }),
      async () => `active tab: ${JSON.stringify((await this.activeTab.allTextContents()).map((t) => t.trim()))}`,
    );
  }

  /**
   * Opens a workspace file the way a person does without the mouse: Quick Open (Ctrl+P), type
   * its path, pick it; waits until its editor is the active one and has the keyboard.
   */
  async openFile(relativePath: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    await this.step('open Quick Open (Ctrl+P)', async () => {
      if (await this.isQuickInputOpen()) {
        await this.page.keyboard.press('Escape');
        await this.quickInput.waitFor({ state: 'hidden', timeout });
      }
      await this.page.keyboard.press('ControlOrMeta+p');
      await this.waitForQuickInputValue('', timeout);
    });
    await this.typeInQuickInput(relativePath, { timeout });
    await this.pickQuickPickItem(name, { timeout });
    await this.waitForActiveEditor(name, { timeout });
    await this.waitForTextEditorFocus(timeout);
  }

  private async waitForTextEditorFocus(timeout: number): Promise<void> {
    await this.step('see the text editor take the keyboard', () =>
      this.page.locator('.editor-group-container.active .editor-container .monaco-editor.focused').waitFor({ state: 'visible', timeout }),
    );
  }

  /**
   * Selects whole lines `first`..`last` (1-based) of the active text editor: Go to Line
   * (Ctrl+G) `first`, then Shift+Down once per line, so the selection ends at the start of line
   * `last + 1`. Waits until the status bar reports the selection.
   */
  async selectLines(first: number, last: number, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.step(`open Go to Line (Ctrl+G)`, async () => {
      if (await this.isQuickInputOpen()) {
        await this.page.keyboard.press('Escape');
        await this.quickInput.waitFor({ state: 'hidden', timeout });
      }
      await this.page.keyboard.press('ControlOrMeta+g');
      await this.waitForQuickInputValue(':', timeout);
    });
    await this.typeInQuickInput(String(first), { timeout });
    await this.pressEnter({ timeout });
    await this.waitForTextEditorFocus(timeout);
    await this.step(`select lines ${first}-${last} (Shift+Down)`, async () => {
      for (let line = first; line <= last; line++) {
        await this.page.keyboard.press('Shift+ArrowDown');
      }
    });
    await this.waitForStatusBarText(new RegExp(`^Ln ${last + 1}, Col 1 \\(\\d+ selected\\)$`), { timeout });
  }

  /** The context menu on screen (editor, explorer, …). */
  private get contextMenu(): Locator {
    return this.page.locator('.context-view .monaco-menu');
  }

  /** Waits for the context menu, done fading in (so a screenshot shows it as a person reads it). */
  private async waitForContextMenu(timeout: number): Promise<void> {
    await this.step('see the context menu', async () => {
      await this.contextMenu.waitFor({ state: 'visible', timeout });
      await this.page.waitForFunction(
        () => {
          type Animations = { getAnimations(): Array<{ effect: { target?: { className?: unknown } | null } | null }> };
          return !(document as unknown as Animations)
            .getAnimations()
            .some((a) => String(a.effect?.target?.className ?? '').includes('monaco-menu-container'));
        },
        undefined,
        { timeout },
      );
    });
  }

  /** Right-clicks the selected text of the active editor (inside the selection, so it stays) and waits for the context menu. */
  async rightClickEditorSelection({ timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    const selected = this.activeTextEditor.locator('.view-overlays .selected-text').first();
    await this.step('right-click the selected text', async () => {
      await selected.waitFor({ state: 'visible', timeout });
      const box = await selected.boundingBox();
      if (!box) {
        throw new Error('the selection is not on screen');
      }
      await this.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
    });
    await this.waitForContextMenu(timeout);
  }

  /** Clicks the item labelled `label` in the open context menu and waits for the menu to close. */
  async clickContextMenuItem(label: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    const item = this.contextMenu.locator('.action-menu-item .action-label').filter({ hasText: exactText(label) }).first();
    await this.step(
      `choose "${label}" in the context menu`,
      async () => {
        await item.click({ timeout });
        await this.contextMenu.waitFor({ state: 'hidden', timeout });
      },
      async () => `menu items: ${JSON.stringify((await this.contextMenu.locator('.action-menu-item .action-label').allTextContents()).map((t) => t.trim()))}`,
    );
  }

  /** The Explorer's row of the file or folder named `name` (a base name). */
  explorerItem(name: string): Locator {
    return this.page
      .locator('.explorer-folders-view .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exactText(name) }) })
      .first();
  }

  /** In the Explorer, clicks the first of `names`, Ctrl-clicks the others, and waits until all are selected. */
  async selectExplorerItems(names: readonly string[], { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    for (const [i, name] of names.entries()) {
      const row = this.explorerItem(name);
      await this.step(
        `${i === 0 ? 'click' : 'Ctrl-click'} ${name} in the Explorer`,
        async () => {
          await row.click({ timeout, modifiers: i === 0 ? [] : ['ControlOrMeta'] });
          await this.explorerItem(name).and(this.page.locator('[aria-selected="true"]')).waitFor({ state: 'visible', timeout });
        },
        async () => `explorer: ${JSON.stringify(await this.page.locator('.explorer-folders-view .monaco-list-row').allTextContents())}`,
      );
    }
    for (const name of names) {
      await this.explorerItem(name).and(this.page.locator('[aria-selected="true"]')).waitFor({ state: 'visible', timeout });
    }
  }

  /** Right-clicks the Explorer's row of `name` and waits for the context menu. */
  async rightClickExplorerItem(name: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.step(`right-click ${name} in the Explorer`, () => this.explorerItem(name).click({ button: 'right', timeout }));
    await this.waitForContextMenu(timeout);
  }

  /**
   * Starts recording the notification toasts that appear from now on, each with every message
   * it shows (a progress notification's message changes as it goes). `stop()` ends the
   * recording and returns one list of messages per toast, in the order they appeared: to count,
   * say, how many progress notifications a batch showed, however briefly.
   */
  async recordNotifications(): Promise<{ stop(): Promise<string[][]> }> {
    this.trace('start recording notification toasts');
    await this.page.evaluate(startNotificationRecorder);
    return {
      stop: async () => {
        this.trace('stop recording notification toasts');
        return this.page.evaluate(() => {
          const recorded = (globalThis as unknown as NotificationRecorderWindow).__trueconfNotifications;
          recorded?.stop();
          return recorded?.toasts.map((t) => t.messages) ?? [];
        });
      },
    };
  }

  // ---- the activity bar, trees in the side bar, and what editors show

  /**
   * The activity bar icon of the view container titled `title` (its badge is inside it). The
   * icon's label is the title, followed by ` - <badge tooltip>` while a badge shows.
   */
  activityBarItem(title: string): Locator {
    const label = JSON.stringify(title);
    const prefix = (suffix: string) => JSON.stringify(`${title}${suffix}`);
    return this.page
      .locator('.part.activitybar li.action-item[role="tab"]')
      .filter({
        has: this.page.locator(
          `a.action-label[aria-label=${label}], a.action-label[aria-label^=${prefix(' - ')}], a.action-label[aria-label^=${prefix(' (')}]`,
        ),
      })
      .first();
  }

  /** The title of the view container shown in the side bar ('' when the side bar is hidden). */
  async sideBarTitle(): Promise<string> {
    const title = this.page.locator('.part.sidebar .composite.title .title-label h2');
    return (await title.isVisible()) ? ((await title.textContent()) ?? '').trim() : '';
  }

  /**
   * Opens the view container `title` the way a person does: clicks its activity bar icon unless
   * the side bar already shows it, and waits until it does. Clicking the icon of the container on
   * screen hides the side bar, and right after a reload VS Code may itself switch to the
   * container it restores; so this looks again after each click, and clicks again (at most every
   * few seconds) while the container is not on screen.
   */
  async openView(title: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    const item = this.activityBarItem(title);
    const shown = async () =>
      (await item.getAttribute('aria-selected')) === 'true' && (await this.sideBarTitle()).toLowerCase().startsWith(title.toLowerCase());
    let lastClick = 0;
    await this.poll(
      `the side bar to show the ${title} view (clicking its activity bar icon)`,
      timeout,
      async () => {
        if (await shown()) {
          return true;
        }
        if (Date.now() - lastClick > 5_000 && (await item.isVisible())) {
          this.trace(`click the ${title} icon in the activity bar`);
          lastClick = Date.now();
          await item.click({ timeout });
        }
        return undefined;
      },
      async () => `side bar: ${JSON.stringify(await this.sideBarTitle())}; activity bar: ${JSON.stringify(await this.activityBarLabels())}`,
    );
  }

  private async activityBarLabels(): Promise<string[]> {
    return (await this.page.locator('.part.activitybar li.action-item a.action-label').evaluateAll((links) =>
      links.map((link) => (link as unknown as PageNode).getAttribute('aria-label') ?? ''),
    )) as string[];
  }

  /** Drags the edge between the side bar and the editors until the side bar is `width` pixels wide. */
  async resizeSideBar(width: number, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    const sideBar = this.page.locator('.part.sidebar');
    const widthNow = async () => (await sideBar.boundingBox())?.width;
    await this.step(`drag the side bar's edge to make it ${width} px wide`, async () => {
      await sideBar.waitFor({ state: 'visible', timeout });
      const box = await sideBar.boundingBox();
      if (!box) {
        throw new Error('the side bar is not on screen');
      }
      const y = box.y + box.height / 2;
      await this.page.mouse.move(box.x + box.width, y);
      await this.page.mouse.down();
      await this.page.mouse.move(box.x + width, y, { steps: 5 });
      await this.page.mouse.up();
    });
    await this.poll(
      `the side bar to be ${width} px wide`,
      timeout,
      async () => {
        const now = await widthNow();
        return now !== undefined && Math.abs(now - width) <= 2 ? true : undefined;
      },
      async () => `side bar: ${JSON.stringify(await widthNow())} px wide`,
    );
  }

  /** The number (or text) on the activity bar icon of the view container `title`; '' when it shows no badge. */
  async activityBarBadge(title: string): Promise<string> {
    const badge = this.activityBarItem(title).locator('.badge');
    return (await badge.isVisible()) ? ((await badge.locator('.badge-content').textContent()) ?? '').trim() : '';
  }

  /** Waits until the activity bar icon of `title` shows the badge `text` ('' for no badge). */
  async waitForActivityBarBadge(title: string, text: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.poll(
      text ? `the badge "${text}" on the ${title} icon in the activity bar` : `no badge on the ${title} icon in the activity bar`,
      timeout,
      async () => ((await this.activityBarBadge(title)) === text ? true : undefined),
      async () => `badge: ${JSON.stringify(await this.activityBarBadge(title))}; activity bar: ${JSON.stringify(await this.activityBarLabels())}`,
    );
  }

  /** The rows of the trees in the side bar that are on screen. */
  private get sideBarTreeRows(): Locator {
    return this.page.locator('.part.sidebar .monaco-list-row[role="treeitem"]:visible');
  }

  /** The side bar's tree row whose label is `label`. */
  treeItem(label: string): Locator {
    return this.sideBarTreeRows.filter({ has: this.page.locator('.monaco-icon-label .label-name', { hasText: exactText(label) }) }).first();
  }

  /** The rows on screen in the side bar's trees, top to bottom: label, description, depth, expanded (folders only). */
  async treeItems(): Promise<TreeItemInfo[]> {
    const rows = (await this.sideBarTreeRows.evaluateAll((elements) =>
      elements.map((element) => {
        const row = element as unknown as PageNode;
        const text = (selector: string) => (row.querySelector(selector)?.textContent ?? '').trim();
        const expanded = row.getAttribute('aria-expanded');
        return {
          index: Number(row.getAttribute('data-index')),
          label: text('.monaco-icon-label .label-name'),
          description: text('.monaco-icon-label .label-description'),
          level: Number(row.getAttribute('aria-level')),
          ...(expanded === null ? {} : { expanded: expanded === 'true' }),
        };
      }),
    )) as (TreeItemInfo & { index: number })[];
    return rows.sort((a, b) => a.index - b.index).map(({ index: _index, ...item }) => item);
  }

  /**
   * Waits until the side bar shows a tree row labelled `label` (with a description that is, or
   * matches, or satisfies `description`, when given); returns what the row shows.
   */
  async waitForTreeItem(
    label: string,
    { description, timeout = UI_TIMEOUT_MS }: { description?: string | RegExp | ((description: string) => boolean); timeout?: number } = {},
  ): Promise<TreeItemInfo> {
    const matches = (text: string) =>
      description === undefined ||
      (typeof description === 'string' ? text === description : typeof description === 'function' ? description(text) : description.test(text));
    const described =
      description === undefined ? '' : ` described ${typeof description === 'string' ? JSON.stringify(description) : typeof description === 'function' ? 'as expected' : description}`;
    return this.poll(
      `the tree row "${label}"${described} in the side bar`,
      timeout,
      async () => (await this.treeItems()).find((item) => item.label === label && matches(item.description)),
      async () => `tree: ${JSON.stringify(await this.treeItems())}; side bar: ${JSON.stringify(await this.sideBarTitle())}`,
    );
  }

  /** Expands the side bar's tree row `label` (clicks its twistie unless it is expanded) and waits until it is. */
  async expandTreeItem(label: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    const item = await this.waitForTreeItem(label, { timeout });
    if (item.expanded === undefined) {
      throw new Error(`The tree row "${label}" cannot be expanded: it has no children`);
    }
    if (!item.expanded) {
      await this.step(`expand "${label}" in the side bar`, () => this.treeItem(label).locator('.monaco-tl-twistie').click({ timeout }));
    }
    await this.poll(
      `the tree row "${label}" to be expanded`,
      timeout,
      async () => ((await this.treeItems()).some((i) => i.label === label && i.expanded === true) ? true : undefined),
      async () => `tree: ${JSON.stringify(await this.treeItems())}`,
    );
  }

  /** Clicks the label of the side bar's tree row `label`, as a person clicks a file in a tree. */
  async clickTreeItem(label: string, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<void> {
    await this.step(
      `click "${label}" in the side bar`,
      () => this.treeItem(label).locator('.monaco-icon-label .label-name').click({ timeout }),
      async () => `tree: ${JSON.stringify(await this.treeItems())}`,
    );
  }

  /** The name on the active editor tab ('' when no editor is open). */
  async activeEditorTitle(): Promise<string> {
    const label = this.activeTab.locator('.label-name');
    return (await label.count()) > 0 ? ((await label.first().textContent()) ?? '').trim() : '';
  }

  /**
   * The lines the active text editor shows, top to bottom, joined with '\n' ('' when the active
   * editor is not a text editor). Only lines scrolled into view are rendered.
   */
  async activeEditorText(): Promise<string> {
    if ((await this.activeTextEditor.count()) === 0) {
      return '';
    }
    const lines = (await this.activeTextEditor.locator('.view-lines .view-line').evaluateAll((elements) =>
      elements.map((element) => {
        const line = element as unknown as PageNode;
        return { top: parseFloat(line.style.top) || 0, text: (line.textContent ?? '').replace(/\u00a0/g, ' ') };
      }),
    )) as { top: number; text: string }[];
    return lines
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text)
      .join('\n');
  }

  /** Waits until the active text editor shows `text` (exactly, or matching it); returns what it shows. */
  async waitForActiveEditorText(text: string | RegExp, { timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<string> {
    const matches = (shown: string) => (typeof text === 'string' ? shown === text : text.test(shown));
    return this.poll(
      `the active editor to show ${typeof text === 'string' ? JSON.stringify(text) : text}`,
      timeout,
      async () => {
        const shown = await this.activeEditorText();
        return matches(shown) ? shown : undefined;
      },
      async () => `active editor ${JSON.stringify(await this.activeEditorTitle())} shows ${JSON.stringify(await this.activeEditorText())}`,
    );
  }

  /**
   * The image VS Code's image preview (the custom editor `imagePreview.previewEditor` of the
   * built-in media-preview extension) shows in the active editor, once decoded: its size in
   * pixels. Undefined when the active editor is not an image preview, or its image is not shown.
   */
  async imagePreviewSize(): Promise<{ width: number; height: number } | undefined> {
    // The webview's iframe lives outside the editor, laid over it; the editor's placeholder names it.
    const placeholders = this.page.locator('.editor-group-container.active .editor-container .editor-instance [id^="webview-editor-element-"]');
    for (const webviewId of await placeholders.evaluateAll((elements) => elements.map((e) => (e as unknown as PageNode).getAttribute('aria-flowto')))) {
      const frame = this.page.locator(`iframe.webview[name=${JSON.stringify(webviewId ?? '')}]`);
      if (!webviewId || (await frame.count()) !== 1 || !(await frame.isVisible())) {
        continue; // not this group's editor on screen
      }
      if (!/[?&]extensionId=vscode\.media-preview(&|$)/.test((await frame.getAttribute('src')) ?? '')) {
        return undefined; // another kind of webview
      }
      return this.decodedImageSize(frame);
    }
    return undefined;
  }

  /** The natural size of the image in a webview (its content frame), once decoded. */
  private async decodedImageSize(webview: Locator): Promise<{ width: number; height: number } | undefined> {
    const image = webview.contentFrame().locator('#active-frame').contentFrame().locator('img');
    if ((await image.count()) === 0) {
      return undefined;
    }
    const size = (await image.first().evaluate((element) => {
      const img = element as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
      return img.complete && img.naturalWidth > 0 ? { width: img.naturalWidth, height: img.naturalHeight } : null;
    })) as { width: number; height: number } | null;
    return size ?? undefined;
  }

  /** True when the active editor is VS Code's image preview showing its image. */
  async isImagePreviewShown(): Promise<boolean> {
    return (await this.imagePreviewSize()) !== undefined;
  }

  /** Waits until the active editor is VS Code's image preview showing its image; returns the image's size. */
  async waitForImagePreview({ timeout = UI_TIMEOUT_MS }: { timeout?: number } = {}): Promise<{ width: number; height: number }> {
    let lastError = '';
    return this.poll(
      'the image preview to show the image in the active editor',
      timeout,
      // A webview's frames come and go while it loads: a look that fails is just a look too early.
      () =>
        this.imagePreviewSize().catch((error: unknown) => {
          lastError = error instanceof Error ? error.message.split('\n')[0] : String(error);
          return undefined;
        }),
      async () =>
        `active editor ${JSON.stringify(await this.activeEditorTitle())}; status bar: ${JSON.stringify(await this.statusBarTexts())}` +
        (lastError ? `; last look failed: ${lastError}` : ''),
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
