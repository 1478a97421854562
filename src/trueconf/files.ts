/**
 * Sending and receiving files (the seed page; protocol.md §4.5–4.6, §5).
 *
 * Sending: check the server's limits before any byte is read → `uploadFile` (an upload task)
 * → multipart POST of the bytes → `sendFile` (a chat message carrying the file).
 * Receiving: `getFileInfo` → wait while the sender is still uploading → GET `downloadUrl`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Emitter, Event } from '../common/event';
import { DisposableStore, IDisposable } from '../common/lifecycle';
import { Logger, nullLogger } from '../common/logger';
import type { RpcChannel } from './channel';
import { parseSentMessage } from './chats';
import { downloadToFile, tooLargeError } from './download';
import { rewriteToServer, ServerEndpoints } from './endpoints';
import { cancelledError, isTrueConfError, TrueConfError } from './errors';
import { waitForUploadProgress } from './file-progress';
import type { HttpTransport } from './http';
import { checkUpload, NO_UPLOAD_LIMITS, normaliseUploadLimits } from './limits';
import { checkTextLength } from './text-length';
import { FileInfo, FileReadyState, ParseMode, SentFile, UploadLimits } from './types';
import { FileSource, uploadBytes } from './upload';
import { asObject, protocolError, readOptionalReadyState, readOptionalString, readSize, readString } from './validate';

export interface FileApiOptions {
  /** Fetch download URLs from the configured server even when they name another host (default true). */
  rewriteDownloadHost?: boolean;
}

export interface SendFileProgress {
  phase: 'preparing' | 'uploading' | 'sending';
  /** File bytes handed to the connection. */
  sent: number;
  total: number;
}

export interface SendFileOptions {
  chatId: string;
  source: FileSource;
  /** Sent by the server as a separate text message before the file (its id is `captionMessageId`). */
  caption?: { text: string; parseMode?: ParseMode };
  replyMessageId?: string;
  /** An image shown in the chat for this file; without one the file appears as a document. */
  preview?: FileSource;
  onProgress?(progress: SendFileProgress): void;
  signal?: AbortSignal;
}

export interface WaitUntilReadyOptions {
  signal?: AbortSignal;
  /** Bytes of the file the server has received from its sender. */
  onProgress?(bytes: number, total: number): void;
  /** Give up when the sender's upload makes no progress for this long (default 60 s). */
  timeoutMs?: number;
}

export interface FileDownloadProgress {
  /** `waiting`: the sender is still uploading; `downloading`: bytes are coming to this machine. */
  phase: 'waiting' | 'downloading';
  bytes: number;
  total: number;
}

export interface FileDownloadOptions {
  /** Refuse files larger than this many bytes. */
  maxBytes?: number;
  signal?: AbortSignal;
  onProgress?(progress: FileDownloadProgress): void;
  /** See WaitUntilReadyOptions.timeoutMs. */
  timeoutMs?: number;
}

const DEFAULT_MIME_TYPE = 'application/octet-stream';
const DEFAULT_STALL_TIMEOUT_MS = 60_000;
/** After the last progress event the READY flip can lag (protocol.md §4.6): poll like TrueConf's own client. */
const READY_POLL_INTERVAL_MS = 500;
const READY_POLL_LIMIT_MS = 10_000;

export class FileApi implements IDisposable {
  private readonly store = new DisposableStore();
  private readonly limitsEmitter = this.store.add(new Emitter<UploadLimits>());
  private currentLimits: UploadLimits | undefined;
  private limitsRequest: Promise<UploadLimits> | undefined;
  private readonly rewriteDownloadHost: boolean;

  /** Fires when the server's upload limits become known or change. */
  readonly onDidChangeLimits: Event<UploadLimits> = this.limitsEmitter.event;

  constructor(
    private readonly rpc: RpcChannel,
    private readonly http: HttpTransport,
    private readonly endpoints: ServerEndpoints,
    private readonly logger: Logger = nullLogger,
    options: FileApiOptions = {},
  ) {
    this.rewriteDownloadHost = options.rewriteDownloadHost ?? true;
    this.store.add(rpc.onNotification('getFileUploadLimits', (payload) => this.onLimitsPushed(payload)));
  }

  /** The server's upload limits as last pushed or fetched; undefined until known. */
  get limits(): UploadLimits | undefined {
    return this.currentLimits;
  }

  /**
   * The server's upload limits, fetched once and then kept up to date by the server's pushes.
   * Servers before 5.5.3 do not know the method: they enforce no limits the client can check.
   */
  getFileUploadLimits(options: { signal?: AbortSignal } = {}): Promise<UploadLimits> {
    if (this.currentLimits) {
      return Promise.resolve(this.currentLimits);
    }
    this.limitsRequest ??= this.requestLimits(options.signal).finally(() => (this.limitsRequest = undefined));
    return this.limitsRequest;
  }

