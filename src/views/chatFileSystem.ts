/**
 * A read-only file system over received chat files, scheme `trueconf-file`:
 *
 *     trueconf-file:/<chatId>/<fileId>/<sanitised name>
 *
 * The tree's items carry these URIs, so `vscode.open` picks the editor a local file with that
 * name would get: text in the text editor, images in the image preview, other binaries with
 * VS Code's own handling. `stat` answers from the list's metadata without downloading, so
 * editors restored after a reload open again; `readFile` reads the download cache and downloads
 * (waiting for the sign-in and for the sender's upload, asking first for large files) only
 * when the file is not there yet.
 */
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { sanitiseFileName } from '../common/fileNames';
import { incomingFileKey } from '../common/incomingOrder';
import { Disposable } from '../common/lifecycle';
import { Logger } from '../common/logger';
import { Commands, INCOMING_FILE_SCHEME } from '../constants';
import type { IncomingFileDownloads } from '../services/fileCache';
import type { IncomingFilesService } from '../services/incomingFiles';
import { isTrueConfError } from '../trueconf/errors';
import type { IncomingFile } from '../trueconf/types';

/** The URI of a received file; its last segment is the sanitised name, so icons and editors follow the extension. */
export function incomingFileUri(file: Pick<IncomingFile, 'chatId' | 'fileId' | 'name'>): vscode.Uri {
  return vscode.Uri.from({
    scheme: INCOMING_FILE_SCHEME,
    path: `/${encodeURIComponent(file.chatId)}/${encodeURIComponent(file.fileId)}/${sanitiseFileName(file.name)}`,
  });
}

/** What a `trueconf-file` URI names: the root, a chat, a file's folder or the file itself. */
export interface IncomingFilePath {
  readonly chatId?: string;
  readonly fileId?: string;
  readonly name?: string;
}

export function parseIncomingFileUri(uri: vscode.Uri): IncomingFilePath | undefined {
  if (uri.scheme !== INCOMING_FILE_SCHEME) {
    return undefined;
  }
  const parts = uri.path.split('/').filter((p) => p.length > 0);
  if (parts.length > 3) {
    return undefined;
  }
  try {
    const [chatId, fileId, name] = parts;
    return {
      chatId: chatId === undefined ? undefined : decodeURIComponent(chatId),
      fileId: fileId === undefined ? undefined : decodeURIComponent(fileId),
      name,
    };
  } catch {
    return undefined;
  }
}

/** The markdown shown when someone tries to type into a received file. */
function readonlyMessage(): vscode.MarkdownString {
  const message = new vscode.MarkdownString(
    vscode.l10n.t(
      'Received in a TrueConf chat: this copy is read-only. [Save As…]({0}) keeps an editable copy.',
      `command:${Commands.saveIncomingFileAs}`,
    ),
  );
  message.isTrusted = { enabledCommands: [Commands.saveIncomingFileAs] };
  return message;
}

export class ChatFileSystemProvider extends Disposable implements vscode.FileSystemProvider {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<vscode.FileChangeEvent[]>());
  readonly onDidChangeFile = this.changeEmitter.event;

  constructor(
    private readonly model: IncomingFilesService,
    private readonly downloads: IncomingFileDownloads,
    private readonly logger: Logger,
  ) {
    super();
    // Editors showing a file that left the list show it as deleted.
    this._register(
      model.onDidRemove((files) => this.changeEmitter.fire(files.map((file) => ({ type: vscode.FileChangeType.Deleted, uri: incomingFileUri(file) })))),
    );
  }

  /** Register for the `trueconf-file` scheme (synchronously at activation, so restored editors find it). */
  register(): vscode.Disposable {
    return vscode.workspace.registerFileSystemProvider(INCOMING_FILE_SCHEME, this, { isCaseSensitive: true, isReadonly: readonlyMessage() });
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const path = this.resolve(uri);
    if (path.file) {
      return { type: vscode.FileType.File, size: path.file.size, ctime: path.file.timestamp, mtime: path.file.timestamp, permissions: vscode.FilePermission.Readonly };
    }
    const newest = path.chatId ? this.model.filesOf(path.chatId)[0] : undefined;
    const time = newest?.timestamp ?? 0;
    return { type: vscode.FileType.Directory, size: 0, ctime: time, mtime: time, permissions: vscode.FilePermission.Readonly };
  }

  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    const path = this.resolve(uri);
    if (path.file) {
      throw vscode.FileSystemError.FileNotADirectory(uri);
    }
    if (path.fileId !== undefined) {
      const file = this.model.getByFileId(path.fileId);
      return file ? [[sanitiseFileName(file.name), vscode.FileType.File]] : [];
    }
    if (path.chatId !== undefined) {
      return this.model.filesOf(path.chatId).map((file) => [encodeURIComponent(file.fileId), vscode.FileType.Directory]);
    }
    return this.model.chats().map((chatId) => [encodeURIComponent(chatId), vscode.FileType.Directory]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const file = this.resolve(uri).file;
    if (!file) {
      throw vscode.FileSystemError.FileIsADirectory(uri);
    }
    let local: string;
    try {
      local = await this.downloads.ensureLocal(file);
    } catch (err) {
      this.logger.warn(`Could not get ${file.fileId}:`, err);
      if (isTrueConfError(err, 'cancelled')) {
        throw vscode.FileSystemError.Unavailable(vscode.l10n.t('"{0}" was not downloaded.', file.name));
      }
      throw vscode.FileSystemError.Unavailable(err instanceof Error ? err.message : String(err));
    }
    const bytes = await readFile(local);
    this.model.markRead([incomingFileKey(file)]);
    return bytes;
  }

  watch(): vscode.Disposable {
    // Received files never change; removals are announced through onDidChangeFile regardless.
    return new vscode.Disposable(() => undefined);
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(oldUri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(oldUri);
  }

  /** The root, a chat that has files, a file's folder or a file in the list; FileNotFound otherwise. */
  private resolve(uri: vscode.Uri): IncomingFilePath & { file?: IncomingFile } {
    const path = parseIncomingFileUri(uri);
    if (!path) {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    if (path.chatId === undefined) {
      return path;
    }
    if (path.fileId === undefined) {
      if (this.model.filesOf(path.chatId).length === 0) {
        throw vscode.FileSystemError.FileNotFound(uri);
      }
      return path;
    }
    const file = this.model.getByFileId(path.fileId);
    if (!file || file.chatId !== path.chatId) {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    return path.name === undefined ? path : { ...path, file };
  }
}
