/**
 * Downloaded chat files, kept under the extension's global storage:
 * `<globalStorage>/files/<fileId>/<sanitised name>`. A file is downloaded once and reused on
 * every later open, drag or Save As; a cached copy counts only when its size is the size the
 * server announced. Names and ids come from other people, so every path is built from
 * sanitised parts and checked to stay inside the cache directory before anything is written.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { idToDirectoryName, resolveInside, sanitiseFileName } from '../common/fileNames';
import { incomingFileKey } from '../common/incomingOrder';
import { Logger, nullLogger } from '../common/logger';
import { Settings } from '../constants';
import { TrueConfError } from '../trueconf/errors';
import type { FileApi, FileDownloadProgress } from '../trueconf/files';
import { formatBytes } from '../trueconf/limits';
import { FileReadyState, IncomingFile } from '../trueconf/types';
import type { IncomingFilesService } from './incomingFiles';
import { showWarningMessage } from './messages';

/** The parts of an incoming file the cache needs. */
export interface CacheableFile {
  readonly fileId: string;
  readonly name: string;
  readonly size: number;
}

/** A complete copy in the cache; `size` is what the server reported when it was downloaded. */
export interface CachedFile {
  readonly path: string;
  readonly size: number;
}

export interface CacheFetchOptions {
  signal?: AbortSignal;
  onProgress?(progress: FileDownloadProgress): void;
}

export class FileCache {
  /** Downloads in flight by fileId: a second request for the same file joins the first. */
  private readonly inFlight = new Map<string, Promise<CachedFile>>();

  constructor(
    /** `<globalStorage>/files`. */
    readonly root: string,
    private readonly logger: Logger = nullLogger,
  ) {}

  /** Where the file lives (or will live) in the cache. Throws UnsafePathError if that would leave the cache. */
  pathFor(file: Pick<CacheableFile, 'fileId' | 'name'>): string {
    const dir = resolveInside(this.root, idToDirectoryName(file.fileId));
    return resolveInside(dir, sanitiseFileName(file.name));
  }

  /** The cached copy's path when it is complete (its size is `file.size`), else undefined. Never touches the network. */
  async lookup(file: CacheableFile): Promise<string | undefined> {
    const target = this.pathFor(file);
    try {
      const info = await stat(target);
      if (info.isFile() && info.size === file.size) {
        return target;
      }
      this.logger.info(`The cached copy of ${file.fileId} has ${info.size} bytes instead of ${file.size}; downloading it again.`);
    } catch {
      // Not cached.
    }
    return undefined;
  }

  /**
   * The cached copy, downloading it first when needed. Concurrent calls for the same file share
   * one download.
   */
  fetch(file: CacheableFile, files: FileApi, options: CacheFetchOptions = {}): Promise<CachedFile> {
    let pending = this.inFlight.get(file.fileId);
    if (!pending) {
      pending = this.download(file, files, options).finally(() => this.inFlight.delete(file.fileId));
      this.inFlight.set(file.fileId, pending);
    }
    return pending;
  }

  /** Forget cached copies (best effort: a file in use stays until it can be removed). */
  async remove(fileIds: Iterable<string>): Promise<void> {
    await Promise.all(
      [...fileIds].map((fileId) =>
        rm(resolveInside(this.root, idToDirectoryName(fileId)), { recursive: true, force: true }).catch((err: unknown) =>
          this.logger.warn(`Could not remove the cached copy of ${fileId}:`, err),
        ),
      ),
    );
  }

  /** Forget every cached copy. */
  async clear(): Promise<void> {
    await rm(this.root, { recursive: true, force: true }).catch((err: unknown) => this.logger.warn('Could not clear the download cache:', err));
  }

  private async download(file: CacheableFile, files: FileApi, options: CacheFetchOptions): Promise<CachedFile> {
    const target = this.pathFor(file);
    const cached = await this.lookup(file);
    if (cached) {
      return { path: cached, size: file.size };
    }
    await mkdir(path.dirname(target), { recursive: true });
    const started = Date.now();
    const info = await files.download(file.fileId, target, { signal: options.signal, onProgress: options.onProgress });
    this.logger.info(`Downloaded ${file.fileId} (${info.size} bytes) in ${Date.now() - started} ms.`);
    return { path: target, size: info.size };
  }
}

/** Asks whether a file larger than `trueconf.download.maxSizeMB` may be downloaded. */
export type LargeDownloadPrompt = (file: IncomingFile, limitBytes: number) => Promise<boolean>;