  /**
   * Send a file to a chat. The limits and the caption's length are checked before any byte is
   * read. If the connection drops after the final `sendFile` request went out, the file may or
   * may not be in the chat: that is reported, and nothing is sent twice.
   */
  async sendFile(options: SendFileOptions): Promise<SentFile> {
    const { source, signal } = options;
    const report = (phase: SendFileProgress['phase'], sent: number) => options.onProgress?.({ phase, sent, total: source.size });
    if (signal?.aborted) {
      throw cancelledError(signal.reason);
    }
    report('preparing', 0);
    if (options.caption) {
      checkTextLength(options.caption.text, options.caption.parseMode, 'caption');
    }
    checkUpload(await this.getFileUploadLimits({ signal }), source.name, source.size);
    const uploadTaskId = await this.createUploadTask(source, signal);
    report('uploading', 0);
    const temporalFileId = await uploadBytes(this.http, this.endpoints, uploadTaskId, source, {
      preview: options.preview,
      signal,
      onProgress: (sent) => report('uploading', sent),
    });
    report('sending', source.size);
    return this.attachToMessage(options, temporalFileId);
  }

  async getFileInfo(fileId: string, options: { signal?: AbortSignal } = {}): Promise<FileInfo> {
    return parseFileInfo(await this.rpc.request('getFileInfo', { fileId }, { signal: options.signal }));
  }

  /**
   * The file's info once it can be downloaded. While its sender is still uploading, follow the
   * server's progress events; then give the READY state a few seconds to appear.
   */
  async waitUntilReady(fileId: string, options: WaitUntilReadyOptions = {}): Promise<FileInfo> {
    return this.waitForInfo(await this.getFileInfo(fileId, { signal: options.signal }), options);
  }

  /**
   * Download a file to `destPath` (atomically: a partial file never appears there). Waits for
   * the sender's upload to finish first. Resolves with the file's info.
   */
  async download(file: string | FileInfo, destPath: string, options: FileDownloadOptions = {}): Promise<FileInfo> {
    const { signal, maxBytes, onProgress } = options;
    const known = typeof file === 'string' ? await this.getFileInfo(file, { signal }) : file;
    if (maxBytes !== undefined && known.size > maxBytes) {
      throw tooLargeError(known.name, maxBytes);
    }
    const info = await this.waitForInfo(known, {
      signal,
      timeoutMs: options.timeoutMs,
      onProgress: (bytes, total) => onProgress?.({ phase: 'waiting', bytes, total }),
    });
    await downloadToFile(this.http, this.downloadUrlFor(info), destPath, {
      expectedSize: info.size,
      expectedMimeType: info.mimeType,
      maxBytes,
      signal,
      logger: this.logger,
      onProgress: (bytes) => onProgress?.({ phase: 'downloading', bytes, total: info.size }),
    });
    return info;
  }

  dispose(): void {
    this.store.dispose();
  }

  private async requestLimits(signal: AbortSignal | undefined): Promise<UploadLimits> {
    let limits: UploadLimits;
    try {
      limits = normaliseUploadLimits(await this.rpc.request('getFileUploadLimits', {}, { signal }));
    } catch (err) {
      if (!isTrueConfError(err, 'api') && !isTrueConfError(err, 'protocol')) {
        throw err;
      }
      this.logger.info('The server did not report its upload limits; relying on its own checks.', err);
      limits = NO_UPLOAD_LIMITS;
    }
    // A push that arrived while the request was out is at least as fresh as this answer.
    if (this.currentLimits === undefined) {
      this.setLimits(limits);
    }
    return this.currentLimits ?? limits;
  }

  private onLimitsPushed(payload: unknown): void {
    try {
      this.setLimits(normaliseUploadLimits(payload));
    } catch (err) {
      this.logger.warn('Ignored malformed upload limits from the server:', err);
    }
  }

  private setLimits(limits: UploadLimits): void {
    const changed = JSON.stringify(limits) !== JSON.stringify(this.currentLimits);
    this.currentLimits = limits;
    if (changed) {
      this.limitsEmitter.fire(limits);
    }
  }

  private async createUploadTask(source: FileSource, signal: AbortSignal | undefined): Promise<string> {
    // fileName is required from server 5.5.3 and harmless before: always send both (protocol.md §0).
    const payload = await this.rpc.request('uploadFile', { fileSize: source.size, fileName: source.name }, { signal });
    const uploadTaskId = readString(asObject(payload, 'uploadFile'), 'uploadTaskId', 'uploadFile');
    if (uploadTaskId.length === 0) {
      throw protocolError('uploadFile', '"uploadTaskId" is empty');
    }
    return uploadTaskId;
  }

  private async attachToMessage(options: SendFileOptions, temporalFileId: string): Promise<SentFile> {
    const content: Record<string, unknown> = { temporalFileId };
    if (options.caption) {
      content.caption = { text: options.caption.text, parseMode: options.caption.parseMode ?? 'text' };
    }
    const request: Record<string, unknown> = { chatId: options.chatId, content };
    if (options.replyMessageId !== undefined) {
      request.replyMessageId = options.replyMessageId;
    }
    let answer: unknown;
    try {
      // A 203 answer means the server refused it, so the transport's one retry after re-auth is safe.
      answer = await this.rpc.request('sendFile', request, { signal: options.signal, retryOnExpiredToken: true });
    } catch (err) {
      throw sendFileFailure(err, options.source.name);
    }
    const sent = parseSentMessage(answer, 'sendFile');
    const obj = asObject(answer, 'sendFile');
    const result: SentFile = { ...sent, fileId: readString(obj, 'fileId', 'sendFile') };
    const captionMessageId = readOptionalString(obj, 'captionMessageId', 'sendFile');
    if (captionMessageId !== undefined) {
      result.captionMessageId = captionMessageId;
    }
    return result;
  }

