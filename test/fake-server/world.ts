/**
 * The fake server's data: users, chats with participants and roles, per-chat message
 * logs with increasing `box.id` (protocol.md §7 item 9), files, upload tasks and
 * temporal file ids. No sockets here — server.ts owns the transport and decides who
 * gets which notification; this module only keeps state and renders wire shapes.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ChatType, Dialect, FakeUser, ParticipantRole, StoredMessage } from './types';

export interface ChatRec {
  chatId: string;
  type: ChatType;
  /** Null for P2P chats (their title is the peer's name, per viewer) and untitled favourites. */
  title: string | null;
  /** login → role, in the order participants were added. */
  participants: Map<string, ParticipantRole>;
  messages: MessageRec[];
  nextBoxId: number;
  /** Creation order, to break ties in getChats ordering. */
  seq: number;
  /** Bumped (from a world-wide counter) on creation and on every message: getChats order. */
  lastActivity: number;
  avatarUrl: string | null;
  /** login → highest box id hidden by that user's clearHistory(forAll=false). */
  clearedUpTo: Map<string, number>;
}

export type MessageKind = 'text' | 'file' | 'system' | 'custom';

export interface MessageRec {
  messageId: string;
  chatId: string;
  timestamp: number;
  /** Author login; for system envelopes, the user whose action caused it. */
  author: string;
  kind: MessageKind;
  /** Envelope type for text (200), system (< 200) and custom messages; file messages take theirs from the dialect. */
  type: number;
  content: Record<string, unknown>;
  fileId?: string;
  replyMessageId: string | null;
  isEdited: boolean;
  boxId: number;
  /** Logins that removed this message for themselves. */
  hiddenFor: Set<string>;
  /** Logins that have read it (author included; an ack of the notification marks it read — seed page). */
  readBy: Set<string>;
}

export interface StoredBytes {
  name: string;
  mimeType: string;
  size: number;
  path: string;
  /** The capability token in the download URL (protocol.md §5, §7 item 23). */
  token: string;
}

export interface FileRec extends StoredBytes {
  fileId: string;
  /** 0 NOT_AVAILABLE, 1 UPLOADING, 2 READY (protocol.md §4.6). */
  readyState: 0 | 1 | 2;
  /** Bytes "received" so far; equals size once the upload finished. */
  progress: number;
  previews: StoredBytes[];
  /** Chats a message with this file was posted to; the file is visible to their members. */
  chats: Set<string>;
  uploader: string;
  /** Resolves when readyState becomes 2. */
  ready: Promise<void>;
  markReady: () => void;
}

export interface UploadTask {
  id: string;
  login: string;
  size: number;
  name: string | null;
  createdAt: number;
  state: 'new' | 'uploading' | 'used' | 'failed';
}

export interface TemporalFile {
  id: string;
  login: string;
  name: string;
  mimeType: string;
  size: number;
  path: string;
  preview?: { name: string; mimeType: string; size: number; path: string };
  createdAt: number;
  used: boolean;
}

/** Life of upload tasks and temporal file ids (seed page: "short-lived"; 10 minutes chosen). */
export const TRANSIENT_ID_TTL_MS = 10 * 60 * 1000;

/** 40 hex characters, the sha1-like shape of P2P/favourites chat ids and file ids. */
export function hex40(seed?: string): string {
  return seed === undefined
    ? randomBytes(20).toString('hex')
    : createHash('sha1').update(seed).digest('hex');
}

export class World {
  readonly users = new Map<string, FakeUser>();
  readonly chats = new Map<string, ChatRec>();
  readonly messages = new Map<string, MessageRec>();
  readonly files = new Map<string, FileRec>();
  readonly uploadTasks = new Map<string, UploadTask>();
  readonly temporalFiles = new Map<string, TemporalFile>();
  private chatSeq = 0;
  private activitySeq = 0;

  constructor(public readonly domain: string) {}

  userId(login: string): string {
    return `${login}@${this.domain}`;
  }

