/**
 * Message envelopes (protocol.md §4.8): parsing what the server pushes as `sendMessage`
 * notifications and returns from history, and picking out the messages that carry a file.
 *
 * Required fields are checked strictly (TrueConfError 'protocol'); optional extras that are
 * malformed are left out rather than failing the whole message.
 */
import type { IDisposable } from '../common/lifecycle';
import { Logger, nullLogger } from '../common/logger';
import type { RpcChannel } from './channel';
import { Envelope, EnvelopeType, IncomingFile } from './types';
import { asObject, Fields, isObject, protocolError, readNumber, readOptionalReadyState, readOptionalString, readSize, readString } from './validate';

const DEFAULT_MIME_TYPE = 'application/octet-stream';

/**
 * Parse one envelope. `chatId` stands in when the envelope has none (a chat's `lastMessage`
 * omits it). Throws TrueConfError('protocol') when a required field is missing or mistyped.
 */
export function parseEnvelope(raw: unknown, context: string, chatId?: string): Envelope {
  const obj = asObject(raw, context, 'a message');
  const author = asObject(obj.author, context, 'a message author');
  const envelope: Envelope = {
    messageId: readString(obj, 'messageId', context),
    chatId: obj.chatId === undefined && chatId !== undefined ? chatId : readString(obj, 'chatId', context),
    timestamp: readNumber(obj, 'timestamp', context),
    author: { id: readString(author, 'id', context), type: readNumber(author, 'type', context) },
    type: readNumber(obj, 'type', context),
    content: obj.content,
  };
  if (typeof obj.isEdited === 'boolean') {
    envelope.isEdited = obj.isEdited;
  }
  if (typeof obj.replyMessageId === 'string' || obj.replyMessageId === null) {
    envelope.replyMessageId = obj.replyMessageId;
  }
  if (isObject(obj.box) && typeof obj.box.id === 'number') {
    envelope.box = { id: obj.box.id, position: String(obj.box.position ?? '') };
  }
  if (isObject(obj.chat) && typeof obj.chat.chatId === 'string' && typeof obj.chat.chatType === 'number') {
    const title = obj.chat.chatTitle;
    envelope.chat = { chatId: obj.chat.chatId, chatTitle: typeof title === 'string' ? title : null, chatType: obj.chat.chatType };
  }
  return envelope;
}

/**
 * The file carried by a `sendMessage` notification, or undefined when it carries none. A file
 * message has type 202 (live servers) or 2 (the seed page) *and* a string `content.fileId` — so
 * a type-2 REMOVE_PARTICIPANT system envelope (`content: {userId}`) is not mistaken for one.
 * Throws TrueConfError('protocol') for a file message whose fields have the wrong types, and for
 * an envelope of a file type whose `content` is not an object at all.
 */
export function parseFileMessage(envelope: unknown): IncomingFile | undefined {
  const context = 'a file message';
  if (isObject(envelope) && isFileType(envelope.type) && !isObject(envelope.content)) {
    // Every envelope of these types has object content (a file, or a system envelope's {userId}).
    throw protocolError(context, '"content" should be an object');
  }
  if (!isFileEnvelope(envelope)) {
    return undefined;
  }
  const message = parseEnvelope(envelope, context);
  const content = envelope.content;
  const file: IncomingFile = {
    chatId: message.chatId,
    messageId: message.messageId,
    timestamp: message.timestamp,
    authorId: message.author.id,
    fileId: readString(content, 'fileId', context),
    name: readString(content, 'name', context),
    size: readSize(content, 'size', context),
    mimeType: readOptionalString(content, 'mimeType', context) ?? DEFAULT_MIME_TYPE,
  };
  const readyState = readOptionalReadyState(content, context);
  if (readyState !== undefined) {
    file.readyState = readyState;
  }
  if (message.chat) {
    file.chatTitle = message.chat.chatTitle;
    file.chatType = message.chat.chatType;
  }
  return file;
}

function isFileEnvelope(envelope: unknown): envelope is Fields & { content: Fields } {
  return isObject(envelope) && isFileType(envelope.type) && isObject(envelope.content) && typeof envelope.content.fileId === 'string';
}

function isFileType(type: unknown): boolean {
  return type === EnvelopeType.Attachment || type === EnvelopeType.SeedAttachment;
}

/** `bot@video.example.com/4f1c2a` → `bot@video.example.com`: drop the instance suffix (protocol.md §2). */
export function normaliseUserId(id: string): string {
  const slash = id.indexOf('/');
  return (slash < 0 ? id : id.slice(0, slash)).trim();
}

/** True when the message was written by this account (from any of its sessions). */
export function isOwnMessage(message: Pick<Envelope, 'author'> | Pick<IncomingFile, 'authorId'>, ownUserId: string): boolean {
  const authorId = 'author' in message ? message.author.id : message.authorId;
  return normaliseUserId(authorId).toLowerCase() === normaliseUserId(ownUserId).toLowerCase();
}

/**
 * Call `listener` for every file message the server pushes. Malformed file messages are
 * logged and skipped; other messages are ignored.
 */
export function onFileMessage(rpc: RpcChannel, listener: (file: IncomingFile) => void, logger: Logger = nullLogger): IDisposable {
  return rpc.onNotification('sendMessage', (payload) => {
    if (!isObject(payload)) {
      logger.warn(`Ignored a sendMessage notification whose payload is not a message (${payload === null ? 'null' : typeof payload}).`);
      return;
    }
    let file: IncomingFile | undefined;
    try {
      file = parseFileMessage(payload);
    } catch (err) {
      logger.warn('Ignored a file message:', err);
      return;
    }
    if (file) {
      listener(file);
    }
  });
}
