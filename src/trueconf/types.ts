/**
 * Wire types of the TrueConf Chatbot Connector API (see protocol.md; the seed page for files).
 * Shapes accept both the seed page's and the live servers' dialects where they differ.
 */

export const MessageType = { Request: 1, Response: 2 } as const;

export interface RequestFrame<P = unknown> {
  type: 1;
  id: number;
  method: string;
  payload?: P;
}

export interface ResponseFrame<P = unknown> {
  type: 2;
  id: number;
  payload?: P;
}

export type Frame = RequestFrame | ResponseFrame;

export const ChatType = { Undefined: 0, P2P: 1, Group: 2, System: 3, Favorites: 5, Channel: 6 } as const;
export type ChatTypeValue = (typeof ChatType)[keyof typeof ChatType];

export const EnvelopeType = {
  AddParticipant: 1,
  /** The seed page's value for a file message (also REMOVE_PARTICIPANT among system types). Accepted as a file when content has a fileId. */
  SeedAttachment: 2,
  PlainMessage: 200,
  ForwardedMessage: 201,
  Attachment: 202,
  Location: 203,
  Survey: 204,
} as const;

export const FileReadyState = { NotAvailable: 0, Uploading: 1, Ready: 2 } as const;
export type FileReadyStateValue = (typeof FileReadyState)[keyof typeof FileReadyState];

export type ParseMode = 'text' | 'markdown' | 'html';

export interface Author {
  id: string;
  type: number;
}

export interface Envelope<C = unknown> {
  messageId: string;
  chatId: string;
  timestamp: number;
  author: Author;
  box?: { id: number; position: string };
  type: number;
  isEdited?: boolean;
  replyMessageId?: string | null;
  content: C;
  chat?: { chatId: string; chatTitle: string | null; chatType: number };
}

export interface TextContent {
  text: string;
  parseMode?: ParseMode;
}

export interface FileContent {
  name: string;
  mimeType?: string;
  size: number;
  fileId: string;
  readyState?: FileReadyStateValue;
}

/** A file message, normalised from either dialect (type 2 per the seed, 202 on live servers). */
export interface IncomingFile {
  chatId: string;
  messageId: string;
  timestamp: number;
  authorId: string;
  fileId: string;
  name: string;
  size: number;
  mimeType: string;
  readyState?: FileReadyStateValue;
  chatTitle?: string | null;
  chatType?: number;
}

export interface Chat {
  chatId: string;
  title: string | null;
  chatType: number;
  unreadMessages?: number;
  avatarUrl?: string | null;
  lastMessage?: Envelope | null;
}

export interface FileInfo {
  /** `fileId` on newer servers, `infoHash` on older ones and in the seed; normalised here. */
  fileId: string;
  name: string;
  size: number;
  mimeType: string;
  readyState: FileReadyStateValue;
  downloadUrl: string | null;
  previews: Array<{ name: string; size: number; mimeType: string; downloadUrl: string }>;
}

export interface UploadLimits {
  /** Bytes, or null for no limit. */
  maxSize: number | null;
  extensions: { mode: 'allow' | 'block'; list: string[] } | null;
}

export interface SentMessage {
  chatId: string;
  messageId: string;
  timestamp: number;
}

export interface SentFile extends SentMessage {
  fileId: string;
  captionMessageId?: string;
}

export interface ChatHistory {
  chatId: string;
  count: number;
  messages: Envelope[];
}

/** Maximum visible characters in a text message or a caption (protocol.md §4.3). */
export const MAX_TEXT_LENGTH = 4096;
