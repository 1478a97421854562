/**
 * Incoming chat files: the model, the download cache, the `trueconf-file` file system, the
 * "Incoming Files" view, notifications, and the commands on files (open, Save As…, copy name,
 * remove, clear, refresh, mark all read).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sanitiseFileName } from '../common/fileNames';
import { incomingFileKey } from '../common/incomingOrder';
import { Logger } from '../common/logger';
import { formatRelativeTime } from '../common/relativeTime';
import { Commands, Settings, Views } from '../constants';
import { Fixes, offerFixes } from '../services/errors';
import { FileCache, IncomingFileDownloads, LargeDownloadPrompt } from '../services/fileCache';
import { describeChat, IncomingFilesConnection, IncomingFilesService, shortUserId } from '../services/incomingFiles';
import { isTrueConfError } from '../trueconf/errors';
import { formatBytes } from '../trueconf/limits';
import { FileReadyState, IncomingFile } from '../trueconf/types';
import { ChatFileSystemProvider, incomingFileUri, parseIncomingFileUri } from '../views/chatFileSystem';
import { ChatFileSender, ChatNode, FileNode, IncomingFilesTreeProvider, IncomingFilesView, IncomingNode } from '../views/incomingFilesTree';
import { showInformationMessage, showWarningMessage } from '../services/messages';

export interface IncomingFilesDeps {
  readonly connection: IncomingFilesConnection;
  readonly logger: Logger;
  /** Sends explorer files dropped on a chat; without it the view accepts no drops. */
  readonly send?: ChatFileSender;
}

/** What the extension's exports offer about incoming files (the integration tests use it). */
export interface IncomingFilesApi {
  /** Every listed file, newest first. */
  files(): IncomingFile[];
  /** Files not opened yet (the view's badge). */
  readonly unreadCount: number;
  /** Where downloaded copies are kept: `<globalStorage>/files/<fileId>/<sanitised name>`. */
  readonly cacheDir: string;
  /** Replace the "Download 250 MB?" question (automated tests cannot click a modal dialog); dispose to restore it. */
  overrideLargeDownloadPrompt(prompt: LargeDownloadPrompt): vscode.Disposable;
  /** The view's tree, read-only: what VS Code itself calls, so tests can drive drag and drop without a mouse. */
  readonly tree: IncomingFilesTreeApi;
}

/** The Incoming Files tree as VS Code sees it (for the integration tests). */
export interface IncomingFilesTreeApi {
  /** The controller VS Code calls when something is dragged out of the view or dropped on it. */
  readonly dragAndDrop: vscode.TreeDragAndDropController<IncomingNode>;
  /** The node of a chat as the view lists it (the tree's own getChildren()); undefined when not listed. */
  chatNode(chatId: string): IncomingNode | undefined;
  /** The node of a file as the view lists it under its chat; undefined when not listed. */
  fileNode(fileId: string): IncomingNode | undefined;
}

type NewFilesSetting = 'always' | 'whenHidden' | 'never';
/** New files arriving within this window are announced together. */
const NOTIFY_BATCH_MS = 750;
/** The palette's file picker shows this many of the newest files. */
const MAX_PICKED = 500;

export function registerIncomingFiles(context: vscode.ExtensionContext, deps: IncomingFilesDeps): IncomingFilesApi {
  const { logger } = deps;
  const model = new IncomingFilesService(context.globalState, deps.connection, logger);
  const cache = new FileCache(path.join(context.globalStorageUri.fsPath, 'files'), logger);
  const downloads = new IncomingFileDownloads(cache, model);
  // Registered synchronously during activation, before editors restored from the last session ask for their files.
  const fileSystem = new ChatFileSystemProvider(model, downloads, logger);
  const provider = new IncomingFilesTreeProvider(model, downloads, deps.send, logger);
  const view = new IncomingFilesView(provider, model);
  const notifier = new NewFileNotifier(model, view);
  const commands = new IncomingCommands(model, downloads, view);

  context.subscriptions.push(
    model,
    fileSystem,
    fileSystem.register(),
    provider,
    view,
    notifier,
    model.onDidRemove((files) => void cache.remove(files.map((file) => file.fileId))),
    vscode.commands.registerCommand(Commands.openIncomingFile, (arg?: unknown) => commands.open(arg)),
    vscode.commands.registerCommand(Commands.saveIncomingFileAs, (arg?: unknown, target?: unknown) => commands.saveAs(arg, target)),
    vscode.commands.registerCommand(Commands.copyIncomingFileName, (arg?: unknown, selected?: unknown) => commands.copyNames(arg, selected)),
    vscode.commands.registerCommand(Commands.removeIncomingFile, (arg?: unknown, selected?: unknown) => commands.remove(arg, selected)),
    vscode.commands.registerCommand(Commands.clearIncomingFiles, (args?: unknown) => commands.clear(cache, args)),
    vscode.commands.registerCommand(Commands.refreshIncomingFiles, () => commands.refresh()),
    vscode.commands.registerCommand(Commands.markIncomingFilesRead, () => model.markAllRead()),
  );

  return {
    files: () => model.allFiles(),
    get unreadCount() {
      return model.unreadCount;
    },
    cacheDir: cache.root,
    overrideLargeDownloadPrompt: (prompt) => downloads.overridePrompt(prompt),
    tree: treeApi(provider, model),
  };
}

