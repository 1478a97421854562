/**
 * The chats the signed-in account can send to, for the chat picker: every page of `getChats`,
 * kept in memory and refreshed in the background (after every sign-in and reconnect, and when
 * the picker opens on a list older than a few seconds), so the picker shows chats at once.
 * Which chats were used from this workspace, most recent first, is remembered per account in
 * `workspaceState`; the last one is what the picker preselects.
 *
 * It also holds the chat and file APIs of the current client, which the send service uses, and
 * rebuilds them when the connection's client changes (sign-in as someone else, sign-out).
 */
import * as vscode from 'vscode';
import { Disposable, DisposableStore } from '../common/lifecycle';
import { Logger } from '../common/logger';
import { ChatSummary, RecentChat, rememberRecent } from '../common/sendNaming';
import { ChatApi } from '../trueconf/chats';
import type { TrueConfClient } from '../trueconf/client';
import { TrueConfError } from '../trueconf/errors';
import { FileApi } from '../trueconf/files';
import { normaliseUserId } from '../trueconf/messages';
import { Chat, ChatType } from '../trueconf/types';

/** What the send feature needs from the connection service: the signed-in client, when there is one. */
export interface SendConnection {
  readonly onDidChangeState: vscode.Event<unknown>;
  readonly client: TrueConfClient | undefined;
}

/** A chat to send to, as the picker, the commands and the tree's drop controller name it. */
export interface ChatTarget {
  readonly chatId: string;
  readonly title: string;
  readonly chatType?: number;
}

/** The chat and file APIs of one client. */
export interface SendApis {
  readonly client: TrueConfClient;
  readonly chats: ChatApi;
  readonly files: FileApi;
}

/** workspaceState key: `{ [account]: RecentChat[] }`, most recent first. */
const RECENT_KEY = 'trueconf.send.recentChats';
const MAX_RECENT = 5;
/** A list younger than this is not fetched again when the picker opens. */
const FRESH_FOR_MS = 10_000;

export class ChatDirectory extends Disposable {
  private readonly clientStore = this._register(new DisposableStore());
  private readonly changeEmitter = this._register(new vscode.EventEmitter<void>());
  private currentApis: SendApis | undefined;
  private list: Map<string, Chat> | undefined;
  private loadedAt = 0;
  private loading: Promise<readonly Chat[]> | undefined;
  /** Bumped whenever the client changes, so an answer for the previous client is dropped. */
  private generation = 0;

  /** The chat list, the recent chats or the loading state changed. */
  readonly onDidChange: vscode.Event<void> = this.changeEmitter.event;

  constructor(
    private readonly connection: SendConnection,
    private readonly workspaceState: vscode.Memento,
    private readonly logger: Logger,
  ) {
    super();
    this._register(connection.onDidChangeState(() => this.bindClient()));
    this.bindClient();
  }

  /** The APIs of the signed-in client, or undefined when nobody is signed in or the sign-in failed. */
  get apis(): SendApis | undefined {
    this.bindClient();
    const apis = this.currentApis;
    const kind = apis?.client.state.kind;
    // While (re)connecting, requests wait for the connection (bounded by the client).
    return kind === 'connected' || kind === 'reconnecting' || kind === 'connecting' ? apis : undefined;
  }

  /** Why there are no APIs, when a sign-in failed: the client's state. */
  get clientState(): TrueConfClient['state'] | undefined {
    return this.connection.client?.state;
  }

  /** Every chat of the account as last fetched; undefined until the first list arrives. */
  get chats(): readonly Chat[] | undefined {
    return this.list ? [...this.list.values()] : undefined;
  }

  get isLoading(): boolean {
    return this.loading !== undefined;
  }

  /** The chats for the picker's ordering. */
  summaries(): ChatSummary[] {
    return (this.chats ?? []).map((chat) => ({
      chatId: chat.chatId,
      title: chatTitle(chat),
      chatType: chat.chatType,
      lastActivity: chat.lastMessage?.timestamp,
    }));
  }

  /**
   * Fetch every chat again (all pages). Concurrent calls share one request; `ifOlderThan`
   * skips the fetch when the list is younger than that many milliseconds.
   */
  refresh(options: { ifOlderThan?: number } = {}): Promise<readonly Chat[]> {
    if (this.loading) {
      return this.loading;
    }
    if (this.list && options.ifOlderThan !== undefined && Date.now() - this.loadedAt < options.ifOlderThan) {
      return Promise.resolve([...this.list.values()]);
    }
    const apis = this.apis;
    if (!apis) {
      return Promise.reject(notSignedIn());
    }
    const generation = this.generation;
    const loading = apis.chats
      .getAllChats()
      .then((chats) => {
        if (generation === this.generation) {
          this.list = new Map(chats.map((c) => [c.chatId, c]));
          this.loadedAt = Date.now();
          this.logger.debug(`Loaded ${chats.length} chats for the chat picker.`);
        }
        return chats;
      })
      .finally(() => {
        if (this.loading === loading) {
          this.loading = undefined;
        }
        this.changeEmitter.fire();
      });
    this.loading = loading;
    this.changeEmitter.fire();
    return loading;
  }

  /** Refresh unless the list is fresh; failures are logged, the cached list stays. */
  refreshInBackground(): void {
    this.refresh({ ifOlderThan: FRESH_FOR_MS }).catch((err: unknown) => this.logger.warn('Could not load the chat list:', err));
  }

  find(chatId: string): Chat | undefined {
    return this.list?.get(chatId);
  }

