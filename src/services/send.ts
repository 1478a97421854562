/**
 * Sending files and text into a chat: reading what is sent (workspace files through their file
 * system, editor text as UTF-8), checking the server's limits before anything goes out, one
 * cancellable progress notification for a whole batch, and a message for every outcome that
 * says what to do next.
 *
 * Nothing is ever sent twice: after a failure the rest of the batch stops, and only a click on
 * Retry (or Send Again, when the outcome is unknown) sends again.
 */
import { Readable } from 'node:stream';
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../common/lifecycle';
import { Logger } from '../common/logger';
import { redactPatterns } from '../common/redact';
import { baseName, mimeTypeForFileName } from '../common/sendNaming';
import { Settings } from '../constants';
import { isTrueConfError, ErrorCode, TrueConfError, TrueConfErrorKind } from '../trueconf/errors';
import type { SendFileProgress } from '../trueconf/files';
import { checkUpload } from '../trueconf/limits';
import type { UploadLimits } from '../trueconf/types';
import { FileSource, fileSourceFromBuffer, fileSourceFromPath } from '../trueconf/upload';
import { ChatDirectory, ChatTarget, SendApis } from './chatDirectory';
import { asTrueConfError, Fixes, runFix, shortReason } from './errors';
import { showErrorMessage, showInformationMessage, showWarningMessage } from './messages';

export type { ChatTarget } from './chatDirectory';

/** The questions sending asks; the chat picker in `views/` answers them. */
export interface SendPrompts {
  /** Which chat to send to; undefined when the user dismisses the picker. */
  pickChat(options: { title: string }): Promise<ChatTarget | undefined>;
  /** An optional caption: undefined when the user pressed Escape (cancel), '' for none. */
  askCaption(options: { title: string; value?: string }): Promise<string | undefined>;
}

/** One file to send: its name in the chat and a way to read it, once per attempt. */
export interface OutgoingFile {
  readonly name: string;
  /** Bytes, as known when the file was chosen. */
  readonly size: number;
  /** The workspace file behind it; undefined for text taken from an editor. */
  readonly uri?: vscode.Uri;
  /** A fresh source for one upload. Rejects with FileGoneError when the file was deleted meanwhile. */
  open(): Promise<FileSource>;
}

/** Something chosen that is not sent, and why. */
export interface SkippedEntry {
  readonly name: string;
  readonly reason: 'folder' | 'missing' | 'unreadable';
}

export interface PreparedFiles {
  readonly files: OutgoingFile[];
  readonly skipped: SkippedEntry[];
}

/** How the caption is decided: asked for (with a suggestion), or given. */
export type CaptionChoice = { readonly ask: true; readonly suggestion?: string } | { readonly ask: false; readonly text?: string };

/**
 * What a send did. Commands return it, so scripts and tests that run them through
 * `executeCommand` learn the outcome without reading notifications.
 */
export interface SendReport {
  readonly chatId?: string;
  /** Sent, in order. */
  readonly sent: ReadonlyArray<{ readonly name: string; readonly messageId: string; readonly fileId?: string }>;
  /** Chosen but not sent: the failed one and the rest of the batch, or all of them when refused or cancelled. */
  readonly notSent: readonly string[];
  readonly skipped: readonly SkippedEntry[];
  /** The user cancelled (picker, caption box or the progress notification). */
  readonly cancelled: boolean;
  /** Why sending stopped. `missing`: the file was deleted; `limit`: the server's limits refuse a file. */
  readonly error?: { readonly kind: TrueConfErrorKind | 'missing' | 'nothingToSend'; readonly message: string };
}

/** The file was deleted or moved after it was chosen. */
export class FileGoneError extends Error {
  constructor(readonly fileName: string) {
    super(vscode.l10n.t('{0} no longer exists.', fileName));
    this.name = 'FileGoneError';
  }
}

interface Batch {
  readonly files: readonly OutgoingFile[];
  readonly target: ChatTarget;
  /** Goes with the first file sent. */
  readonly caption?: string;
  readonly skipped: readonly SkippedEntry[];
}

