/**
 * A stand-in for the `vscode` module, for loading the extension (and its tree view) in plain
 * Node. It implements what activation and the Incoming Files view touch — events, URIs, tree
 * items, l10n, settings read as defaults — and records every other member reached through the
 * namespaces (`window`, `workspace`, …) in `fallbacks`, answering with inert no-op values.
 * Install it with `installVscodeStub()` before the code under test is required.
 */
import Module from 'node:module';
import * as path from 'node:path';

type Listener<T> = (e: T) => unknown;
interface DisposableLike {
  dispose(): unknown;
}

/** Members reached that the stub does not implement, e.g. `window.showQuickPick`. */
export const fallbacks = new Set<string>();
/** Commands registered through `commands.registerCommand`. */
export const registeredCommands: string[] = [];
/** Settings the stub answers with; everything else gets its default. */
export const settings = new Map<string, unknown>();

export class Disposable {
  static from(...items: DisposableLike[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  constructor(private readonly callOnDispose: () => unknown) {}
  dispose(): void {
    this.callOnDispose();
  }
}

export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>, thisArg?: unknown, disposables?: DisposableLike[]): Disposable => {
    const bound: Listener<T> = thisArg ? listener.bind(thisArg) : listener;
    this.listeners.add(bound);
    const d = new Disposable(() => this.listeners.delete(bound));
    disposables?.push(d);
    return d;
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      l(e);
    }
  }
  dispose(): void {
    this.listeners.clear();
  }
}

/** An event nobody fires. */
function noEvent(): Disposable {
  return new Disposable(() => undefined);
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', '', p.split(path.sep).join('/'), '', '');
  }
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
  static parse(value: string): Uri {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(value);
    if (!m) {
      throw new Error(`Invalid URI: ${value}`);
    }
    return new Uri(m[1], m[2] ?? '', decodeURIComponent(m[3] ?? ''), m[4] ?? '', m[5] ?? '');
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return base.with({ path: path.posix.join(base.path, ...segments) });
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.authority ?? this.authority, change.path ?? this.path, change.query ?? this.query, change.fragment ?? this.fragment);
  }
  toString(): string {
    const encodedPath = this.path
      .split('/')
      .map((s) => encodeURIComponent(s))
      .join('/');
    return `${this.scheme}:${this.authority || this.scheme === 'file' ? `//${this.authority}` : ''}${encodedPath}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment };
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  label?: string;
  resourceUri?: Uri;
  id?: string;
  iconPath?: unknown;
  description?: string;
  tooltip?: unknown;
  contextValue?: string;
  command?: unknown;
  constructor(
    labelOrUri: string | Uri,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {
    if (typeof labelOrUri === 'string') {
      this.label = labelOrUri;
    } else {
      this.resourceUri = labelOrUri;
    }
  }
}

export class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  static readonly Folder = new ThemeIcon('folder');
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class MarkdownString {
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  constructor(public value = '') {}
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
}

export class FileDecoration {
  constructor(
    readonly badge?: string,
    readonly tooltip?: string,
    readonly color?: ThemeColor,
  ) {}
}

export class DataTransferItem {
  constructor(readonly value: unknown) {}
  asString(): Promise<string> {
    return Promise.resolve(String(this.value));
  }
}

export class DataTransfer {
  private readonly items = new Map<string, DataTransferItem>();
  get(mime: string): DataTransferItem | undefined {
    return this.items.get(mime);
  }
  set(mime: string, item: DataTransferItem): void {
    this.items.set(mime, item);
  }
}

export class FileSystemError extends Error {
  static FileNotFound(what?: unknown): FileSystemError {
    return new FileSystemError(`FileNotFound: ${String(what)}`);
  }
  static FileExists(what?: unknown): FileSystemError {
    return new FileSystemError(`FileExists: ${String(what)}`);
  }
  static FileNotADirectory(what?: unknown): FileSystemError {
    return new FileSystemError(`FileNotADirectory: ${String(what)}`);
  }
  static FileIsADirectory(what?: unknown): FileSystemError {
    return new FileSystemError(`FileIsADirectory: ${String(what)}`);
  }
  static NoPermissions(what?: unknown): FileSystemError {
    return new FileSystemError(`NoPermissions: ${String(what)}`);
  }
  static Unavailable(what?: unknown): FileSystemError {
    return new FileSystemError(`Unavailable: ${String(what)}`);
  }
}

export class TabInputText {
  constructor(readonly uri: Uri) {}
}
export class TabInputTextDiff {
  constructor(
    readonly original: Uri,
    readonly modified: Uri,
  ) {}
}
export class TabInputCustom {
  constructor(
    readonly uri: Uri,
    readonly viewType: string,
  ) {}
}
export class TabInputNotebook {
  constructor(
    readonly uri: Uri,
    readonly notebookType: string,
  ) {}
}

export const FileType = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 } as const;
export const FilePermission = { Readonly: 1 } as const;
export const FileChangeType = { Changed: 1, Created: 2, Deleted: 3 } as const;
export const StatusBarAlignment = { Left: 1, Right: 2 } as const;
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 } as const;
export const ConfigurationTarget = { Global: 1, Workspace: 2, WorkspaceFolder: 3 } as const;
export const QuickPickItemKind = { Separator: -1, Default: 0 } as const;
export const EndOfLine = { LF: 1, CRLF: 2 } as const;
export const ExtensionMode = { Production: 1, Development: 2, Test: 3 } as const;
export const LogLevel = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 } as const;
export const QuickInputButtons = { Back: { iconPath: new ThemeIcon('arrow-left') } };