function treeApi(provider: IncomingFilesTreeProvider, model: IncomingFilesService): IncomingFilesTreeApi {
  const chatNode = (chatId: string) => provider.getChildren().find((node) => node.kind === 'chat' && node.chatId === chatId);
  return {
    dragAndDrop: provider,
    chatNode,
    fileNode: (fileId) => {
      const file = model.getByFileId(fileId);
      const chat = file && chatNode(file.chatId);
      return chat && provider.getChildren(chat).find((node) => node.kind === 'file' && node.key === incomingFileKey(file));
    },
  };
}

class IncomingCommands {
  constructor(
    private readonly model: IncomingFilesService,
    private readonly downloads: IncomingFileDownloads,
    private readonly view: IncomingFilesView,
  ) {}

  /** Open a file (tree item, URI, or picked from a list) in the editor VS Code chooses for its name. */
  async open(arg: unknown): Promise<void> {
    const file = this.fileFrom(arg) ?? (await this.pick(vscode.l10n.t('Open an incoming file')));
    if (!file) {
      return;
    }
    // The server no longer has it: say so, rather than open an editor that can only fail (unless a copy was downloaded earlier).
    if (file.readyState === FileReadyState.NotAvailable && !(await this.downloads.cached(file))) {
      this.model.markRead([incomingFileKey(file)]);
      void showWarningMessage(vscode.l10n.t('"{0}" is no longer available on the server.', sanitiseFileName(file.name)));
      return;
    }
    if (!(await this.downloads.confirm(file))) {
      return;
    }
    await vscode.commands.executeCommand('vscode.open', incomingFileUri(file));
    this.model.markRead([incomingFileKey(file)]);
  }

  /**
   * Copy a file to a place the user picks (the first workspace folder by default). A URI as the
   * second argument saves there without asking: for scripts and tests.
   */
  async saveAs(arg: unknown, target: unknown): Promise<void> {
    const file = this.fileFrom(arg) ?? this.fileFrom(vscode.window.activeTextEditor?.document.uri) ?? (await this.pick(vscode.l10n.t('Save an incoming file as')));
    if (!file) {
      return;
    }
    const name = sanitiseFileName(file.name);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const destination =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.joinPath(folder, name),
            saveLabel: vscode.l10n.t('Save'),
            title: vscode.l10n.t('Save "{0}" As', name),
          });
    if (!destination) {
      return;
    }
    let local: string;
    try {
      local = await this.downloads.ensureLocal(file);
    } catch (err) {
      reportError(vscode.l10n.t('Could not download "{0}".', name), err);
      return;
    }
    await vscode.workspace.fs.copy(vscode.Uri.file(local), destination, { overwrite: true });
    this.model.markRead([incomingFileKey(file)]);
    if (!(target instanceof vscode.Uri)) {
      void offerFixes('info', vscode.l10n.t('Saved "{0}".', path.basename(destination.path)), [
        { title: vscode.l10n.t('Open'), command: 'vscode.open', arguments: [destination] },
      ]);
    }
  }

  async copyNames(arg: unknown, selected: unknown): Promise<void> {
    const files = this.filesFrom(arg, selected);
    if (files.length > 0) {
      await vscode.env.clipboard.writeText(files.map((file) => sanitiseFileName(file.name)).join('\n'));
    }
  }

  remove(arg: unknown, selected: unknown): void {
    this.model.remove(this.filesFrom(arg, selected).map(incomingFileKey));
  }

  /** Asks first (modally), unless run through executeCommand with `{ skipConfirmation: true }`: for scripts and tests. */
  async clear(cache: FileCache, args: unknown): Promise<void> {
    const scripted = typeof args === 'object' && args !== null && (args as { skipConfirmation?: unknown }).skipConfirmation === true;
    const clear = vscode.l10n.t('Clear');
    const answer = scripted
      ? clear
      : await showWarningMessage(
          vscode.l10n.t('Clear the list of incoming files?'),
          { modal: true, detail: vscode.l10n.t('The files stay in the chats; downloaded copies are deleted. Only files sent from now on will be listed.') },
          clear,
        );
    if (answer === clear) {
      this.model.clear();
      await cache.clear();
    }
  }

  async refresh(): Promise<void> {
    try {
      await vscode.window.withProgress({ location: { viewId: Views.incomingFiles } }, () => this.model.refresh());
    } catch (err) {
      reportError(vscode.l10n.t('Could not refresh the incoming files.'), err);
    }
  }

  /** The file an argument names: a tree node, a `trueconf-file` URI, or a fileId. */
  private fileFrom(arg: unknown): IncomingFile | undefined {
    if (arg instanceof FileNode) {
      return this.model.get(arg.key);
    }
    if (arg instanceof vscode.Uri) {
      const fileId = parseIncomingFileUri(arg)?.fileId;
      return fileId === undefined ? undefined : this.model.getByFileId(fileId);
    }
    if (typeof arg === 'string') {
      return this.model.get(arg) ?? this.model.getByFileId(arg);
    }
    return undefined;
  }

  /** A context-menu command gets the clicked node and the whole selection; act on the selection when it includes the click. */
  private filesFrom(arg: unknown, selected: unknown): IncomingFile[] {
    const nodes: unknown[] = Array.isArray(selected) && selected.includes(arg) ? selected : [arg ?? this.view.treeView.selection[0]];
    return nodes.flatMap((node) => {
      if (node instanceof FileNode || node instanceof vscode.Uri || typeof node === 'string') {
        const file = this.fileFrom(node);
        return file ? [file] : [];
      }
      // A chat node stands for all of its files.
      return node instanceof ChatNode ? [...this.model.filesOf(node.chatId)] : [];
    });
  }

  private async pick(title: string): Promise<IncomingFile | undefined> {
    const files = this.model.isVisible ? this.model.allFiles().slice(0, MAX_PICKED) : [];
    if (files.length === 0) {
      void showInformationMessage(vscode.l10n.t('No incoming files yet.'));
      return undefined;
    }
    const now = Date.now();
    const picked = await vscode.window.showQuickPick(
      files.map((file) => ({
        label: sanitiseFileName(file.name),
        description: `${this.model.senderName(file.authorId) ?? shortUserId(file.authorId)} · ${describeChat(this.model.chatLabel(file.chatId))}`,
        detail: `${formatBytes(file.size)} · ${formatRelativeTime(file.timestamp, now, vscode.env.language)}`,
        resourceUri: incomingFileUri(file),
        iconPath: vscode.ThemeIcon.File,
        file,
      })),
      { title, matchOnDescription: true, placeHolder: vscode.l10n.t('Type a file name, a sender or a chat') },
    );
    return picked?.file;
  }
}