export class SendService extends Disposable {
  /** Uploads under way; disposing the service (window closing, extension stopping) aborts them. */
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly directory: ChatDirectory,
    private readonly prompts: SendPrompts,
    private readonly logger: Logger,
  ) {
    super();
    this._register(toDisposable(() => this.inFlight.forEach((c) => c.abort())));
  }

  /**
   * Send workspace files to a chat: the tree's drop target calls this. Folders are skipped and
   * named; the caption box appears when `trueconf.send.askForCaption` is on.
   */
  async sendUris(uris: vscode.Uri[], target: ChatTarget): Promise<void> {
    await this.send(await this.prepareUris(uris), { target, caption: this.captionChoice() });
  }

  /** Stat what was chosen: files to send; folders, vanished and unreadable files to skip. Duplicates count once. */
  async prepareUris(uris: readonly vscode.Uri[]): Promise<PreparedFiles> {
    const unique = [...new Map(uris.map((u) => [u.toString(), u])).values()];
    const files: OutgoingFile[] = [];
    const skipped: SkippedEntry[] = [];
    for (const uri of unique) {
      const name = displayName(uri);
      let stat: vscode.FileStat;
      try {
        stat = await vscode.workspace.fs.stat(uri);
      } catch (err) {
        this.logger.warn(`Cannot send ${uri.toString(true)}:`, err);
        skipped.push({ name, reason: isNotFound(err) ? 'missing' : 'unreadable' });
        continue;
      }
      if (stat.type & vscode.FileType.Directory) {
        skipped.push({ name, reason: 'folder' });
      } else {
        files.push(workspaceFile(uri, stat.size));
      }
    }
    return { files, skipped };
  }

  /** Text from an editor, sent as a UTF-8 file. */
  textFile(name: string, text: string): OutgoingFile {
    const bytes = Buffer.from(text, 'utf8');
    const mimeType = mimeTypeForFileName(name, true);
    return { name, size: bytes.length, open: () => Promise.resolve(fileSourceFromBuffer(name, bytes, mimeType)) };
  }

  /** The caption step as the settings want it: asked for, or none. */
  captionChoice(suggestion?: string): CaptionChoice {
    const ask = vscode.workspace.getConfiguration(Settings.section).get<boolean>(Settings.sendAskForCaption, true);
    return ask ? { ask: true, suggestion } : { ask: false, text: suggestion };
  }

  /**
   * The whole path: check the server's limits for every file (nothing goes if one is refused),
   * ask for the chat unless `target` is given, ask for the caption when `caption.ask`, then send.
   */
  async send(prepared: PreparedFiles, options: { target?: ChatTarget; caption: CaptionChoice }): Promise<SendReport> {
    const { files, skipped } = prepared;
    const names = files.map((f) => f.name);
    const apis = this.requireApis();
    if (!apis) {
      return { sent: [], notSent: names, skipped, cancelled: false, error: { kind: 'closed', message: vscode.l10n.t('Not signed in to TrueConf.') } };
    }
    if (files.length === 0) {
      const message = nothingToSendMessage(skipped);
      void showErrorMessage(message);
      return { sent: [], notSent: [], skipped, cancelled: false, error: { kind: 'nothingToSend', message } };
    }
    const refusal = await this.checkLimits(apis, files);
    if (refusal) {
      void showErrorMessage(refusal);
      return { sent: [], notSent: names, skipped, cancelled: false, error: { kind: 'limit', message: refusal } };
    }
    const what = files.length === 1 ? files[0].name : vscode.l10n.t('{0} files', files.length);
    const target = options.target ?? (await this.prompts.pickChat({ title: vscode.l10n.t('Send {0} to…', what) }));
    if (!target) {
      return { sent: [], notSent: names, skipped, cancelled: true };
    }
    let caption: string | undefined;
    if (options.caption.ask) {
      caption = await this.prompts.askCaption({ title: vscode.l10n.t('Send {0} to {1}', what, target.title), value: options.caption.suggestion });
      if (caption === undefined) {
        return { chatId: target.chatId, sent: [], notSent: names, skipped, cancelled: true };
      }
    } else {
      caption = options.caption.text;
    }
    return this.deliver({ files, target, caption: caption?.trim() || undefined, skipped });
  }

  /**
   * Send a text message (a selection sent as a message; the caller checked its length). `what`
   * names it in messages. The chat is asked for unless `target` is given.
   */
  async sendText(text: string, what: string, chosen?: ChatTarget): Promise<SendReport> {
    const apis = this.requireApis();
    if (!apis) {
      return { sent: [], notSent: [what], skipped: [], cancelled: false, error: { kind: 'closed', message: vscode.l10n.t('Not signed in to TrueConf.') } };
    }
    const target = chosen ?? (await this.prompts.pickChat({ title: vscode.l10n.t('Send {0} to…', what) }));
    if (!target) {
      return { sent: [], notSent: [what], skipped: [], cancelled: true };
    }
    try {
      const sent = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Sending {0} to {1}…', what, target.title) },
        () => apis.chats.sendMessage({ chatId: target.chatId, text, parseMode: 'text' }),
      );
      this.logger.info(`Sent a ${text.length}-character message to chat ${target.chatId}.`);
      void this.directory.markUsed(target);
      void showInformationMessage(vscode.l10n.t('Sent {0} to {1}.', what, target.title));
      return { chatId: target.chatId, sent: [{ name: what, messageId: sent.messageId }], notSent: [], skipped: [], cancelled: false };
    } catch (err) {
      const error = asTrueConfError(err);
      this.logger.warn(`Sending a message to chat ${target.chatId} failed:`, error);
      const sendAgain = vscode.l10n.t('Send Again');
      let message: string;
      let actions: string[] = [];
      if (this.isChatGone(error)) {
        this.directory.remove(target.chatId);
        message = vscode.l10n.t('The chat {0} is no longer available: it was deleted, or you are no longer a member. {1} was not sent.', target.title, what);
      } else if (error.isTransient) {
        message = vscode.l10n.t(
          'The connection was lost while sending {0} to {1}; it may not have arrived. Check the chat before sending it again.',
          what,
          target.title,
        );
        actions = [sendAgain];
      } else {
        message = vscode.l10n.t('Could not send {0}: {1}', what, redactPatterns(error.message));
      }
      void showErrorMessage(message, ...actions).then((action) => {
        if (action === sendAgain) {
          return this.sendText(text, what, target);
        }
        return undefined;
      });
      return { chatId: target.chatId, sent: [], notSent: [what], skipped: [], cancelled: false, error: { kind: error.kind, message } };
    }
  }

  /** Ask for files (defaulting to the workspace) and send them to `target`: "Send Another File…". */
  async pickAndSend(target: ChatTarget, near?: vscode.Uri): Promise<void> {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: true,
      canSelectFiles: true,
      canSelectFolders: false,
      defaultUri: near ? vscode.Uri.joinPath(near, '..') : vscode.workspace.workspaceFolders?.[0]?.uri,
      openLabel: vscode.l10n.t('Send to {0}', target.title),
      title: vscode.l10n.t('Send Files to {0}', target.title),
    });
    if (uris && uris.length > 0) {
      await this.sendUris(uris, target);
    }
  }

  // ---- sending --------------------------------------------------------------------------------

  private async deliver(batch: Batch): Promise<SendReport> {
    const apis = this.requireApis();
    const { files, target, skipped } = batch;
    if (!apis) {
      return { chatId: target.chatId, sent: [], notSent: files.map((f) => f.name), skipped, cancelled: false, error: { kind: 'closed', message: vscode.l10n.t('Not signed in to TrueConf.') } };
    }
    const sent: Array<{ name: string; messageId: string; fileId: string }> = [];
    const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
    let doneBytes = 0;
    let index = 0;
    let phase: SendFileProgress['phase'] = 'preparing';
    let captionPending = batch.caption !== undefined;
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, cancellable: true },
        async (progress, token) => {
          const cancel = token.onCancellationRequested(() => controller.abort());
          let reportedOverall = 0;
          let reportedPercent = -1;
          const report = (file: OutgoingFile, sentBytes: number) => {
            const percent = file.size === 0 ? 100 : Math.floor((sentBytes / file.size) * 100);
            const overall = totalBytes === 0 ? ((index + 1) / files.length) * 100 : ((doneBytes + sentBytes) / totalBytes) * 100;
            if (percent === reportedPercent && overall - reportedOverall < 1) {
              return;
            }
            reportedPercent = percent;
            const message =
              files.length === 1
                ? vscode.l10n.t('Sending {0} — {1}%', file.name, percent)
                : vscode.l10n.t('Sending {0} of {1}: {2} — {3}%', index + 1, files.length, file.name, percent);
            progress.report({ message, increment: Math.max(0, overall - reportedOverall) });
            reportedOverall = Math.max(reportedOverall, overall);
          };
          try {
            for (index = 0; index < files.length; index++) {
              const file = files[index];
              phase = 'preparing';
              reportedPercent = -1;
              report(file, 0);
              const source = await file.open();
              const caption = captionPending ? { text: batch.caption as string, parseMode: 'text' as const } : undefined;
              const result = await apis.files.sendFile({
                chatId: target.chatId,
                source,
                caption,
                signal: controller.signal,
                onProgress: (p) => {
                  phase = p.phase;
                  report(file, p.sent);
                },
              });
              captionPending = false;
              sent.push({ name: file.name, messageId: result.messageId, fileId: result.fileId });
              this.logger.info(`Sent "${file.name}" (${source.size} bytes) to chat ${target.chatId}: file ${result.fileId}.`);
              doneBytes += file.size;
              if (sent.length === 1) {
                void this.directory.markUsed(target);
              }
            }
          } finally {
            cancel.dispose();
          }
        },
      );
    } catch (err) {
      const failed = files.slice(index);
      const error = err instanceof FileGoneError ? err : asSendError(err, files[index].name);
      this.logger.warn(`Sending "${files[index]?.name}" to chat ${target.chatId} failed (${phase}):`, error);
      const reportError = this.reportFailure(error, { batch, index, phase, sent, captionPending });
      return {
        chatId: target.chatId,
        sent,
        notSent: failed.map((f) => f.name),
        skipped,
        cancelled: isTrueConfError(error, 'cancelled'),
        error: reportError,
      };
    } finally {
      this.inFlight.delete(controller);
    }
    this.reportSuccess(batch, sent.length);
    return { chatId: target.chatId, sent, notSent: [], skipped, cancelled: false };
  }

  private reportSuccess(batch: Batch, count: number): void {
    const { files, target, skipped } = batch;
    const parts = [count === 1 ? vscode.l10n.t('Sent {0} to {1}.', files[0].name, target.title) : vscode.l10n.t('Sent {0} files to {1}.', count, target.title)];
    const note = skippedNote(skipped);
    if (note) {
      parts.push(note);
    }
    const another = vscode.l10n.t('Send Another File…');
    const near = files.find((f) => f.uri)?.uri;
    void showInformationMessage(parts.join(' '), another).then((action) => {
      if (action === another) {
        return this.pickAndSend(target, near);
      }
      return undefined;
    });
  }

  /**
   * Tell the user why the batch stopped and offer what can be done; returns the error for the
   * report. Cancelling is quiet unless something was already sent or the last file may have
   * arrived anyway.
   */
  private reportFailure(
    error: TrueConfError | FileGoneError,
    context: { batch: Batch; index: number; phase: SendFileProgress['phase']; sent: readonly unknown[]; captionPending: boolean },
  ): SendReport['error'] {
    const { batch, index, phase, sent } = context;
    const { files, target } = batch;
    const file = files[index];
    const rest = files.slice(index + 1);
    const caption = context.captionPending ? batch.caption : undefined;
    const resend = (list: readonly OutgoingFile[], to: ChatTarget = target, withCaption = caption) =>
      this.deliver({ files: list, target: to, caption: withCaption, skipped: [] });
    const before =
      sent.length > 0 ? vscode.l10n.t('{0} of {1} files were sent to {2} before that.', sent.length, files.length, target.title) : undefined;
    const show = (severity: 'error' | 'warning', message: string, actions: Array<[string, () => Thenable<unknown>]>) => {
      const text = before ? `${message} ${before}` : message;
      const titles = actions.map((a) => a[0]);
      const shown = severity === 'error' ? showErrorMessage(text, ...titles) : showWarningMessage(text, ...titles);
      void shown.then((picked) => actions.find((a) => a[0] === picked)?.[1]());
      return text;
    };
    const sendOthers: Array<[string, () => Thenable<unknown>]> = rest.length > 0 ? [[vscode.l10n.t('Send the Other Files'), () => resend(rest)]] : [];

    if (error instanceof FileGoneError) {
      return { kind: 'missing', message: show('error', error.message, sendOthers) };
    }
    // Once `sendFile` is out, a lost answer says nothing about whether the file reached the chat.
    const uncertain = phase === 'sending' && (error.kind === 'cancelled' || error.isTransient);
    if (error.kind === 'cancelled') {
      if (uncertain) {
        const message = vscode.l10n.t(
          'Cancelled while {0} was being posted to {1}: it may already be in the chat. Check the chat before sending it again.',
          file.name,
          target.title,
        );
        return { kind: 'cancelled', message: show('warning', message, []) };
      }
      if (sent.length > 0) {
        const message = vscode.l10n.t('Cancelled. {0} of {1} files were sent to {2}.', sent.length, files.length, target.title);
        void showInformationMessage(message);
        return { kind: 'cancelled', message };
      }
      return { kind: 'cancelled', message: vscode.l10n.t('Cancelled.') };
    }
    if (this.isChatGone(error)) {
      this.directory.remove(target.chatId);
      const message = vscode.l10n.t(
        'The chat {0} is no longer available: it was deleted, or you are no longer a member. {1} was not sent.',
        target.title,
        file.name,
      );
      const choose: [string, () => Thenable<unknown>] = [
        vscode.l10n.t('Choose Another Chat…'),
        async () => {
          const other = await this.prompts.pickChat({ title: vscode.l10n.t('Send {0} to…', file.name) });
          return other ? resend(files.slice(index), other) : undefined;
        },
      ];
      return { kind: error.kind, message: show('error', message, [choose]) };
    }
    if (uncertain) {
      const message = vscode.l10n.t(
        'The connection was lost while {0} was being posted to {1}; it may or may not have arrived. Check the chat before sending it again.',
        file.name,
        target.title,
      );
      const actions: Array<[string, () => Thenable<unknown>]> = [[vscode.l10n.t('Send Again'), () => resend(files.slice(index))]];
      if (rest.length > 0) {
        actions.push([vscode.l10n.t('Send the Rest'), () => resend(rest, target, undefined)]);
      }
      return { kind: error.kind, message: show('warning', message, actions) };
    }
    if (error.isTransient) {
      const message = vscode.l10n.t('The connection was lost while sending {0}. Nothing was sent.', file.name);
      return { kind: error.kind, message: show('error', message, [[vscode.l10n.t('Retry'), () => resend(files.slice(index))]]) };
    }
    if (error.kind === 'limit') {
      return { kind: error.kind, message: show('error', redactPatterns(error.message), sendOthers) };
    }
    if (error.kind === 'uploadRejected') {
      const message = vscode.l10n.t('{0} was not sent. {1}', file.name, redactPatterns(error.message));
      return { kind: error.kind, message: show('error', message, [...sendOthers, fixAction(Fixes.showLog())]) };
    }
    if (SESSION_KINDS.has(error.kind)) {
      const message = vscode.l10n.t('{0} was not sent: your TrueConf session needs attention. {1}', file.name, redactPatterns(error.message));
      const fix = error.kind === 'tokenExpired' || error.kind === 'wrongCredentials' ? Fixes.signIn() : Fixes.reconnect();
      return { kind: error.kind, message: show('error', message, [fixAction(fix)]) };
    }
    const message = vscode.l10n.t('Could not send {0}: {1}', file.name, redactPatterns(error.message));
    return { kind: error.kind, message: show('error', message, [fixAction(Fixes.showLog())]) };
  }

  private isChatGone(error: TrueConfError): boolean {
    return error.kind === 'api' && (error.details.code === ErrorCode.ChatNotFound || error.details.code === ErrorCode.NotAChatParticipant);
  }

  /** A message for each file the server's limits refuse, or undefined when all may go. */
  private async checkLimits(apis: SendApis, files: readonly OutgoingFile[]): Promise<string | undefined> {
    let limits: UploadLimits;
    try {
      limits = apis.files.limits ?? (await apis.files.getFileUploadLimits());
    } catch (err) {
      // FileApi checks again before each upload; a failure here only loses the early warning.
      this.logger.warn('Could not read the server upload limits before sending:', err);
      return undefined;
    }
    const refused: string[] = [];
    for (const file of files) {
      try {
        checkUpload(limits, file.name, file.size);
      } catch (err) {
        refused.push(asTrueConfError(err).message);
      }
    }
    if (refused.length === 0) {
      return undefined;
    }
    if (files.length === 1) {
      return refused[0];
    }
    return vscode.l10n.t('Nothing was sent: {0} of {1} files exceed the server limits. {2}', refused.length, files.length, refused.join(' '));
  }

  /** The signed-in client's APIs; when there are none, says so with a Sign In button. */
  private requireApis(): SendApis | undefined {
    const apis = this.directory.apis;
    if (apis) {
      return apis;
    }
    const state = this.directory.clientState;
    const failed = state?.kind === 'failed';
    const fix = failed ? Fixes.reconnect() : Fixes.signIn();
    const message = failed
      ? vscode.l10n.t('Not connected to TrueConf ({0}), so nothing was sent.', shortReason(state.error))
      : vscode.l10n.t('Sign in to TrueConf to send to a chat.');
    void showErrorMessage(message, fix.title).then((picked) => {
      return picked === fix.title ? runFix(fix) : undefined;
    });
    return undefined;
  }
}

