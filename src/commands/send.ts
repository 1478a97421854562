/**
 * The send commands: the active editor's file, the selection, and files from the explorer (or
 * a file dialog), each to a chat picked from a list. Every command resolves with a SendReport.
 *
 * Arguments that skip every question, for scripts and tests run through `executeCommand`
 * (see SendCommandOptions):
 *
 *     trueconf.sendActiveFile ({ chatId, caption? })        or (uri, { chatId, caption? })
 *     trueconf.sendSelection  ({ chatId, caption?, sendAs? })
 *     trueconf.sendFiles      (uri, uris, { chatId, caption? }) or (undefined, uris, { chatId })
 *
 * Without them, menus pass what they pass: the editor's URI (editor title, tab and editor
 * context menus), or the clicked URI and the explorer's whole selection (explorer menu).
 */
import * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import {
  assembleSelection,
  baseName,
  selectionCaption,
  selectionFileName,
  selectionMessage,
  untitledFileName,
} from '../common/sendNaming';
import { Commands, Settings } from '../constants';
import { ChatDirectory, ChatTarget, SendConnection } from '../services/chatDirectory';
import { CaptionChoice, PreparedFiles, SendReport, SendService } from '../services/send';
import { visibleLength } from '../trueconf/text-length';
import { MAX_TEXT_LENGTH } from '../trueconf/types';
import { ChatPicker } from '../views/chatPicker';
import { showErrorMessage, showInformationMessage, showWarningMessage } from '../services/messages';

/** Send without asking: to this chat, with this caption (none when left out), and no questions after. */
export interface SendCommandOptions {
  readonly chatId: string;
  /** For a selection sent as a file, the caption defaults to where it came from (`src/a.ts:10-24`). */
  readonly caption?: string;
  /** `trueconf.sendSelection` only: overrides the `trueconf.selection.sendAs` setting. */
  readonly sendAs?: 'file' | 'message';
}

export interface SendCommandDeps {
  readonly connection: SendConnection;
  readonly logger: Logger;
}

/**
 * Register the three send commands. Returns the send service, which the Incoming Files tree's
 * drop controller uses (`sendUris`) to send dropped files to a chat.
 */
export function registerSendCommands(context: vscode.ExtensionContext, deps: SendCommandDeps): SendService {
  const directory = new ChatDirectory(deps.connection, context.workspaceState, deps.logger);
  const send = new SendService(directory, new ChatPicker(directory), deps.logger);
  const commands = new SendCommands(send, directory, deps.logger);
  context.subscriptions.push(
    directory,
    send,
    vscode.commands.registerCommand(Commands.sendActiveFile, (first?: unknown, second?: unknown) => commands.sendActiveFile(first, second)),
    vscode.commands.registerCommand(Commands.sendSelection, (first?: unknown, second?: unknown) => commands.sendSelection(first, second)),
    vscode.commands.registerCommand(Commands.sendFiles, (first?: unknown, second?: unknown, third?: unknown) =>
      commands.sendFiles(first, second, third),
    ),
  );
  return send;
}

class SendCommands {
  constructor(
    private readonly send: SendService,
    private readonly directory: ChatDirectory,
    private readonly logger: Logger,
  ) {}

  /**
   * Send what the editor shows: a text document's current text (unsaved changes included; an
   * untitled one named after its language), or, for an image or other non-text editor, the file.
   */
  async sendActiveFile(first: unknown, second: unknown): Promise<SendReport | undefined> {
    const options = findOptions(first, second);
    const prepared = await this.activeEditorFiles(first instanceof vscode.Uri ? first : undefined);
    if (!prepared) {
      void showInformationMessage(vscode.l10n.t('Open a file in the editor to send it to a chat.'));
      return undefined;
    }
    return this.send.send(prepared, await this.choices(options));
  }

  /** Send the selection(s) of the active editor as one file, or as a message (`trueconf.selection.sendAs`). */
  async sendSelection(first: unknown, second: unknown): Promise<SendReport | undefined> {
    const options = findOptions(first, second);
    const editor = vscode.window.activeTextEditor;
    const document = editor?.document;
    const selection =
      editor && document
        ? assembleSelection(
            editor.selections.map((s) => ({
              startLine: s.start.line,
              startCharacter: s.start.character,
              endLine: s.end.line,
              endCharacter: s.end.character,
              text: document.getText(s),
            })),
            document.languageId,
            document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
          )
        : undefined;
    if (!document || !selection) {
      void showInformationMessage(vscode.l10n.t('Select some text in an editor to send it to a chat.'));
      return undefined;
    }
    const fileName = document.isUntitled ? untitledFileName(document.uri.path, document.languageId) : baseName(document.uri.path);
    const where = document.isUntitled ? fileName : vscode.workspace.asRelativePath(document.uri);
    const location = selectionCaption(where, selection.ranges);
    const sendAs = options?.sendAs ?? vscode.workspace.getConfiguration(Settings.section).get<string>(Settings.selectionSendAs, 'file');

    if (sendAs === 'message') {
      const text = selectionMessage(where, selection);
      const over = visibleLength(text, 'text') - MAX_TEXT_LENGTH;
      if (over <= 0) {
        return this.send.sendText(text, location, options ? await this.target(options.chatId) : undefined);
      }
      const message = vscode.l10n.t(
        'The selection is {0} characters over the limit of a TrueConf message ({1} characters).',
        over,
        MAX_TEXT_LENGTH,
      );
      if (options) {
        void showErrorMessage(message);
        return { sent: [], notSent: [location], skipped: [], cancelled: false, error: { kind: 'limit', message } };
      }
      const asFile = vscode.l10n.t('Send as File');
      if ((await showWarningMessage(message, asFile)) !== asFile) {
        return { sent: [], notSent: [location], skipped: [], cancelled: true };
      }
    }

    const file = this.send.textFile(selectionFileName(fileName, selection.span, document.languageId), selection.text);
    const choices = await this.choices(options, location);
    return this.send.send({ files: [file], skipped: [] }, choices);
  }

