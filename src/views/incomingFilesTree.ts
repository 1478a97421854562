/**
 * The "Incoming Files" view: chats that have files (the chat with the newest file first), and
 * under each its files, newest first. Items carry `trueconf-file` URIs, so they get the icon
 * theme's file icons, open through the read-only file system provider, and can be dragged into
 * the explorer. Explorer files dropped on a chat are sent to that chat.
 *
 * The provider only renders what IncomingFilesService holds. Updates are incremental: a file
 * whose state or progress changed redraws just its item, a chat whose files came or went redraws
 * that chat, and only a change in the set or order of chats redraws everything. Keeping redraws
 * small also keeps clicks reliable: VS Code forgets the command of an item it redraws, so a
 * click that lands during a redraw of its item is lost.
 */
import * as vscode from 'vscode';
import { incomingFileKey } from '../common/incomingOrder';
import { Disposable } from '../common/lifecycle';
import { Logger } from '../common/logger';
import { formatExactTime, formatRelativeTime, relativeTimeParts } from '../common/relativeTime';
import { sanitiseFileName } from '../common/fileNames';
import { Commands, ContextKeys, INCOMING_FILE_SCHEME, Views } from '../constants';
import type { IncomingFileDownloads } from '../services/fileCache';
import { describeChat, IncomingFilesChange, IncomingFilesService, shortUserId } from '../services/incomingFiles';
import { formatBytes } from '../trueconf/limits';
import { ChatType, FileReadyState, IncomingFile } from '../trueconf/types';
import { incomingFileUri } from './chatFileSystem';

export class ChatNode {
  readonly kind = 'chat';
  constructor(readonly chatId: string) {}
}

export class FileNode {
  readonly kind = 'file';
  constructor(
    readonly key: string,
    readonly chatId: string,
  ) {}
}

export type IncomingNode = ChatNode | FileNode;

/** Sends explorer files into a chat (the send feature's SendService). */
export interface ChatFileSender {
  sendUris(uris: vscode.Uri[], target: { chatId: string; title: string; chatType?: number }): Promise<void>;
}

/** `contextValue`s, matched by the menus in package.json. */
const ItemContext = {
  chat: 'incomingChat',
  ready: 'incomingFile.ready',
  uploading: 'incomingFile.uploading',
  unavailable: 'incomingFile.unavailable',
} as const;

const URI_LIST = 'text/uri-list';
/** What VS Code puts in a drag that starts in this view (`application/vnd.code.tree.<view id, lower case>`). */
const OWN_TREE_MIME = `application/vnd.code.tree.${Views.incomingFiles.toLowerCase()}`;
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * A file's tree item as last built, and what it was built from. Still current while the model
 * holds the same file object (entries are replaced, never changed in place) with the same upload
 * progress and the relative time reads the same; sender names are dropped by the change that
 * resolves them.
 */
interface FileItemEntry {
  readonly node: FileNode;
  readonly file: IncomingFile;
  readonly progress: number | undefined;
  /** The relative time's value and unit (ready files only). */
  readonly timeValue: number | undefined;
  readonly timeUnit: string | undefined;
  readonly item: vscode.TreeItem;
}