/**
 * A notification for new files (`trueconf.notifications.newFiles`: always, only when the view is
 * hidden, or never), with a button to open the file or show the files in the view.
 */
class NewFileNotifier implements vscode.Disposable {
  private batch: IncomingFile[] = [];
  /** Some of the batch came from history: sent while VS Code was closed or offline. */
  private whileAway = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly model: IncomingFilesService,
    private readonly view: IncomingFilesView,
  ) {
    this.subscription = model.onDidArrive(({ files, whileAway }) => {
      this.batch.push(...files);
      this.whileAway ||= whileAway;
      this.timer ??= setTimeout(() => this.flush(), NOTIFY_BATCH_MS);
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
  }

  private flush(): void {
    this.timer = undefined;
    const files = this.batch.filter((file) => this.model.isUnread(incomingFileKey(file)));
    const whileAway = this.whileAway;
    this.batch = [];
    this.whileAway = false;
    const setting = vscode.workspace.getConfiguration(Settings.section).get<NewFilesSetting>(Settings.notificationsNewFiles, 'whenHidden');
    if (files.length === 0 || setting === 'never' || (setting === 'whenHidden' && this.view.visible)) {
      return;
    }
    const show = { title: vscode.l10n.t('Show'), command: `${Views.incomingFiles}.focus` };
    if (files.length > 1) {
      const message = whileAway
        ? vscode.l10n.t('{0} files arrived in TrueConf chats while you were away.', files.length)
        : vscode.l10n.t('{0} new files in TrueConf chats.', files.length);
      void offerFixes('info', message, [show]);
      return;
    }
    const [file] = files;
    const sender = this.model.senderName(file.authorId) ?? shortUserId(file.authorId);
    const chat = describeChat(this.model.chatLabel(file.chatId));
    const message = vscode.l10n.t('{0} sent "{1}" ({2}) in {3}.', sender, sanitiseFileName(file.name), formatBytes(file.size), chat);
    void this.offer(message, file);
  }

  private async offer(message: string, file: IncomingFile): Promise<void> {
    const open = vscode.l10n.t('Open');
    const show = vscode.l10n.t('Show in List');
    const picked = await showInformationMessage(message, open, show);
    if (picked === open) {
      await vscode.commands.executeCommand(Commands.openIncomingFile, incomingFileUri(file));
    } else if (picked === show) {
      await vscode.commands.executeCommand(`${Views.incomingFiles}.focus`);
      await this.view.reveal(incomingFileKey(file));
    }
  }
}

/** Tell the user what failed; a sign-in problem gets a Sign In button. Cancellations stay quiet. */
function reportError(what: string, err: unknown): void {
  if (isTrueConfError(err, 'cancelled')) {
    return;
  }
  const detail = err instanceof Error ? err.message : String(err);
  const fixes = isTrueConfError(err, 'closed') ? [Fixes.signIn()] : [Fixes.showLog()];
  void offerFixes('error', `${what} ${detail}`, fixes);
}