/** Files at least this large, or still being uploaded by their sender, show a cancellable notification. */
const NOTIFICATION_PROGRESS_BYTES = 10 * 1024 * 1024;
const MB = 1024 * 1024;

/**
 * Getting an incoming file onto this machine: the cache first (no network, no questions), then
 * — after asking about files over the size limit — a download with progress in the window.
 */
export class IncomingFileDownloads {
  /** Files the user agreed to download in this session: asked once, not again on the next read. */
  private readonly approved = new Set<string>();
  private prompt: LargeDownloadPrompt = askBeforeLargeDownload;

  constructor(
    readonly cache: FileCache,
    private readonly model: IncomingFilesService,
  ) {}

  /** The complete cached copy, or undefined. Never touches the network. */
  cached(file: IncomingFile): Promise<string | undefined> {
    return this.cache.lookup(file);
  }

  /**
   * True when the file may be downloaded: it is cached, small enough, or the user agreed now or
   * earlier in this session.
   */
  async confirm(file: IncomingFile): Promise<boolean> {
    const limit = downloadLimitBytes();
    if (file.size <= limit || this.approved.has(file.fileId) || (await this.cache.lookup(file))) {
      return true;
    }
    const agreed = await this.prompt(file, limit);
    if (agreed) {
      this.approved.add(file.fileId);
    }
    return agreed;
  }

  /**
   * The cached copy's path, downloading it first when needed (asking first when it is large).
   * Rejects with TrueConfError('cancelled') when the user declines or cancels.
   */
  async ensureLocal(file: IncomingFile, token?: vscode.CancellationToken): Promise<string> {
    const hit = await this.cache.lookup(file);
    if (hit) {
      return hit;
    }
    if (!(await this.confirm(file))) {
      throw new TrueConfError('cancelled', vscode.l10n.t('The download of "{0}" was cancelled.', file.name));
    }
    const noisy = file.size >= NOTIFICATION_PROGRESS_BYTES || file.readyState === FileReadyState.Uploading;
    return vscode.window.withProgress(
      {
        location: noisy ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
        title: vscode.l10n.t('TrueConf'),
        cancellable: noisy,
      },
      async (progress, progressToken) => {
        const controller = new AbortController();
        const subscriptions = [progressToken, token].map((t) => t?.onCancellationRequested(() => controller.abort()));
        try {
          progress.report({ message: vscode.l10n.t('Getting "{0}"…', file.name) });
          const apis = await this.model.connectedApis(controller.signal);
          let reported = 0;
          const result = await this.cache.fetch(file, apis.files, {
            signal: controller.signal,
            onProgress: ({ phase, bytes, total }) => {
              const percent = total > 0 ? Math.floor((bytes / total) * 100) : 0;
              progress.report({
                message:
                  phase === 'waiting'
                    ? vscode.l10n.t('"{0}" is still being uploaded by its sender ({1}%)…', file.name, percent)
                    : vscode.l10n.t('Downloading "{0}" ({1}%)…', file.name, percent),
                increment: phase === 'downloading' ? percent - reported : undefined,
              });
              if (phase === 'downloading') {
                reported = percent;
              }
            },
          });
          this.model.applyFileInfo(incomingFileKey(file), { size: result.size, readyState: FileReadyState.Ready });
          return result.path;
        } finally {
          subscriptions.forEach((s) => s?.dispose());
        }
      },
    );
  }

  /** Replace the "Download 250 MB?" question, e.g. in automated tests; dispose to restore it. */
  overridePrompt(prompt: LargeDownloadPrompt): vscode.Disposable {
    this.prompt = prompt;
    return new vscode.Disposable(() => {
      if (this.prompt === prompt) {
        this.prompt = askBeforeLargeDownload;
      }
    });
  }
}

/** `trueconf.download.maxSizeMB` in bytes. */
function downloadLimitBytes(): number {
  const mb = vscode.workspace.getConfiguration(Settings.section).get<number>(Settings.downloadMaxSizeMB, 100);
  return (Number.isFinite(mb) && mb > 0 ? mb : 100) * MB;
}

async function askBeforeLargeDownload(file: IncomingFile, limitBytes: number): Promise<boolean> {
  const download = vscode.l10n.t('Download');
  const answer = await showWarningMessage(
    vscode.l10n.t('Download {0}?', formatBytes(file.size)),
    {
      modal: true,
      detail: vscode.l10n.t(
        '"{0}" is larger than {1}, the limit set in {2}.',
        file.name,
        formatBytes(limitBytes),
        `${Settings.section}.${Settings.downloadMaxSizeMB}`,
      ),
    },
    download,
  );
  return answer === download;
}