export class IncomingFilesTreeProvider
  extends Disposable
  implements vscode.TreeDataProvider<IncomingNode>, vscode.TreeDragAndDropController<IncomingNode>
{
  readonly dragMimeTypes = [URI_LIST];
  readonly dropMimeTypes = [URI_LIST];

  private readonly chatNodes = new Map<string, ChatNode>();
  /** File nodes per chat, so VS Code gets the same objects back and refreshes stay per chat. */
  private readonly fileNodes = new Map<string, Map<string, FileNode>>();
  /**
   * Built items and children, so the redraws VS Code asks for (all expanded chats after a change
   * in the order of chats) cost lookups, not rebuilds. Entries go when a model change names their
   * chat or file (all of them for a change of everything).
   */
  private readonly chatItems = new Map<string, { node: ChatNode; item: vscode.TreeItem }>();
  private readonly fileItems = new Map<string, FileItemEntry>();
  private readonly children = new Map<string, FileNode[]>();
  private readonly changeEmitter = this._register(new vscode.EventEmitter<IncomingNode | IncomingNode[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(
    private readonly model: IncomingFilesService,
    private readonly downloads: IncomingFileDownloads,
    private readonly sender: ChatFileSender | undefined,
    private readonly logger: Logger,
  ) {
    super();
    this._register(model.onDidChange((change) => this.onModelChange(change)));
  }

  getChildren(element?: IncomingNode): IncomingNode[] {
    if (!element) {
      // Signed out: no items, so the welcome content with its Sign In button shows.
      const chats = this.model.isVisible ? this.model.chats() : [];
      const live = new Set(chats);
      for (const chatId of [...this.chatNodes.keys()]) {
        if (!live.has(chatId)) {
          this.chatNodes.delete(chatId);
          this.forgetChatFiles(chatId);
          this.fileNodes.delete(chatId);
          this.chatItems.delete(chatId);
          this.children.delete(chatId);
        }
      }
      return chats.map((chatId) => this.chatNode(chatId));
    }
    if (element.kind === 'file') {
      return [];
    }
    const cached = this.children.get(element.chatId);
    if (cached && cached.length === this.model.filesOf(element.chatId).length) {
      return cached.slice();
    }
    const previous = this.fileNodes.get(element.chatId);
    const next = new Map<string, FileNode>();
    const nodes = this.model.filesOf(element.chatId).map((file) => {
      const key = incomingFileKey(file);
      const node = previous?.get(key) ?? new FileNode(key, element.chatId);
      next.set(key, node);
      return node;
    });
    this.fileNodes.set(element.chatId, next);
    if (previous) {
      for (const key of previous.keys()) {
        if (!next.has(key)) {
          this.fileItems.delete(key);
        }
      }
    }
    this.children.set(element.chatId, nodes);
    return nodes.slice();
  }

  getParent(element: IncomingNode): IncomingNode | undefined {
    return element.kind === 'file' ? this.chatNode(element.chatId) : undefined;
  }

  getTreeItem(element: IncomingNode): vscode.TreeItem {
    return element.kind === 'chat' ? this.chatItem(element) : this.fileItem(element);
  }

  /** Tooltips are built when hovered, not for every item rendered. */
  resolveTreeItem(item: vscode.TreeItem, element: IncomingNode): vscode.TreeItem {
    if (element.kind === 'file') {
      const file = this.model.get(element.key);
      if (file) {
        item.tooltip = this.fileTooltip(file);
      }
    }
    return item;
  }

  /** The node of a file, for reveal(); undefined when it is not in the list. */
  nodeFor(key: string): FileNode | undefined {
    const file = this.model.get(key);
    if (!file) {
      return undefined;
    }
    let nodes = this.fileNodes.get(file.chatId);
    if (!nodes) {
      nodes = new Map();
      this.fileNodes.set(file.chatId, nodes);
    }
    let node = nodes.get(key);
    if (!node) {
      node = new FileNode(key, file.chatId);
      nodes.set(key, node);
    }
    return node;
  }

  /** Redraw the files from the last day shown so far, whose relative times ("5 minutes ago") move on. */
  refreshRecentTimes(now = Date.now()): void {
    const recent: FileNode[] = [];
    for (const chatId of this.model.chats()) {
      const nodes = this.fileNodes.get(chatId);
      if (!nodes) {
        continue;
      }
      for (const file of this.model.filesOf(chatId)) {
        if (now - file.timestamp >= DAY) {
          break;
        }
        const node = nodes.get(incomingFileKey(file));
        if (node) {
          recent.push(node);
        }
      }
    }
    if (recent.length > 0) {
      this.changeEmitter.fire(recent);
    }
  }

  // ---- drag and drop --------------------------------------------------------------------------

  /**
   * Files dragged out of the view: their cached copies when downloaded (a plain file copy),
   * else their `trueconf-file` URIs, which VS Code copies through the file system provider.
   */
  async handleDrag(source: readonly IncomingNode[], dataTransfer: vscode.DataTransfer): Promise<void> {
    const files = source.flatMap((node) => {
      const file = node.kind === 'file' ? this.model.get(node.key) : undefined;
      return file ? [file] : [];
    });
    if (files.length === 0) {
      return;
    }
    const uris = await Promise.all(
      files.map(async (file) => {
        const cached = await this.downloads.cached(file).catch(() => undefined);
        return cached ? vscode.Uri.file(cached) : incomingFileUri(file);
      }),
    );
    dataTransfer.set(URI_LIST, new vscode.DataTransferItem(uris.map((uri) => uri.toString()).join('\r\n')));
  }

  /** Explorer files dropped on a chat (or on one of its files) are sent to that chat. */
  async handleDrop(target: IncomingNode | undefined, dataTransfer: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    if (!target || !this.sender || dataTransfer.get(OWN_TREE_MIME)) {
      return;
    }
    const text = await dataTransfer.get(URI_LIST)?.asString();
    if (!text || token.isCancellationRequested) {
      return;
    }
    const uris = parseUriList(text).filter((uri) => uri.scheme !== INCOMING_FILE_SCHEME);
    if (uris.length === 0) {
      return;
    }
    const label = this.model.chatLabel(target.chatId);
    try {
      await this.sender.sendUris(uris, { chatId: target.chatId, title: describeChat(label), chatType: label.chatType });
    } catch (err) {
      this.logger.warn(`Sending ${uris.length} dropped file(s) to chat ${target.chatId} failed:`, err);
    }
  }

  // ---- items ----------------------------------------------------------------------------------

  private chatNode(chatId: string): ChatNode {
    let node = this.chatNodes.get(chatId);
    if (!node) {
      node = new ChatNode(chatId);
      this.chatNodes.set(chatId, node);
    }
    return node;
  }

  private chatItem(node: ChatNode): vscode.TreeItem {
    const cached = this.chatItems.get(node.chatId);
    if (cached?.node === node) {
      return cached.item;
    }
    const item = this.buildChatItem(node);
    this.chatItems.set(node.chatId, { node, item });
    return item;
  }

  private buildChatItem(node: ChatNode): vscode.TreeItem {
    const label = this.model.chatLabel(node.chatId);
    const count = this.model.filesOf(node.chatId).length;
    // Starts open when it has files not opened yet; VS Code remembers what the user does after that.
    const state = this.model.unreadIn(node.chatId) > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(describeChat(label), state);
    item.id = `chat:${node.chatId}`;
    item.iconPath = new vscode.ThemeIcon(chatIcon(label.chatType));
    item.description = count === 1 ? vscode.l10n.t('1 file') : vscode.l10n.t('{0} files', count);
    item.tooltip = `${describeChat(label)} — ${item.description}`;
    item.contextValue = ItemContext.chat;
    return item;
  }

  private fileItem(node: FileNode): vscode.TreeItem {
    const file = this.model.get(node.key);
    if (!file) {
      // Removed since the tree asked for it; the next refresh drops it.
      this.fileItems.delete(node.key);
      return new vscode.TreeItem('', vscode.TreeItemCollapsibleState.None);
    }
    const progress = this.model.uploadProgress(node.key);
    const timed = showsTime(file, progress);
    const now = timed ? Date.now() : 0;
    const [timeValue, timeUnit] = timed ? relativeTimeParts(file.timestamp, now) : [undefined, undefined];
    const cached = this.fileItems.get(node.key);
    if (
      cached &&
      cached.node === node &&
      cached.file === file &&
      cached.progress === progress &&
      cached.timeValue === timeValue &&
      cached.timeUnit === timeUnit
    ) {
      // resolveTreeItem() puts the tooltip on the item it is given: built anew when hovered, as on a new item.
      if (cached.item.tooltip !== undefined) {
        cached.item.tooltip = undefined;
      }
      return cached.item;
    }
    // The same file object: its sanitised name and URI still hold.
    const reuse = cached?.file === file ? cached.item : undefined;
    const item = new vscode.TreeItem(reuse ? (reuse.label as string) : sanitiseFileName(file.name), vscode.TreeItemCollapsibleState.None);
    item.id = `file:${node.key}`;
    item.resourceUri = reuse?.resourceUri ?? incomingFileUri(file);
    item.iconPath = vscode.ThemeIcon.File;
    item.description = this.fileDescription(file, progress, now);
    item.contextValue = fileContext(file);
    item.command = { command: Commands.openIncomingFile, title: vscode.l10n.t('Open'), arguments: [node] };
    this.fileItems.set(node.key, { node, file, progress, timeValue, timeUnit, item });
    return item;
  }

  private fileDescription(file: IncomingFile, progress: number | undefined, now: number): string {
    const sender = this.senderLabel(file);
    if (file.readyState === FileReadyState.NotAvailable) {
      return `${sender} · ${vscode.l10n.t('no longer available')}`;
    }
    if (file.readyState === FileReadyState.Uploading || progress !== undefined) {
      return `${sender} · ${vscode.l10n.t('uploading {0}%', Math.floor((progress ?? 0) * 100))}`;
    }
    return `${sender} · ${formatBytes(file.size)} · ${formatRelativeTime(file.timestamp, now, vscode.env.language)}`;
  }

  private fileTooltip(file: IncomingFile): vscode.MarkdownString {
    const chat = describeChat(this.model.chatLabel(file.chatId));
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${escapeMarkdown(sanitiseFileName(file.name))}**\n\n`);
    md.appendMarkdown(vscode.l10n.t('From {0} in {1}', `**${escapeMarkdown(this.senderLabel(file))}**`, `**${escapeMarkdown(chat)}**`) + '  \n');
    md.appendMarkdown(escapeMarkdown(formatExactTime(file.timestamp, vscode.env.language)) + '  \n');
    md.appendMarkdown(escapeMarkdown(`${formatBytes(file.size)} · ${file.mimeType}`) + '  \n');
    md.appendMarkdown(escapeMarkdown(this.stateText(file)));
    return md;
  }

  private stateText(file: IncomingFile): string {
    const unread = this.model.isUnread(incomingFileKey(file)) ? ` · ${vscode.l10n.t('not opened yet')}` : '';
    switch (file.readyState) {
      case FileReadyState.NotAvailable:
        return vscode.l10n.t('No longer available on the server') + unread;
      case FileReadyState.Uploading: {
        const progress = this.model.uploadProgress(incomingFileKey(file));
        return vscode.l10n.t('The sender is still uploading it ({0}%)', Math.floor((progress ?? 0) * 100)) + unread;
      }
      default:
        return vscode.l10n.t('Ready to open') + unread;
    }
  }

  private senderLabel(file: IncomingFile): string {
    return this.model.senderName(file.authorId) ?? shortUserId(file.authorId);
  }

  /** Drop the cached items and children a model change makes stale. */
  private invalidate(change: IncomingFilesChange | undefined): void {
    if (!change) {
      this.chatItems.clear();
      this.fileItems.clear();
      this.children.clear();
      return;
    }
    for (const chatId of change.chats) {
      // Its files came, went or moved, or its title changed (which file tooltips show).
      this.chatItems.delete(chatId);
      this.children.delete(chatId);
      this.forgetChatFiles(chatId);
    }
    for (const key of change.files) {
      this.fileItems.delete(key);
    }
    for (const key of change.unread) {
      // The chat's unread count decides whether its item starts expanded.
      const chatId = this.model.get(key)?.chatId;
      if (chatId !== undefined) {
        this.chatItems.delete(chatId);
      }
    }
  }

  private forgetChatFiles(chatId: string): void {
    const nodes = this.fileNodes.get(chatId);
    if (nodes) {
      for (const key of nodes.keys()) {
        this.fileItems.delete(key);
      }
    }
  }

  private onModelChange(change: IncomingFilesChange | undefined): void {
    this.invalidate(change);
    if (!change || change.orderChanged) {
      this.changeEmitter.fire(undefined);
      return;
    }
    // Only nodes VS Code has seen: it ignores others, and children of a redrawn chat are fetched anew anyway.
    const nodes: IncomingNode[] = [...change.chats].flatMap((chatId) => this.chatNodes.get(chatId) ?? []);
    for (const key of change.files) {
      const file = this.model.get(key);
      const node = file && !change.chats.has(file.chatId) ? this.fileNodes.get(file.chatId)?.get(key) : undefined;
      if (node) {
        nodes.push(node);
      }
    }
    if (nodes.length > 0) {
      this.changeEmitter.fire(nodes);
    }
  }
}

/**
 * Marks files not opened yet, on their tree items and editor tabs, through their `trueconf-file` URIs.
 */
export class UnreadDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>());
  readonly onDidChangeFileDecorations = this.changeEmitter.event;

  constructor(private readonly model: IncomingFilesService) {
    super();
    this._register(
      model.onDidChange((change) => {
        if (!change) {
          this.changeEmitter.fire(undefined);
        } else if (change.unread.size > 0) {
          this.changeEmitter.fire([...change.unread].flatMap((key) => this.uriOf(key)));
        }
      }),
    );
    this._register(model.onDidRemove((files) => this.changeEmitter.fire(files.map(incomingFileUri))));
    this._register(vscode.window.registerFileDecorationProvider(this));
  }

  private uriOf(key: string): vscode.Uri[] {
    const file = this.model.get(key);
    return file ? [incomingFileUri(file)] : [];
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== INCOMING_FILE_SCHEME) {
      return undefined;
    }
    const fileId = uri.path.split('/')[2];
    const file = fileId ? this.model.getByFileId(decodeURIComponent(fileId)) : undefined;
    if (!file || !this.model.isUnread(incomingFileKey(file))) {
      return undefined;
    }
    return new vscode.FileDecoration('●', vscode.l10n.t('Not opened yet'));
  }
}

/**
 * The view itself: the tree, its badge (files not opened yet), the context key that picks the
 * welcome content, and the minute-by-minute refresh of relative times while it is visible.
 */
export class IncomingFilesView extends Disposable {
  readonly treeView: vscode.TreeView<IncomingNode>;
  private empty: boolean | undefined;

  constructor(
    readonly provider: IncomingFilesTreeProvider,
    private readonly model: IncomingFilesService,
  ) {
    super();
    this.treeView = this._register(
      vscode.window.createTreeView(Views.incomingFiles, {
        treeDataProvider: provider,
        dragAndDropController: provider,
        canSelectMany: true,
        showCollapseAll: true,
      }),
    );
    this._register(new UnreadDecorations(model));
    this._register(model.onDidChange(() => this.update()));
    const timer = setInterval(() => {
      if (this.treeView.visible) {
        provider.refreshRecentTimes();
      }
    }, 60_000);
    this._register({ dispose: () => clearInterval(timer) });
    this._register(this.treeView.onDidChangeVisibility((e) => e.visible && provider.refreshRecentTimes()));
    this.update();
  }

  get visible(): boolean {
    return this.treeView.visible;
  }

  /** Show a file in the view (expanding its chat) without moving the focus. */
  async reveal(key: string): Promise<void> {
    const node = this.provider.nodeFor(key);
    if (node) {
      await this.treeView.reveal(node, { select: true, focus: false, expand: true });
    }
  }

  private update(): void {
    const unread = this.model.isVisible ? this.model.unreadCount : 0;
    this.treeView.badge =
      unread > 0 ? { value: unread, tooltip: unread === 1 ? vscode.l10n.t('1 file not opened yet') : vscode.l10n.t('{0} files not opened yet', unread) } : undefined;
    const empty = !this.model.isVisible || this.model.size === 0;
    if (empty !== this.empty) {
      this.empty = empty;
      void vscode.commands.executeCommand('setContext', ContextKeys.incomingFilesEmpty, empty);
    }
  }
}

/** Whether a file's description ends with its relative time ("5 minutes ago"): ready files, not uploading. */
function showsTime(file: IncomingFile, progress: number | undefined): boolean {
  return file.readyState !== FileReadyState.NotAvailable && file.readyState !== FileReadyState.Uploading && progress === undefined;
}

function fileContext(file: IncomingFile): string {
  switch (file.readyState) {
    case FileReadyState.NotAvailable:
      return ItemContext.unavailable;
    case FileReadyState.Uploading:
      return ItemContext.uploading;
    default:
      return ItemContext.ready;
  }
}

function chatIcon(chatType: number | undefined): string {
  switch (chatType) {
    case ChatType.P2P:
      return 'account';
    case ChatType.Favorites:
      return 'star-empty';
    case ChatType.Channel:
      return 'broadcast';
    case ChatType.Group:
      return 'organization';
    default:
      return 'comment-discussion';
  }
}

/** `text/uri-list` (RFC 2483): one URI per line, `#` lines are comments. */
function parseUriList(text: string): vscode.Uri[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .flatMap((line) => {
      try {
        return [vscode.Uri.parse(line, true)];
      } catch {
        return [];
      }
    });
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}