  /** The chat as a send target: from the list, else asked from the server (getChatByID). */
  async resolve(chatId: string): Promise<ChatTarget> {
    const known = this.find(chatId);
    if (known) {
      return toTarget(known);
    }
    const apis = this.apis;
    if (!apis) {
      throw notSignedIn();
    }
    const chat = await apis.chats.getChatByID(chatId);
    this.list?.set(chat.chatId, chat);
    return toTarget(chat);
  }

  /** The personal chat with a TrueConf ID, created if there is none yet (createP2PChat). */
  async openPersonalChat(userId: string): Promise<ChatTarget> {
    const apis = this.apis;
    if (!apis) {
      throw notSignedIn();
    }
    const chatId = await apis.chats.createP2PChat(userId);
    let chat: Chat | undefined = this.find(chatId);
    if (!chat) {
      try {
        chat = await apis.chats.getChatByID(chatId);
      } catch (err) {
        this.logger.warn(`Could not read the new chat with ${userId}:`, err);
      }
    }
    let title = chat?.title?.trim();
    if (!title) {
      title = await apis.chats.getUserDisplayName(userId).catch(() => userId);
    }
    const target: ChatTarget = { chatId, title, chatType: ChatType.P2P };
    if (this.list && !this.list.has(chatId)) {
      this.list.set(chatId, chat ?? { chatId, title, chatType: ChatType.P2P });
      this.changeEmitter.fire();
    }
    return target;
  }

  /** The chat is gone (deleted, or the user was removed from it): forget it everywhere. */
  remove(chatId: string): void {
    this.list?.delete(chatId);
    const account = this.account();
    if (account) {
      void this.writeRecent(
        account,
        this.recent().filter((r) => r.chatId !== chatId),
      );
    }
    this.changeEmitter.fire();
  }

  /** Chats used from this workspace by the signed-in account, most recent first. */
  recent(): readonly RecentChat[] {
    const account = this.account();
    if (!account) {
      return [];
    }
    const stored = this.workspaceState.get<Record<string, RecentChat[]>>(RECENT_KEY, {})[account];
    return Array.isArray(stored) ? stored.filter(isRecentChat) : [];
  }

  /** The chat used last from this workspace. */
  get lastUsed(): RecentChat | undefined {
    return this.recent()[0];
  }

  /** Remember that something was sent to `target` from this workspace. */
  async markUsed(target: ChatTarget): Promise<void> {
    const account = this.account();
    if (!account) {
      return;
    }
    const entry: RecentChat = { chatId: target.chatId, title: target.title, chatType: target.chatType ?? ChatType.Undefined, usedAt: Date.now() };
    await this.writeRecent(account, rememberRecent(this.recent(), entry, MAX_RECENT));
    this.changeEmitter.fire();
  }

  private async writeRecent(account: string, list: RecentChat[]): Promise<void> {
    const all = { ...this.workspaceState.get<Record<string, RecentChat[]>>(RECENT_KEY, {}) };
    all[account] = list;
    await this.workspaceState.update(RECENT_KEY, all);
  }

  /** `origin|user`: recent chats of one account never show up for another. */
  private account(): string | undefined {
    const client = this.currentApis?.client;
    const userId = client?.userId;
    return client && userId ? `${client.endpoints.origin}|${normaliseUserId(userId).toLowerCase()}` : undefined;
  }

  private bindClient(): void {
    const client = this.connection.client;
    if (client === this.currentApis?.client) {
      return;
    }
    this.clientStore.clear();
    this.generation++;
    this.currentApis = undefined;
    this.list = undefined;
    this.loading = undefined;
    this.loadedAt = 0;
    if (client) {
      const files = this.clientStore.add(new FileApi(client, client.http, client.endpoints, this.logger));
      this.currentApis = { client, chats: new ChatApi(client, this.logger), files };
      // A new connection may follow hours offline: chats were created, renamed or left meanwhile.
      this.clientStore.add(client.onDidAuthenticate(() => this.refresh().catch((err: unknown) => this.logger.warn('Could not load the chat list:', err))));
      this.clientStore.add(
        client.onDidChangeState((state) => {
          if (state.kind === 'signedOut') {
            this.list = undefined;
            this.changeEmitter.fire();
          }
        }),
      );
      if (client.state.kind === 'connected') {
        this.refreshInBackground();
      }
    }
    this.changeEmitter.fire();
  }
}

/** A chat's title for people: Favorites and untitled chats get a name of their own. */
export function chatTitle(chat: { title: string | null; chatType: number }): string {
  const title = chat.title?.trim();
  if (title) {
    return title;
  }
  switch (chat.chatType) {
    case ChatType.Favorites:
      return vscode.l10n.t('Favorites');
    case ChatType.P2P:
      return vscode.l10n.t('Personal chat');
    default:
      return vscode.l10n.t('Untitled chat');
  }
}

export function toTarget(chat: Chat): ChatTarget {
  return { chatId: chat.chatId, title: chatTitle(chat), chatType: chat.chatType };
}

function notSignedIn(): TrueConfError {
  return new TrueConfError('closed', vscode.l10n.t('Sign in to TrueConf to send to a chat.'));
}

function isRecentChat(value: unknown): value is RecentChat {
  const v = value as Partial<RecentChat> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.chatId === 'string' &&
    typeof v.title === 'string' &&
    typeof v.chatType === 'number' &&
    typeof v.usedAt === 'number'
  );
}