/** Session-level failures: the fix is to sign in again or reconnect, not to resend. */
const SESSION_KINDS: ReadonlySet<TrueConfErrorKind> = new Set<TrueConfErrorKind>([
  'wrongCredentials',
  'passwordSignInDisabled',
  'userDisabled',
  'tokenExpired',
  'certificate',
  'notTrueConf',
  'connectionLimit',
]);

function fixAction(fix: vscode.Command): [string, () => Thenable<unknown>] {
  return [fix.title, () => runFix(fix)];
}

/** A workspace file: `file:` streams from disk; other schemes read through `workspace.fs`. */
function workspaceFile(uri: vscode.Uri, size: number): OutgoingFile {
  const name = displayName(uri);
  const mimeType = mimeTypeForFileName(name);
  return {
    name,
    size,
    uri,
    open: async () => {
      if (uri.scheme === 'file') {
        try {
          return await fileSourceFromPath(uri.fsPath, { name, mimeType });
        } catch (err) {
          throw isNotFound(err) ? new FileGoneError(name) : err;
        }
      }
      let stat: vscode.FileStat;
      try {
        stat = await vscode.workspace.fs.stat(uri);
      } catch (err) {
        throw isNotFound(err) ? new FileGoneError(name) : err;
      }
      // No streaming read exists for other file systems: the bytes are read when the upload
      // starts reading, after the server's limits were checked against the size.
      return { name, size: stat.size, mimeType, open: () => Readable.from(readLazily(uri)) };
    },
  };
}

