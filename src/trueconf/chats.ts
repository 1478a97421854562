/**
 * Chats and text messages (protocol.md §4.2–4.4): listing chats, history, display names,
 * personal chats, and sending text within TrueConf's length limit.
 */
import { Logger, nullLogger } from '../common/logger';
import type { RpcChannel } from './channel';
import { normaliseUserId, parseEnvelope } from './messages';
import { checkTextLength } from './text-length';
import type { Chat, ChatHistory, ParseMode, SentMessage } from './types';
import { asObject, isObject, protocolError, readNumber, readOptionalNumber, readString } from './validate';

export interface CallOptions {
  signal?: AbortSignal;
}

export interface GetChatsOptions extends CallOptions {
  /** 1-based page number. */
  page: number;
  /** Page size. */
  count: number;
}

export interface GetChatHistoryOptions extends CallOptions {
  chatId: string;
  count: number;
  /** Start from this message instead of the newest one. */
  fromMessageId?: string;
}

export interface SendMessageOptions extends CallOptions {
  chatId: string;
  text: string;
  parseMode?: ParseMode;
  replyMessageId?: string;
}

const DEFAULT_PAGE_SIZE = 100;

export class ChatApi {
  private readonly displayNames = new Map<string, Promise<string>>();

  constructor(
    private readonly rpc: RpcChannel,
    private readonly logger: Logger = nullLogger,
  ) {}

  /** One page of the account's chats. The server answers a bare array or `{chats: [...]}`; both are accepted. */
  async getChats(options: GetChatsOptions): Promise<Chat[]> {
    const payload = await this.rpc.request('getChats', { page: options.page, count: options.count }, { signal: options.signal });
    const list = Array.isArray(payload) ? payload : isObject(payload) ? payload.chats : undefined;
    if (!Array.isArray(list)) {
      throw protocolError('getChats', 'expected a list of chats');
    }
    return list.map((item) => parseChat(item, 'getChats'));
  }

  /** Every chat, page by page, until a short page. A page that brings nothing new also ends the walk. */
  async getAllChats(options: CallOptions & { pageSize?: number } = {}): Promise<Chat[]> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const chats = new Map<string, Chat>();
    for (let page = 1; ; page++) {
      const batch = await this.getChats({ page, count: pageSize, signal: options.signal });
      const before = chats.size;
      for (const chat of batch) {
        chats.set(chat.chatId, chat);
      }
      if (batch.length < pageSize) {
        return [...chats.values()];
      }
      if (chats.size === before) {
        this.logger.warn(`getChats page ${page} repeated earlier chats; stopped paging.`);
        return [...chats.values()];
      }
    }
  }

  async getChatByID(chatId: string, options: CallOptions = {}): Promise<Chat> {
    const payload = await this.rpc.request('getChatByID', { chatId }, { signal: options.signal });
    return parseChat(payload, 'getChatByID');
  }

  /** The personal chat with a user, created if needed (the server returns an existing one). */
  async createP2PChat(userId: string, options: CallOptions = {}): Promise<string> {
    const payload = await this.rpc.request('createP2PChat', { userId }, { signal: options.signal });
    return readString(asObject(payload, 'createP2PChat'), 'chatId', 'createP2PChat');
  }

  /** Messages in the order the server sent them: sort by `box.id` or `timestamp` if order matters. */
  async getChatHistory(options: GetChatHistoryOptions): Promise<ChatHistory> {
    const context = 'getChatHistory';
    const request: Record<string, unknown> = { chatId: options.chatId, count: options.count };
    if (options.fromMessageId !== undefined) {
      request.fromMessageId = options.fromMessageId;
    }
    const obj = asObject(await this.rpc.request(context, request, { signal: options.signal }), context);
    if (!Array.isArray(obj.messages)) {
      throw protocolError(context, '"messages" should be a list');
    }
    const chatId = typeof obj.chatId === 'string' ? obj.chatId : options.chatId;
    return {
      chatId,
      count: readOptionalNumber(obj, 'count', context) ?? obj.messages.length,
      messages: obj.messages.map((m) => parseEnvelope(m, context, chatId)),
    };
  }

  /**
   * A user's display name, asked once per user: later calls, and calls made while the first
   * is in flight, share its answer. A failed lookup is not remembered.
   */
  getUserDisplayName(userId: string, options: CallOptions = {}): Promise<string> {
    const key = normaliseUserId(userId);
    let pending = this.displayNames.get(key);
    if (!pending) {
      pending = this.fetchDisplayName(key, options.signal);
      this.displayNames.set(key, pending);
      const failed = pending;
      failed.catch(() => {
        if (this.displayNames.get(key) === failed) {
          this.displayNames.delete(key);
        }
      });
    }
    return pending;
  }

  /** Send a text message; the 4096-character limit is checked before anything is sent. */
  async sendMessage(options: SendMessageOptions): Promise<SentMessage> {
    const parseMode = options.parseMode ?? 'text';
    checkTextLength(options.text, parseMode, 'message');
    const request: Record<string, unknown> = { chatId: options.chatId, content: { text: options.text, parseMode } };
    if (options.replyMessageId !== undefined) {
      request.replyMessageId = options.replyMessageId;
    }
    const payload = await this.rpc.request('sendMessage', request, { signal: options.signal });
    return parseSentMessage(payload, 'sendMessage');
  }

  private async fetchDisplayName(userId: string, signal: AbortSignal | undefined): Promise<string> {
    const payload = await this.rpc.request('getUserDisplayName', { userId }, { signal });
    return readString(asObject(payload, 'getUserDisplayName'), 'displayName', 'getUserDisplayName');
  }
}

export function parseChat(raw: unknown, context: string): Chat {
  const obj = asObject(raw, context, 'a chat');
  const chatId = readString(obj, 'chatId', context);
  const title = obj.title;
  if (title !== undefined && title !== null && typeof title !== 'string') {
    throw protocolError(context, '"title" should be a string');
  }
  const chat: Chat = { chatId, title: title ?? null, chatType: readNumber(obj, 'chatType', context) };
  const unread = readOptionalNumber(obj, 'unreadMessages', context);
  if (unread !== undefined) {
    chat.unreadMessages = unread;
  }
  if (typeof obj.avatarUrl === 'string' || obj.avatarUrl === null) {
    chat.avatarUrl = obj.avatarUrl;
  }
  if (obj.lastMessage === null) {
    chat.lastMessage = null;
  } else if (obj.lastMessage !== undefined) {
    chat.lastMessage = parseEnvelope(obj.lastMessage, context, chatId);
  }
  return chat;
}

export function parseSentMessage(raw: unknown, context: string): SentMessage {
  const obj = asObject(raw, context);
  return {
    chatId: readString(obj, 'chatId', context),
    messageId: readString(obj, 'messageId', context),
    timestamp: readNumber(obj, 'timestamp', context),
  };
}
