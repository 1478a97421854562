/**
 * The incoming-files model: every file colleagues sent to the signed-in account, from live
 * `sendMessage` notifications and from the history of the most recently active chats (fetched on
 * sign-in, after every reconnect and on Refresh, so files sent while VS Code was closed or offline
 * appear too). One entry per file (fileId, else messageId); the user's own files are left out
 * unless `trueconf.incomingFiles.includeOwn` is on. The list, which files were opened, sender
 * names and chat titles survive a window reload in `globalState`, per server and user — metadata
 * only, never file bytes.
 *
 * The tree view and the file system provider read this model; they never talk to the server
 * about the list themselves.
 */
import * as vscode from 'vscode';
import { compareNewestFirst, IncomingFileIndex, incomingFileKey, mergeObservation } from '../common/incomingOrder';
import { Disposable, DisposableStore, toDisposable } from '../common/lifecycle';
import { Logger } from '../common/logger';
import { Settings } from '../constants';
import { ChatApi } from '../trueconf/chats';
import type { TrueConfClient } from '../trueconf/client';
import { cancelledError, isTrueConfError, TrueConfError } from '../trueconf/errors';
import { FileApi } from '../trueconf/files';
import { isOwnMessage, normaliseUserId, onFileMessage, parseFileMessage } from '../trueconf/messages';
import { Chat, ChatType, FileInfo, FileReadyState, IncomingFile } from '../trueconf/types';
import type { SessionService } from './connection';

/** What the model needs from the session: whether someone is signed in, and their client. */
export type IncomingFilesConnection = Pick<SessionService, 'onDidChangeState' | 'state' | 'client'>;

/** The chat and file APIs of one client. */
export interface TrueConfApis {
  readonly client: TrueConfClient;
  readonly chats: ChatApi;
  readonly files: FileApi;
}

/**
 * What changed in the list; `undefined` in onDidChange means "everything". Kept as narrow as
 * possible: a view redraws a chat only when its files came or went, and otherwise just the items
 * that changed, so a file uploading in a busy chat does not redraw the whole chat every tick.
 */
export interface IncomingFilesChange {
  /** Chats whose files came, went or moved, or whose title changed. */
  readonly chats: ReadonlySet<string>;
  /** Files whose state, progress, size or sender name changed, in place. */
  readonly files: ReadonlySet<string>;
  /** Files whose "not opened yet" mark changed. */
  readonly unread: ReadonlySet<string>;
  /** The set or the order of chats changed. */
  readonly orderChanged: boolean;
}

const NOTHING: ReadonlySet<string> = new Set();

function change(parts: Partial<IncomingFilesChange>): IncomingFilesChange {
  return { chats: parts.chats ?? NOTHING, files: parts.files ?? NOTHING, unread: parts.unread ?? NOTHING, orderChanged: parts.orderChanged ?? false };
}

export interface IncomingFilesArrival {
  readonly files: readonly IncomingFile[];
  /** Found in history (sent while VS Code was closed or offline) rather than pushed live. */
  readonly whileAway: boolean;
}

export interface ChatLabel {
  readonly title: string | null;
  readonly chatType?: number;
}

/** The most files kept: enough for the default history (20 chats × 50 messages) many times over. */
const MAX_FILES = 10_000;
/** Removed files are remembered so history does not bring them back; the oldest are forgotten first. */
const MAX_REMOVED = 10_000;
/** Chats whose history is fetched at once. */
const HISTORY_CONCURRENCY = 4;
/** Files whose sender-side upload is followed at once (each holds a progress subscription). */
const MAX_TRACKED_UPLOADS = 16;
const PERSIST_DELAY_MS = 1_000;
/** Progress redraws at most this often (each redraw of an item also closes its tooltip). */
const PROGRESS_REFRESH_MS = 1_000;
/** How long an operation that needs the server waits for a sign-in that is under way. */
const SIGN_IN_WAIT_MS = 20_000;
/** How long it waits, while signed out, for the session restore that follows activation to begin. */
const START_GRACE_MS = 3_000;

const STORAGE_PREFIX = 'trueconf.incomingFiles/';
const LAST_ACCOUNT_KEY = 'trueconf.incomingFiles.account';