  private async waitForInfo(info: FileInfo, options: WaitUntilReadyOptions): Promise<FileInfo> {
    if (isReady(info)) {
      return info;
    }
    if (info.readyState === FileReadyState.NotAvailable) {
      throw notAvailable(info.name);
    }
    if (info.readyState === FileReadyState.Uploading) {
      await waitForUploadProgress(this.rpc, info, {
        signal: options.signal,
        onProgress: options.onProgress,
        stallTimeoutMs: options.timeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
        logger: this.logger,
      });
    }
    return this.pollUntilReady(info, options.signal);
  }

  private async pollUntilReady(info: FileInfo, signal: AbortSignal | undefined): Promise<FileInfo> {
    const deadline = Date.now() + READY_POLL_LIMIT_MS;
    for (;;) {
      const current = await this.getFileInfo(info.fileId, { signal });
      if (isReady(current)) {
        return current;
      }
      if (current.readyState === FileReadyState.NotAvailable) {
        throw notAvailable(current.name);
      }
      if (Date.now() >= deadline) {
        throw new TrueConfError('fileNotReady', `"${current.name}" has arrived at the server but is not ready to download yet. Try again in a moment.`);
      }
      try {
        await sleep(READY_POLL_INTERVAL_MS, undefined, { signal });
      } catch {
        throw cancelledError(signal?.reason);
      }
    }
  }

  private downloadUrlFor(info: FileInfo): string {
    const url = info.downloadUrl as string;
    let target: URL;
    try {
      target = new URL(url, this.endpoints.origin);
    } catch {
      throw protocolError('getFileInfo', '"downloadUrl" is not a valid URL');
    }
    if (!this.rewriteDownloadHost || target.origin === this.endpoints.origin) {
      return target.toString();
    }
    this.logger.debug(`The download link of ${info.fileId} names ${target.host}; fetching it from ${this.endpoints.host}.`);
    return rewriteToServer(url, this.endpoints);
  }
}

function isReady(info: FileInfo): boolean {
  return info.readyState === FileReadyState.Ready && info.downloadUrl !== null;
}

function notAvailable(name: string): TrueConfError {
  return new TrueConfError('fileNotReady', `"${name}" is no longer available on the server.`);
}

function sendFileFailure(err: unknown, name: string): unknown {
  const unknownOutcome = `the file may or may not have been sent; check the chat before sending it again.`;
  if (isTrueConfError(err, 'cancelled')) {
    return new TrueConfError('cancelled', `Cancelled while "${name}" was being sent: ${unknownOutcome}`, { cause: err });
  }
  if (isTrueConfError(err) && err.isTransient) {
    return new TrueConfError('unreachable', `The connection was lost while "${name}" was being sent: ${unknownOutcome}`, { cause: err });
  }
  return err;
}

/** Normalise a getFileInfo answer from either dialect (`fileId` or `infoHash`; `previews` null or absent). */
export function parseFileInfo(payload: unknown): FileInfo {
  const context = 'getFileInfo';
  const obj = asObject(payload, context);
  const fileId = readOptionalString(obj, 'fileId', context) ?? readOptionalString(obj, 'infoHash', context);
  if (fileId === undefined) {
    throw protocolError(context, 'neither "fileId" nor "infoHash" is present');
  }
  const readyState = readOptionalReadyState(obj, context);
  if (readyState === undefined) {
    throw protocolError(context, '"readyState" is missing');
  }
  const downloadUrl = readOptionalString(obj, 'downloadUrl', context);
  return {
    fileId,
    name: readString(obj, 'name', context),
    size: readSize(obj, 'size', context),
    mimeType: readOptionalString(obj, 'mimeType', context) ?? DEFAULT_MIME_TYPE,
    readyState,
    downloadUrl: readyState === FileReadyState.Ready && downloadUrl ? downloadUrl : null,
    previews: parsePreviews(obj.previews, context),
  };
}

function parsePreviews(value: unknown, context: string): FileInfo['previews'] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw protocolError(context, '"previews" should be a list');
  }
  return value.flatMap((raw) => {
    const preview = asObject(raw, context, 'a preview');
    const downloadUrl = readOptionalString(preview, 'downloadUrl', context);
    if (!downloadUrl) {
      return []; // not downloadable (yet): nothing to offer
    }
    return [
      {
        name: readString(preview, 'name', context),
        size: readSize(preview, 'size', context),
        mimeType: readOptionalString(preview, 'mimeType', context) ?? DEFAULT_MIME_TYPE,
        downloadUrl,
      },
    ];
  });
}