/** `l10n.t('{0} files', n)` / `l10n.t({ message, args })`: the English text with its arguments filled in. */
function translate(message: string | { message: string; args?: unknown[] | Record<string, unknown> }, ...rest: unknown[]): string {
  const text = typeof message === 'string' ? message : message.message;
  const args: unknown = typeof message === 'string' ? (rest.length === 1 && typeof rest[0] === 'object' && rest[0] !== null ? rest[0] : rest) : (message.args ?? []);
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = (args as Record<string, unknown>)[key];
    return value === undefined ? whole : String(value);
  });
}

/** A value for a member the stub does not implement: callable, constructible, disposable, never a thenable. */
function inert(name: string): unknown {
  const target = function () {
    return undefined;
  };
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === 'then') {
        return undefined;
      }
      if (prop === Symbol.toPrimitive) {
        return () => `[vscode stub ${name}]`;
      }
      if (prop === 'dispose') {
        return () => undefined;
      }
      return inert(`${name}.${String(prop)}`);
    },
    apply() {
      return inert(`${name}()`);
    },
    construct() {
      return inert(`new ${name}`) as object;
    },
  });
}

/** A namespace whose unknown members are recorded: `onDid…`/`onWill…` become events nobody fires. */
function namespace<T extends object>(name: string, members: T): T {
  return new Proxy(members, {
    get(target, prop, receiver) {
      if (typeof prop === 'symbol' || prop in target) {
        return Reflect.get(target, prop, receiver) as unknown;
      }
      fallbacks.add(`${name}.${prop}`);
      if (/^on(Did|Will)[A-Z]/.test(prop)) {
        return noEvent;
      }
      return inert(`${name}.${prop}`);
    },
  });
}

function outputChannel(name: string): unknown {
  const lines: string[] = [];
  const write = (line: string) => void lines.push(line);
  return namespace(`OutputChannel(${name})`, {
    name,
    logLevel: LogLevel.Info,
    onDidChangeLogLevel: noEvent,
    trace: write,
    debug: write,
    info: write,
    warn: write,
    error: write,
    append: write,
    appendLine: write,
    replace: write,
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
  });
}

function statusBarItem(id?: string): unknown {
  return namespace('StatusBarItem', {
    id,
    text: '',
    tooltip: undefined as unknown,
    command: undefined as unknown,
    name: undefined as unknown,
    backgroundColor: undefined as unknown,
    accessibilityInformation: undefined as unknown,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
  });
}

function treeView(): unknown {
  return namespace('TreeView', {
    visible: false,
    badge: undefined as unknown,
    message: undefined as unknown,
    title: undefined as unknown,
    description: undefined as unknown,
    selection: [] as unknown[],
    onDidChangeVisibility: noEvent,
    onDidChangeSelection: noEvent,
    onDidExpandElement: noEvent,
    onDidCollapseElement: noEvent,
    reveal: () => Promise.resolve(),
    dispose: () => undefined,
  });
}

const disposable = () => new Disposable(() => undefined);
const nothing = () => Promise.resolve(undefined);

export const window = namespace('window', {
  activeTextEditor: undefined,
  visibleTextEditors: [],
  tabGroups: namespace('window.tabGroups', { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent }),
  createOutputChannel: (name: string) => outputChannel(name),
  createStatusBarItem: (id?: string) => statusBarItem(typeof id === 'string' ? id : undefined),
  createTreeView: () => treeView(),
  registerTreeDataProvider: disposable,
  registerFileDecorationProvider: disposable,
  registerUriHandler: disposable,
  showInformationMessage: nothing,
  showWarningMessage: nothing,
  showErrorMessage: nothing,
  showQuickPick: nothing,
  showInputBox: nothing,
  showOpenDialog: nothing,
  showSaveDialog: nothing,
  withProgress: <R>(_options: unknown, task: (progress: unknown, token: unknown) => Promise<R>) =>
    task({ report: () => undefined }, { isCancellationRequested: false, onCancellationRequested: noEvent }),
  onDidChangeActiveTextEditor: noEvent,
  onDidChangeWindowState: noEvent,
  state: { focused: true, active: true },
});