async function* readLazily(uri: vscode.Uri): AsyncGenerator<Buffer> {
  yield Buffer.from(await vscode.workspace.fs.readFile(uri));
}

function displayName(uri: vscode.Uri): string {
  return baseName(uri.path) || uri.toString();
}

function isNotFound(err: unknown): boolean {
  if (err instanceof vscode.FileSystemError) {
    return err.code === 'FileNotFound';
  }
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** A failure while sending `name`: a file deleted while it was being read becomes FileGoneError. */
function asSendError(err: unknown, name: string): TrueConfError | FileGoneError {
  if (isNotFound(err) || (isTrueConfError(err, 'uploadRejected') && isNotFound(err.details.cause))) {
    return new FileGoneError(name);
  }
  return asTrueConfError(err);
}

function skippedNote(skipped: readonly SkippedEntry[]): string | undefined {
  const folders = skipped.filter((s) => s.reason === 'folder').map((s) => s.name);
  const missing = skipped.filter((s) => s.reason === 'missing').map((s) => s.name);
  const unreadable = skipped.filter((s) => s.reason === 'unreadable').map((s) => s.name);
  const notes: string[] = [];
  if (folders.length > 0) {
    notes.push(vscode.l10n.t('Skipped {0}: folders cannot be sent.', folders.join(', ')));
  }
  if (missing.length > 0) {
    notes.push(vscode.l10n.t('Skipped {0}: no longer exists.', missing.join(', ')));
  }
  if (unreadable.length > 0) {
    notes.push(vscode.l10n.t('Skipped {0}: cannot be read (see the TrueConf log).', unreadable.join(', ')));
  }
  return notes.length > 0 ? notes.join(' ') : undefined;
}

function nothingToSendMessage(skipped: readonly SkippedEntry[]): string {
  const note = skippedNote(skipped);
  return note ? vscode.l10n.t('Nothing was sent. {0} Choose files instead.', note) : vscode.l10n.t('Nothing was sent: no files were chosen.');
}