interface StoredState {
  version: 1;
  files: IncomingFile[];
  unread: string[];
  removed: string[];
  clearedBefore: number;
  chats: Record<string, ChatLabel>;
  senders: Record<string, string>;
  /** The first history sync is done: later ones mark what they find as new. */
  synced: boolean;
}

export class IncomingFilesService extends Disposable {
  private readonly index = new IncomingFileIndex<IncomingFile>();
  /** Files not opened yet: key → chat id (the chat it was counted in). */
  private readonly unread = new Map<string, string>();
  /** How many files of each chat are not opened yet, kept with `unread` so views need not scan. */
  private readonly unreadPerChat = new Map<string, number>();
  /** Keys removed by the user, oldest first. */
  private readonly removed = new Set<string>();
  private readonly chatLabels = new Map<string, ChatLabel>();
  /** Display names by normalised, lower-case user id. */
  private readonly senders = new Map<string, string>();
  /** Sender-side upload progress (0..1) of files still uploading. Not persisted. */
  private readonly progress = new Map<string, number>();
  private readonly uploadTrackers = new Map<string, AbortController>();
  private readonly pendingNames = new Set<string>();
  private readonly pendingChats = new Set<string>();
  private clearedBefore = 0;
  private synced = false;

  /** `<origin>|<user id>` of the loaded list; undefined until someone signs in (or a list is restored). */
  private account: string | undefined;
  private ownUserId: string | undefined;
  private apis: TrueConfApis | undefined;
  private readonly clientStore = this._register(new DisposableStore());
  private visible = false;
  /** Bumped on every account or client change: late answers for an older one are dropped. */
  private generation = 0;
  private syncing: Promise<void> | undefined;
  private syncAgain: Promise<void> | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly progressFiles = new Set<string>();

  private readonly changeEmitter = this._register(new vscode.EventEmitter<IncomingFilesChange | undefined>());
  private readonly arrivalEmitter = this._register(new vscode.EventEmitter<IncomingFilesArrival>());
  private readonly removalEmitter = this._register(new vscode.EventEmitter<readonly IncomingFile[]>());
  private readonly apisEmitter = this._register(new vscode.EventEmitter<void>());