  /**
   * Resolve a TrueConf id (`login@domain`, optionally with a `/instance` suffix as in
   * auth answers — protocol.md §2) to a known login, or null.
   */
  loginOf(userId: string): string | null {
    const bare = userId.split('/')[0];
    const at = bare.lastIndexOf('@');
    if (at <= 0 || bare.slice(at + 1).toLowerCase() !== this.domain.toLowerCase()) {
      return null;
    }
    const login = bare.slice(0, at);
    return this.users.has(login) ? login : null;
  }

  displayName(login: string): string {
    return this.users.get(login)?.displayName ?? login;
  }

  p2pChatId(a: string, b: string): string {
    return hex40(`p2p:${[this.userId(a), this.userId(b)].sort().join('|')}`);
  }

  favouritesChatId(login: string): string {
    return hex40(`favorites:${this.userId(login)}`);
  }

  /**
   * Create a chat. P2P and favourites chats are get-or-create (their ids derive from the
   * members); group chats and channels get an opaque id unless one is given.
   */
  createChat(type: ChatType, logins: string[], title: string | null, id?: string): { chat: ChatRec; created: boolean } {
    for (const login of logins) {
      if (!this.users.has(login)) {
        throw new Error(`Unknown user "${login}"`);
      }
    }
    const unique = [...new Set(logins)];
    let chatId = id;
    if (type === 1) {
      if (unique.length !== 2) {
        throw new Error('A P2P chat has exactly two different participants');
      }
      chatId ??= this.p2pChatId(unique[0], unique[1]);
    } else if (type === 5) {
      if (unique.length !== 1) {
        throw new Error('A favourites chat has exactly one participant');
      }
      chatId ??= this.favouritesChatId(unique[0]);
    } else {
      if (unique.length < 1) {
        throw new Error('A chat needs at least one participant');
      }
      chatId ??= `${type === 2 ? 'group' : 'channel'}_${randomBytes(12).toString('hex')}`;
    }
    const existing = this.chats.get(chatId);
    if (existing) {
      return { chat: existing, created: false };
    }
    const participants = new Map<string, ParticipantRole>();
    unique.forEach((login, i) => {
      participants.set(login, type === 5 ? 'favorites_owner' : type === 1 ? 'user' : i === 0 ? 'owner' : 'user');
    });
    const chat: ChatRec = {
      chatId,
      type,
      title: type === 1 ? null : title ?? null,
      participants,
      messages: [],
      nextBoxId: 1,
      seq: ++this.chatSeq,
      lastActivity: ++this.activitySeq,
      avatarUrl: null,
      clearedUpTo: new Map(),
    };
    this.chats.set(chatId, chat);
    return { chat, created: true };
  }

  removeChat(chat: ChatRec): void {
    this.chats.delete(chat.chatId);
    for (const msg of chat.messages) {
      this.messages.delete(msg.messageId);
    }
    for (const file of this.files.values()) {
      file.chats.delete(chat.chatId);
    }
  }

  /** The chat title a given member sees: a P2P chat is named after the other person. */
  titleFor(chat: ChatRec, viewer: string): string | null {
    if (chat.type === 1) {
      const peer = [...chat.participants.keys()].find((l) => l !== viewer) ?? viewer;
      return this.displayName(peer);
    }
    return chat.title;
  }

  isVisible(msg: MessageRec, viewer: string): boolean {
    const chat = this.chats.get(msg.chatId);
    if (!chat || !chat.participants.has(viewer) || msg.hiddenFor.has(viewer)) {
      return false;
    }
    return msg.boxId > (chat.clearedUpTo.get(viewer) ?? 0);
  }

  visibleMessages(chat: ChatRec, viewer: string): MessageRec[] {
    return chat.messages.filter((m) => this.isVisible(m, viewer));
  }

  /** Messages from others, not yet acked/read by the viewer; system envelopes don't count. */
  unreadFor(chat: ChatRec, viewer: string): MessageRec[] {
    return this.visibleMessages(chat, viewer).filter((m) => m.kind !== 'system' && !m.readBy.has(viewer));
  }