  /**
   * Send files: the explorer's selection (VS Code passes the clicked URI and every selected
   * URI), or files chosen in a dialog when run from the palette.
   */
  async sendFiles(first: unknown, second: unknown, third: unknown): Promise<SendReport | undefined> {
    const options = findOptions(first, second, third);
    let uris = Array.isArray(second) ? second.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
    if (uris.length === 0 && first instanceof vscode.Uri) {
      uris = [first];
    }
    if (uris.length === 0) {
      if (options) {
        const message = vscode.l10n.t('Nothing was sent: no files were chosen.');
        return { sent: [], notSent: [], skipped: [], cancelled: false, error: { kind: 'nothingToSend', message } };
      }
      const chosen = await vscode.window.showOpenDialog({
        canSelectMany: true,
        canSelectFiles: true,
        canSelectFolders: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        openLabel: vscode.l10n.t('Send'),
        title: vscode.l10n.t('Send Files to a TrueConf Chat'),
      });
      if (!chosen || chosen.length === 0) {
        return undefined;
      }
      uris = chosen;
    }
    return this.send.send(await this.send.prepareUris(uris), await this.choices(options));
  }

  /** The chat and caption: given by the arguments, or asked for. */
  private async choices(options: SendCommandOptions | undefined, suggestedCaption?: string): Promise<{ target?: ChatTarget; caption: CaptionChoice }> {
    if (!options) {
      return { caption: this.send.captionChoice(suggestedCaption) };
    }
    return { target: await this.target(options.chatId), caption: { ask: false, text: options.caption ?? suggestedCaption } };
  }

  /** The chat named by id, titled from the chat list or the server; the id stands in for a title it cannot get. */
  private async target(chatId: string): Promise<ChatTarget> {
    try {
      return await this.directory.resolve(chatId);
    } catch (err) {
      this.logger.warn(`Could not look up chat ${chatId}; sending to it by id:`, err);
      return { chatId, title: chatId };
    }
  }

  /** What the active editor (or the editor of `uri`) shows, as files to send. */
  private async activeEditorFiles(uri: vscode.Uri | undefined): Promise<PreparedFiles | undefined> {
    if (uri) {
      return this.documentOrFile(uri);
    }
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputNotebook) {
      return this.documentOrFile(input.uri);
    }
    if (input instanceof vscode.TabInputTextDiff) {
      return this.documentOrFile(input.modified);
    }
    const document = vscode.window.activeTextEditor?.document;
    return document ? this.documentFiles(document) : undefined;
  }

  private documentOrFile(uri: vscode.Uri): Promise<PreparedFiles> {
    const key = uri.toString();
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    return document ? this.documentFiles(document) : this.send.prepareUris([uri]);
  }

  /**
   * A saved document goes as its file, byte for byte (encoding, line endings); an unsaved or
   * untitled one as its current text in UTF-8.
   */
  private async documentFiles(document: vscode.TextDocument): Promise<PreparedFiles> {
    if (document.isUntitled) {
      return { files: [this.send.textFile(untitledFileName(document.uri.path, document.languageId), document.getText())], skipped: [] };
    }
    if (!document.isDirty && vscode.workspace.fs.isWritableFileSystem(document.uri.scheme) !== undefined) {
      const onDisk = await this.send.prepareUris([document.uri]);
      if (onDisk.files.length === 1) {
        return onDisk;
      }
    }
    const name = baseName(document.uri.path) || untitledFileName('', document.languageId);
    return { files: [this.send.textFile(name, document.getText())], skipped: [] };
  }
}

/** The UI-skipping argument among those a command received, if any. */
function findOptions(...args: unknown[]): SendCommandOptions | undefined {
  for (const arg of args) {
    if (typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) && typeof (arg as { chatId?: unknown }).chatId === 'string') {
      const { chatId, caption, sendAs } = arg as { chatId: string; caption?: unknown; sendAs?: unknown };
      return {
        chatId,
        caption: typeof caption === 'string' ? caption : undefined,
        sendAs: sendAs === 'file' || sendAs === 'message' ? sendAs : undefined,
      };
    }
  }
  return undefined;
}