  /** The list changed: `undefined` for everything, else what changed. */
  readonly onDidChange = this.changeEmitter.event;
  /** New files arrived (not fired for what a reload restores or for the first sync of an account). */
  readonly onDidArrive = this.arrivalEmitter.event;
  /** Files left the list (Remove, Clear, or the size cap): their cached copies can go. */
  readonly onDidRemove = this.removalEmitter.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly connection: IncomingFilesConnection,
    private readonly logger: Logger,
  ) {
    super();
    // Restore the last account's list at once: the view and restored editors need it before sign-in completes.
    const last = state.get<string>(LAST_ACCOUNT_KEY);
    if (last) {
      this.load(last);
    }
    this._register(connection.onDidChangeState(() => this.onConnectionChanged()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${Settings.section}.${Settings.incomingIncludeOwn}`)) {
          this.onIncludeOwnChanged();
        }
      }),
    );
    this._register(
      toDisposable(() => {
        this.abortUploadTrackers();
        clearTimeout(this.progressTimer);
        this.flush();
      }),
    );
    this.onConnectionChanged();
  }

  /**
   * The list is for the eyes of whoever is signed in: false while signed out. The list itself
   * stays loaded (and stored) then, so editors restored at start-up still find their files.
   */
  get isVisible(): boolean {
    return this.visible;
  }

  get size(): number {
    return this.index.size;
  }

  get unreadCount(): number {
    return this.unread.size;
  }

  /** Chats that have files, the chat with the newest file first. */
  chats(): readonly string[] {
    return this.index.chats();
  }

  /** Files of a chat, newest first. */
  filesOf(chatId: string): readonly IncomingFile[] {
    return this.index.filesOf(chatId);
  }

  get(key: string): IncomingFile | undefined {
    return this.index.get(key);
  }

  getByFileId(fileId: string): IncomingFile | undefined {
    return this.index.get(incomingFileKey({ fileId, messageId: '' }));
  }

  /** Every file, newest first. */
  allFiles(): IncomingFile[] {
    return [...this.index.values()].sort(compareNewestFirst);
  }

  chatLabel(chatId: string): ChatLabel {
    const known = this.chatLabels.get(chatId);
    if (known) {
      return known;
    }
    const file = this.index.filesOf(chatId)[0];
    return { title: file?.chatTitle ?? null, chatType: file?.chatType };
  }

  /** The sender's display name when known (names are looked up once and remembered). */
  senderName(authorId: string): string | undefined {
    return this.senders.get(senderKey(authorId));
  }

  isUnread(key: string): boolean {
    return this.unread.has(key);
  }

  unreadIn(chatId: string): number {
    return this.unreadPerChat.get(chatId) ?? 0;
  }

  /** How much of a still-uploading file the server has (0..1), when known. */
  uploadProgress(key: string): number | undefined {
    return this.progress.get(key);
  }

  markRead(keys: Iterable<string>): void {
    const unread = new Set([...keys].filter((key) => this.deleteUnread(key)));
    if (unread.size > 0) {
      this.changed(change({ unread }));
      this.schedulePersist();
    }
  }

  markAllRead(): void {
    this.markRead([...this.unread.keys()]);
  }

  /** Take files off the list; history will not bring them back. */
  remove(keys: Iterable<string>): void {
    const removal = this.index.remove(keys);
    for (const file of removal.removed) {
      const key = incomingFileKey(file);
      this.deleteUnread(key);
      this.forgetUpload(key);
      this.removed.add(key);
    }
    trimOldest(this.removed, MAX_REMOVED);
    if (removal.removed.length > 0) {
      this.changed(change(removal));
      this.removalEmitter.fire(removal.removed);
      this.schedulePersist();
    }
  }

  /** Empty the list; only files sent after the newest one listed will appear again. */
  clear(): void {
    const files = [...this.index.values()];
    for (const file of files) {
      this.clearedBefore = Math.max(this.clearedBefore, file.timestamp);
    }
    // Removed files stay remembered: one newer than everything left would otherwise come back.
    this.index.clear();
    this.clearUnread();
    this.abortUploadTrackers();
    this.changed(undefined);
    if (files.length > 0) {
      this.removalEmitter.fire(files);
    }
    this.schedulePersist();
  }

  /** Fetch the history of the most recently active chats again. Rejects when the server cannot be asked. */
  async refresh(): Promise<void> {
    const apis = await this.connectedApis();
    await this.syncHistory(apis);
  }

  /** Update a file from what the server said about it (size, readiness) when it was opened. */
  applyFileInfo(key: string, info: Pick<FileInfo, 'size' | 'readyState'>): void {
    const known = this.index.get(key);
    if (!known || (known.size === info.size && known.readyState === info.readyState)) {
      return;
    }
    // Authoritative: getFileInfo may also say a file is gone (ready → not available).
    const { chats, orderChanged, updated } = this.index.upsert([{ ...known, size: info.size, readyState: info.readyState }]);
    this.changed(change({ chats, orderChanged, files: new Set(updated.map(incomingFileKey)) }));
    this.schedulePersist();
  }

  /**
   * The chat and file APIs of the signed-in client. Waits for a sign-in under way (the session is
   * restored at start-up, just after editors from the last session ask for their files); rejects
   * when nobody is signed in or the sign-in failed.
   */
  async connectedApis(signal?: AbortSignal): Promise<TrueConfApis> {
    const started = Date.now();
    for (;;) {
      this.onConnectionChanged();
      const apis = this.usableApis();
      if (apis) {
        return apis;
      }
      const elapsed = Date.now() - started;
      const kind = this.connection.state.kind;
      const wait = kind === 'connecting' ? SIGN_IN_WAIT_MS - elapsed : kind === 'signedOut' ? START_GRACE_MS - elapsed : 0;
      if (wait <= 0 || signal?.aborted) {
        break;
      }
      await this.nextConnectionEvent(wait, signal);
    }
    const state = this.connection.state;
    if (state.kind === 'failed') {
      throw state.error;
    }
    if (signal?.aborted) {
      throw cancelledError(signal.reason);
    }
    throw new TrueConfError('closed', vscode.l10n.t('Sign in to TrueConf to get this file.'));
  }

  // ---- connection -----------------------------------------------------------------------------

  /** Resolves on the next change of the session or the client, after `ms`, or when `signal` aborts. */
  private nextConnectionEvent(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const store = new DisposableStore();
      const done = () => {
        store.dispose();
        resolve();
      };
      const timer = setTimeout(done, ms);
      store.add(toDisposable(() => clearTimeout(timer)));
      store.add(this.apisEmitter.event(done));
      store.add(this.connection.onDidChangeState(done));
      if (signal) {
        signal.addEventListener('abort', done, { once: true });
        store.add(toDisposable(() => signal.removeEventListener('abort', done)));
      }
    });
  }

  private usableApis(): TrueConfApis | undefined {
    const apis = this.apis;
    if (!apis || apis.client !== this.connection.client) {
      return undefined;
    }
    const kind = apis.client.state.kind;
    // While reconnecting, or signing in again after having been connected (a token renewal, which
    // the session still shows as connected), requests wait for the connection (bounded by the client).
    const again = kind === 'connecting' && apis.client.userId !== undefined;
    return kind === 'connected' || kind === 'reconnecting' || again ? apis : undefined;
  }

  private onConnectionChanged(): void {
    const client = this.connection.client;
    if (client !== this.apis?.client) {
      this.bind(client);
    }
    const visible = this.account !== undefined && this.connection.state.kind !== 'signedOut';
    if (visible !== this.visible) {
      this.visible = visible;
      this.changed(undefined);
    }
  }

  private bind(client: TrueConfClient | undefined): void {
    this.clientStore.clear();
    this.abortUploadTrackers();
    this.generation++;
    this.apis = undefined;
    if (!client) {
      return;
    }
    const files = this.clientStore.add(new FileApi(client, client.http, client.endpoints, this.logger));
    this.apis = { client, chats: new ChatApi(client, this.logger), files };
    this.clientStore.add(onFileMessage(client, (file) => this.onLiveFile(client, file), this.logger));
    this.clientStore.add(client.onDidAuthenticate((e) => this.onAuthenticated(client, e.userId)));
    this.clientStore.add(client.onDidChangeState(() => this.apisEmitter.fire()));
    if (client.state.kind === 'connected' && client.userId) {
      this.onAuthenticated(client, client.userId);
    }
  }

  private onAuthenticated(client: TrueConfClient, userId: string): void {
    if (client !== this.apis?.client) {
      return;
    }
    this.useAccount(client, userId);
    this.apisEmitter.fire();
    // Files still uploading in the list restored from the last window are followed again: nothing
    // else tells this session when they are done (history sees them again, still uploading, as known).
    for (const file of this.index.values()) {
      if (file.readyState === FileReadyState.Uploading) {
        this.followUpload(file);
      }
    }
    const apis = this.apis;
    this.syncHistory(apis).catch((err: unknown) => this.logger.warn('Could not fetch the chat history for incoming files:', err));
  }

  private useAccount(client: TrueConfClient, userId: string): void {
    const account = `${client.endpoints.origin}|${normaliseUserId(userId).toLowerCase()}`;
    if (account !== this.account) {
      this.flush();
      this.load(account);
      void this.state.update(LAST_ACCOUNT_KEY, account);
    }
    this.ownUserId = userId;
  }

  // ---- incoming files -------------------------------------------------------------------------

  private onLiveFile(client: TrueConfClient, file: IncomingFile): void {
    if (client !== this.apis?.client) {
      return;
    }
    if (this.account === undefined && client.userId) {
      this.useAccount(client, client.userId);
    }
    this.merge([file], true);
  }

  /**
   * Read the history of the most recently active chats. A call while a read is running gets one
   * more read after it (a reconnect mid-read may have brought news the running one missed);
   * further calls meanwhile share that one.
   */
  private syncHistory(apis: TrueConfApis): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.fetchHistory(apis).finally(() => (this.syncing = undefined));
      return this.syncing;
    }
    this.syncAgain ??= this.syncing
      .catch(() => undefined)
      .then(() => {
        this.syncAgain = undefined;
        return this.apis ? this.syncHistory(this.apis) : undefined;
      });
    return this.syncAgain;
  }

  private async fetchHistory(apis: TrueConfApis): Promise<void> {
    const generation = this.generation;
    const config = vscode.workspace.getConfiguration(Settings.section);
    const chatCount = clamp(config.get<number>(Settings.incomingHistoryChats, 20), 0, 500);
    const depth = clamp(config.get<number>(Settings.incomingHistoryDepth, 50), 1, 1000);
    if (chatCount === 0) {
      this.finishSync();
      return;
    }
    const chats = await apis.chats.getAllChats();
    if (generation !== this.generation) {
      return;
    }
    this.rememberChats(chats);
    const recent = [...chats].sort((a, b) => lastActivity(b) - lastActivity(a)).slice(0, chatCount);
    const found: IncomingFile[] = [];
    let failures = 0;
    let lastError: unknown;
    await forEachLimited(recent, HISTORY_CONCURRENCY, async (chat) => {
      try {
        const history = await apis.chats.getChatHistory({ chatId: chat.chatId, count: depth });
        for (const envelope of history.messages) {
          const file = this.parseHistoryFile(envelope);
          if (file) {
            found.push({ ...file, chatTitle: file.chatTitle ?? chat.title, chatType: file.chatType ?? chat.chatType });
          }
        }
      } catch (err) {
        failures++;
        lastError = err;
        this.logger.warn(`Could not read the history of chat ${chat.chatId}:`, err);
      }
    });
    if (generation !== this.generation) {
      return;
    }
    this.merge(found, false);
    this.finishSync();
    this.logger.info(`Incoming files: read the history of ${recent.length} chats, ${found.length} file messages.`);
    if (failures > 0 && failures === recent.length) {
      throw lastError;
    }
  }

  private parseHistoryFile(envelope: unknown): IncomingFile | undefined {
    try {
      return parseFileMessage(envelope);
    } catch (err) {
      this.logger.warn('Ignored a malformed file message in history:', err);
      return undefined;
    }
  }

  private finishSync(): void {
    if (!this.synced) {
      this.synced = true;
      this.schedulePersist();
    }
  }

  /** Add what was seen; `live` files are new by definition, history finds are new after the first sync. */
  private merge(seen: readonly IncomingFile[], live: boolean): void {
    if (this.account === undefined) {
      return;
    }
    const accepted = seen.filter((file) => this.accepts(file));
    const upserted = this.index.upsert(accepted, mergeObservation);
    if (upserted.chats.size > 0) {
      // A file seen again in another chat moves its unread mark along.
      for (const file of accepted) {
        this.recountUnread(incomingFileKey(file));
      }
    }
    // The user's own files (listed with includeOwn) are never news to them.
    const news = live || this.synced ? upserted.added.filter((file) => !this.isOwn(file)) : [];
    for (const file of news) {
      this.addUnread(incomingFileKey(file));
    }
    const trimmed = this.index.trim(MAX_FILES);
    for (const file of trimmed.removed) {
      this.deleteUnread(incomingFileKey(file));
    }
    if (upserted.chats.size === 0 && upserted.updated.length === 0 && trimmed.removed.length === 0) {
      return;
    }
    this.changed(
      change({
        chats: new Set([...upserted.chats, ...trimmed.chats]),
        files: new Set(upserted.updated.map(incomingFileKey)),
        unread: new Set(news.map(incomingFileKey)),
        orderChanged: upserted.orderChanged || trimmed.orderChanged,
      }),
    );
    if (trimmed.removed.length > 0) {
      this.removalEmitter.fire(trimmed.removed);
    }
    this.schedulePersist();

    const added = upserted.added.filter((file) => this.index.has(incomingFileKey(file)));
    this.lookUpNames(added.map((file) => file.authorId));
    this.lookUpChats(added.map((file) => file.chatId));
    for (const file of added) {
      // Live files without a readyState (the seed dialect) may still be uploading: ask once.
      if (file.readyState === FileReadyState.Uploading || (live && file.readyState === undefined)) {
        this.followUpload(file);
      }
    }
    const arrived = news.filter((file) => this.index.has(incomingFileKey(file)));
    if (arrived.length > 0) {
      this.arrivalEmitter.fire({ files: arrived, whileAway: !live });
    }
  }

  private accepts(file: IncomingFile): boolean {
    const key = incomingFileKey(file);
    if (this.removed.has(key) || (file.timestamp <= this.clearedBefore && !this.index.has(key))) {
      return false;
    }
    return this.includeOwn() || !this.isOwn(file);
  }

  private isOwn(file: IncomingFile): boolean {
    return this.ownUserId !== undefined && isOwnMessage(file, this.ownUserId);
  }

  private includeOwn(): boolean {
    return vscode.workspace.getConfiguration(Settings.section).get<boolean>(Settings.incomingIncludeOwn, false);
  }

  private onIncludeOwnChanged(): void {
    if (this.includeOwn()) {
      const apis = this.usableApis();
      if (apis) {
        this.syncHistory(apis).catch((err: unknown) => this.logger.warn('Could not fetch the chat history for incoming files:', err));
      }
      return;
    }
    const own = this.ownUserId;
    if (!own) {
      return;
    }
    const keys = [...this.index.values()].filter((file) => isOwnMessage(file, own)).map(incomingFileKey);
    const removal = this.index.remove(keys);
    for (const file of removal.removed) {
      this.deleteUnread(incomingFileKey(file));
    }
    if (removal.removed.length > 0) {
      this.changed(change(removal));
      this.schedulePersist();
    }
  }

  /** Follow a file its sender is still uploading, so the view can show how far it got. */
  private followUpload(file: IncomingFile): void {
    const apis = this.apis;
    const key = incomingFileKey(file);
    if (!apis || this.uploadTrackers.has(key) || this.uploadTrackers.size >= MAX_TRACKED_UPLOADS) {
      return;
    }
    const controller = new AbortController();
    this.uploadTrackers.set(key, controller);
    const generation = this.generation;
    apis.files
      .waitUntilReady(file.fileId, {
        signal: controller.signal,
        onProgress: (bytes, total) => this.setProgress(key, total > 0 ? bytes / total : 0),
      })
      .then(
        (info) => generation === this.generation && this.applyFileInfo(key, info),
        async (err: unknown) => {
          if (controller.signal.aborted || generation !== this.generation) {
            return;
          }
          this.logger.info(`Stopped following the upload of ${file.fileId}:`, err);
          if (isTrueConfError(err, 'fileNotReady')) {
            const info = await apis.files.getFileInfo(file.fileId).catch(() => undefined);
            if (info && generation === this.generation) {
              this.applyFileInfo(key, info);
            }
          }
        },
      )
      .finally(() => {
        if (this.uploadTrackers.get(key) === controller) {
          this.uploadTrackers.delete(key);
          this.forgetUpload(key);
          this.changed(change({ files: new Set([key]) }));
        }
      });
  }

  private setProgress(key: string, fraction: number): void {
    const value = Math.max(0, Math.min(1, fraction));
    const before = this.progress.get(key);
    this.progress.set(key, value);
    if (before !== undefined && Math.floor(before * 100) === Math.floor(value * 100)) {
      return; // the percentage shown is the same
    }
    this.progressFiles.add(key);
    this.progressTimer ??= setTimeout(() => {
      this.progressTimer = undefined;
      const files = new Set(this.progressFiles);
      this.progressFiles.clear();
      if (files.size > 0) {
        this.changed(change({ files }));
      }
    }, PROGRESS_REFRESH_MS);
  }

  private forgetUpload(key: string): void {
    this.uploadTrackers.get(key)?.abort();
    this.uploadTrackers.delete(key);
    this.progress.delete(key);
    // Whoever forgets an upload redraws its item: no late progress redraw after that (a click
    // on the item while it is redrawn is lost, and a finished upload is when people click).
    this.progressFiles.delete(key);
  }

  private abortUploadTrackers(): void {
    for (const controller of this.uploadTrackers.values()) {
      controller.abort();
    }
    this.uploadTrackers.clear();
    this.progress.clear();
    this.progressFiles.clear();
  }

  // ---- names and titles -----------------------------------------------------------------------

  private lookUpNames(authorIds: readonly string[]): void {
    const apis = this.apis;
    const wanted = [...new Set(authorIds.map(senderKey))].filter((id) => !this.senders.has(id) && !this.pendingNames.has(id));
    if (!apis || wanted.length === 0) {
      return;
    }
    const generation = this.generation;
    for (const id of wanted) {
      this.pendingNames.add(id);
    }
    void Promise.allSettled(
      wanted.map((id) =>
        apis.chats.getUserDisplayName(id).then((name) => {
          if (generation === this.generation && name.trim()) {
            this.senders.set(id, name.trim());
          }
        }),
      ),
    ).then(() => {
      for (const id of wanted) {
        this.pendingNames.delete(id);
      }
      if (generation !== this.generation) {
        return;
      }
      const resolved = new Set(wanted.filter((id) => this.senders.has(id)));
      const files = new Set<string>();
      for (const file of this.index.values()) {
        if (resolved.has(senderKey(file.authorId))) {
          files.add(incomingFileKey(file));
        }
      }
      if (files.size > 0) {
        this.changed(change({ files }));
        this.schedulePersist();
      }
    });
  }

  private lookUpChats(chatIds: readonly string[]): void {
    const apis = this.apis;
    const wanted = [...new Set(chatIds)].filter((id) => !this.chatLabels.has(id) && !this.pendingChats.has(id));
    if (!apis) {
      return;
    }
    const generation = this.generation;
    for (const chatId of wanted) {
      this.pendingChats.add(chatId);
      apis.chats
        .getChatByID(chatId)
        .then(
          (chat) => {
            if (generation === this.generation) {
              this.rememberChats([chat]);
            }
          },
          (err: unknown) => this.logger.debug(`Could not look up chat ${chatId}:`, err),
        )
        .finally(() => this.pendingChats.delete(chatId));
    }
  }

  private rememberChats(chats: readonly Chat[]): void {
    const changed = new Set<string>();
    for (const chat of chats) {
      const known = this.chatLabels.get(chat.chatId);
      if (known?.title !== chat.title || known?.chatType !== chat.chatType) {
        this.chatLabels.set(chat.chatId, { title: chat.title, chatType: chat.chatType });
        if (this.index.filesOf(chat.chatId).length > 0) {
          changed.add(chat.chatId);
        }
      }
    }
    if (changed.size > 0) {
      this.changed(change({ chats: changed }));
      this.schedulePersist();
    }
  }

  // ---- persistence ----------------------------------------------------------------------------

  private load(account: string): void {
    this.reset();
    this.account = account;
    this.ownUserId = account.slice(account.lastIndexOf('|') + 1);
    const stored = readStoredState(this.state.get<unknown>(STORAGE_PREFIX + account));
    if (stored) {
      this.index.upsert(stored.files);
      for (const key of stored.unread) {
        this.addUnread(key);
      }
      stored.removed.forEach((key) => this.removed.add(key));
      this.clearedBefore = stored.clearedBefore;
      this.synced = stored.synced;
      for (const [chatId, label] of Object.entries(stored.chats)) {
        this.chatLabels.set(chatId, label);
      }
      for (const [id, name] of Object.entries(stored.senders)) {
        this.senders.set(id, name);
      }
    }
    this.visible = this.connection.state.kind !== 'signedOut';
    this.changed(undefined);
  }

  private reset(): void {
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    this.abortUploadTrackers();
    this.account = undefined;
    this.ownUserId = undefined;
    this.index.clear();
    this.clearUnread();
    this.removed.clear();
    this.chatLabels.clear();
    this.senders.clear();
    this.clearedBefore = 0;
    this.synced = false;
  }

  private schedulePersist(): void {
    if (this.account !== undefined && this.persistTimer === undefined) {
      this.persistTimer = setTimeout(() => this.flush(), PERSIST_DELAY_MS);
    }
  }

  /** Write the pending changes now. */
  private flush(): void {
    if (this.persistTimer === undefined || this.account === undefined) {
      return;
    }
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    const files = this.allFiles();
    const usedChats = new Set(files.map((f) => f.chatId));
    const usedSenders = new Set(files.map((f) => senderKey(f.authorId)));
    const stored: StoredState = {
      version: 1,
      files,
      unread: [...this.unread.keys()],
      removed: [...this.removed],
      clearedBefore: this.clearedBefore,
      chats: Object.fromEntries([...this.chatLabels].filter(([chatId]) => usedChats.has(chatId))),
      senders: Object.fromEntries([...this.senders].filter(([id]) => usedSenders.has(id))),
      synced: this.synced,
    };
    this.state.update(STORAGE_PREFIX + this.account, stored).then(undefined, (err: unknown) => this.logger.warn('Could not save the incoming files list:', err));
  }

  // ---- unread marks ---------------------------------------------------------------------------

  /** Mark a listed file as not opened yet; unknown keys are ignored. */
  private addUnread(key: string): void {
    const chatId = this.index.get(key)?.chatId;
    if (chatId === undefined || this.unread.has(key)) {
      return;
    }
    this.unread.set(key, chatId);
    this.unreadPerChat.set(chatId, (this.unreadPerChat.get(chatId) ?? 0) + 1);
  }

  /** Drop a file's unread mark; true when it had one. */
  private deleteUnread(key: string): boolean {
    const chatId = this.unread.get(key);
    if (chatId === undefined) {
      return false;
    }
    this.unread.delete(key);
    const left = (this.unreadPerChat.get(chatId) ?? 1) - 1;
    if (left > 0) {
      this.unreadPerChat.set(chatId, left);
    } else {
      this.unreadPerChat.delete(chatId);
    }
    return true;
  }

  /** Count an unread file in the chat it is in now (after it was seen again in another chat). */
  private recountUnread(key: string): void {
    const counted = this.unread.get(key);
    const chatId = this.index.get(key)?.chatId;
    if (counted !== undefined && chatId !== undefined && counted !== chatId) {
      this.deleteUnread(key);
      this.addUnread(key);
    }
  }

  private clearUnread(): void {
    this.unread.clear();
    this.unreadPerChat.clear();
  }

  private changed(what: IncomingFilesChange | undefined): void {
    this.changeEmitter.fire(what);
  }
}

/** A chat title for people: the chat's own, else a name for its kind. */
export function describeChat(label: ChatLabel): string {
  if (label.title && label.title.trim()) {
    return label.title.trim();
  }
  switch (label.chatType) {
    case ChatType.Favorites:
      return vscode.l10n.t('Favorites');
    case ChatType.P2P:
      return vscode.l10n.t('Personal chat');
    case ChatType.Channel:
      return vscode.l10n.t('Channel');
    default:
      return vscode.l10n.t('Group chat');
  }
}

/** `ivan@video.example.com` → `ivan`: what to show until the display name is known. */
export function shortUserId(userId: string): string {
  const id = normaliseUserId(userId);
  const at = id.indexOf('@');
  return at > 0 ? id.slice(0, at) : id;
}

function senderKey(authorId: string): string {
  return normaliseUserId(authorId).toLowerCase();
}

function lastActivity(chat: Chat): number {
  return chat.lastMessage?.timestamp ?? 0;
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : min;
}

function trimOldest(set: Set<string>, max: number): void {
  for (const key of set) {
    if (set.size <= max) {
      return;
    }
    set.delete(key);
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      await run(items[next++]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The stored list, or undefined when there is none or it is not in a shape this version reads. */
function readStoredState(raw: unknown): StoredState | undefined {
  if (typeof raw !== 'object' || raw === null || (raw as { version?: unknown }).version !== 1) {
    return undefined;
  }
  const obj = raw as Partial<StoredState>;
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const record = <V>(value: unknown, valid: (v: unknown) => v is V) =>
    typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter(([, v]) => valid(v))) : {};
  return {
    version: 1,
    files: Array.isArray(obj.files) ? obj.files.filter(isStoredFile) : [],
    unread: strings(obj.unread),
    removed: strings(obj.removed),
    clearedBefore: typeof obj.clearedBefore === 'number' ? obj.clearedBefore : 0,
    chats: record(obj.chats, (v): v is ChatLabel => typeof v === 'object' && v !== null && 'title' in v),
    senders: record(obj.senders, (v): v is string => typeof v === 'string'),
    synced: obj.synced === true,
  };
}

function isStoredFile(value: unknown): value is IncomingFile {
  const f = value as Partial<IncomingFile> | null;
  return (
    typeof f === 'object' &&
    f !== null &&
    typeof f.chatId === 'string' &&
    typeof f.messageId === 'string' &&
    typeof f.fileId === 'string' &&
    typeof f.name === 'string' &&
    typeof f.size === 'number' &&
    typeof f.timestamp === 'number' &&
    typeof f.authorId === 'string' &&
    typeof f.mimeType === 'string'
  );
}