  addMessage(
    chat: ChatRec,
    author: string,
    kind: MessageKind,
    type: number,
    content: Record<string, unknown>,
    extra: { timestamp?: number; replyMessageId?: string | null; fileId?: string } = {},
  ): MessageRec {
    const msg: MessageRec = {
      messageId: randomUUID(),
      chatId: chat.chatId,
      timestamp: extra.timestamp ?? Date.now(),
      author,
      kind,
      type,
      content,
      fileId: extra.fileId,
      replyMessageId: extra.replyMessageId ?? null,
      isEdited: false,
      boxId: chat.nextBoxId++,
      hiddenFor: new Set(),
      readBy: new Set([author]),
    };
    chat.messages.push(msg);
    chat.lastActivity = ++this.activitySeq;
    this.messages.set(msg.messageId, msg);
    if (msg.fileId) {
      this.files.get(msg.fileId)?.chats.add(chat.chatId);
    }
    return msg;
  }

  fileVisibleTo(file: FileRec, login: string): boolean {
    for (const chatId of file.chats) {
      if (this.chats.get(chatId)?.participants.has(login)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The envelope as sent to `viewer` (protocol.md §4.8). The seed dialect follows the
   * seed page's example exactly (file type 2, no readyState, `box.position: ""`, no
   * `chat` object); the live dialect adds `replyMessageId`, `readyState` and `chat`.
   */
  render(msg: MessageRec, viewer: string, dialect: Dialect): StoredMessage {
    const chat = this.chats.get(msg.chatId);
    let type = msg.type;
    let content = msg.content;
    if (msg.kind === 'file' && msg.fileId) {
      type = dialect === 'seed' ? 2 : 202;
      const file = this.files.get(msg.fileId);
      content = file
        ? {
            name: file.name,
            mimeType: file.mimeType,
            size: file.size,
            fileId: file.fileId,
            ...(dialect === 'live' ? { readyState: file.readyState } : {}),
          }
        : { ...msg.content };
    }
    const env: StoredMessage = {
      chatId: msg.chatId,
      messageId: msg.messageId,
      timestamp: msg.timestamp,
      author: { id: this.userId(msg.author), type: msg.kind === 'system' ? 0 : 1 },
      isEdited: msg.isEdited,
      box: { id: msg.boxId, position: dialect === 'seed' ? '' : '0' },
      type,
      content: { ...content },
    };
    if (dialect === 'live') {
      env.replyMessageId = msg.replyMessageId;
      if (chat) {
        env.chat = { chatId: chat.chatId, chatTitle: this.titleFor(chat, viewer), chatType: chat.type };
      }
    } else if (msg.replyMessageId) {
      env.replyMessageId = msg.replyMessageId;
    }
    return env;
  }

  /** A getChats / getChatByID item (protocol.md §4.2). */
  chatSummary(chat: ChatRec, viewer: string, dialect: Dialect): Record<string, unknown> {
    const visible = this.visibleMessages(chat, viewer);
    const last = visible[visible.length - 1];
    let lastMessage: Record<string, unknown> | null = null;
    if (last) {
      const env = this.render(last, viewer, dialect);
      lastMessage = { messageId: env.messageId, timestamp: env.timestamp, author: env.author, type: env.type, content: env.content };
    }
    return {
      chatId: chat.chatId,
      title: this.titleFor(chat, viewer),
      chatType: chat.type,
      unreadMessages: this.unreadFor(chat, viewer).length,
      avatarUrl: chat.avatarUrl,
      lastMessage,
    };
  }

  /** Chats of a user, most recently active first. */
  chatsOf(login: string): ChatRec[] {
    return [...this.chats.values()]
      .filter((c) => c.participants.has(login))
      .sort((a, b) => b.lastActivity - a.lastActivity || b.seq - a.seq);
  }

  newFile(init: Omit<FileRec, 'fileId' | 'token' | 'chats' | 'ready' | 'markReady'>): FileRec {
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    const file: FileRec = {
      ...init,
      fileId: hex40(),
      token: randomBytes(16).toString('hex'),
      chats: new Set(),
      ready,
      markReady,
    };
    if (file.readyState === 2) {
      markReady();
    }
    this.files.set(file.fileId, file);
    return file;
  }
}