export const workspace = namespace('workspace', {
  workspaceFolders: undefined,
  textDocuments: [],
  getConfiguration: (section?: string) =>
    namespace('WorkspaceConfiguration', {
      get: <V>(key: string, defaultValue?: V) => {
        const full = section ? `${section}.${key}` : key;
        return (settings.has(full) ? settings.get(full) : defaultValue) as V;
      },
      has: (key: string) => settings.has(section ? `${section}.${key}` : key),
      inspect: () => undefined,
      update: (key: string, value: unknown) => {
        settings.set(section ? `${section}.${key}` : key, value);
        return Promise.resolve();
      },
    }),
  onDidChangeConfiguration: noEvent,
  onDidCloseTextDocument: noEvent,
  onDidOpenTextDocument: noEvent,
  registerFileSystemProvider: disposable,
  registerTextDocumentContentProvider: disposable,
  asRelativePath: (p: string | Uri) => (typeof p === 'string' ? p : p.path),
  fs: namespace('workspace.fs', {}),
});

export const commands = namespace('commands', {
  registerCommand: (id: string) => {
    registeredCommands.push(id);
    return disposable();
  },
  registerTextEditorCommand: (id: string) => {
    registeredCommands.push(id);
    return disposable();
  },
  executeCommand: nothing,
});

export const env = namespace('env', {
  language: 'en',
  appName: 'Visual Studio Code',
  uiKind: 1,
  machineId: 'bench',
  sessionId: 'bench',
  clipboard: namespace('env.clipboard', { readText: () => Promise.resolve(''), writeText: () => Promise.resolve() }),
  openExternal: () => Promise.resolve(true),
});

export const extensions = namespace('extensions', {
  getExtension: () => undefined,
  all: [],
  onDidChange: noEvent,
});

export const l10n = namespace('l10n', { t: translate, bundle: undefined, uri: undefined });

export const version = '1.100.0';

/** Make `require('vscode')` load this module. */
export function installVscodeStub(): void {
  const mod = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === 'vscode' ? __filename : original.call(this, request, ...rest);
  };
}

/** An in-memory Memento (globalState / workspaceState). */
export class MemoryMemento {
  private readonly values = new Map<string, unknown>();
  constructor(initial: Record<string, unknown> = {}) {
    for (const [k, v] of Object.entries(initial)) {
      this.values.set(k, v);
    }
  }
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<V>(key: string, defaultValue?: V): V | undefined {
    return this.values.has(key) ? (this.values.get(key) as V) : defaultValue;
  }
  update(key: string, value: unknown): Promise<void> {
    if (value === undefined) {
      this.values.delete(key);
    } else {
      this.values.set(key, value);
    }
    return Promise.resolve();
  }
  setKeysForSync(): void {}
}

/** An in-memory SecretStorage. */
export class MemorySecrets {
  private readonly values = new Map<string, string>();
  private readonly changes = new EventEmitter<{ key: string }>();
  readonly onDidChange = this.changes.event;
  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) {
      this.values.set(k, v);
    }
  }
  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(key));
  }
  store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.changes.fire({ key });
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.values.delete(key);
    this.changes.fire({ key });
    return Promise.resolve();
  }
  keys(): Promise<string[]> {
    return Promise.resolve([...this.values.keys()]);
  }
}

/** The ExtensionContext activate() receives. */
export function extensionContext(options: { root: string; storage: string; globalState?: Record<string, unknown>; secrets?: Record<string, string> }): unknown {
  return namespace('ExtensionContext', {
    subscriptions: [] as DisposableLike[],
    extensionUri: Uri.file(options.root),
    extensionPath: options.root,
    globalStorageUri: Uri.file(path.join(options.storage, 'global')),
    globalStoragePath: path.join(options.storage, 'global'),
    storageUri: Uri.file(path.join(options.storage, 'workspace')),
    logUri: Uri.file(path.join(options.storage, 'log')),
    extensionMode: ExtensionMode.Production,
    globalState: new MemoryMemento(options.globalState),
    workspaceState: new MemoryMemento(),
    secrets: new MemorySecrets(options.secrets),
    environmentVariableCollection: inert('environmentVariableCollection'),
    asAbsolutePath: (p: string) => path.join(options.root, p),
  });
}

