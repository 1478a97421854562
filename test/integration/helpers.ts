/**
 * What the integration test files share: the extension and its API, the settings, signing in as
 * alice against the fake server and cleaning up after it, waiting for the session state or for
 * anything else to come true, the Incoming Files tree read through its file system, and scratch
 * files to send. Not a test file itself (the runner only loads *.test.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, INCOMING_FILE_SCHEME, Settings } from '../../src/constants';
import type { TrueConfShareApi } from '../../src/extension';
import type { SessionState } from '../../src/services/connection';
import type { StoredMessage } from '../fake-server';
import type { FakeTrueConfServer } from '../fake-server/server';

/** The extension under test, as VS Code knows it. */
export const EXTENSION_ID = 'trueconf-share.trueconf-share';

/** The user the tests sign in as (a fake server account). */
export const ALICE = { username: 'alice', password: 'alice-pass' };

/** The extension's settings (`trueconf.*`). */
export function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(Settings.section);
}

/** Puts these settings back to their defaults by removing them from the user settings, one after another. */
export async function resetSettings(keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  }
}

/** The installed extension under test; fails the test when it is not installed. */
export function ourExtension(): vscode.Extension<TrueConfShareApi> {
  const extension = vscode.extensions.getExtension<TrueConfShareApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension;
}

/** Activates the extension (if it is not yet) and resolves with its exported API. */
export async function activate(): Promise<TrueConfShareApi> {
  return ourExtension().activate();
}

/** Runs trueconf.signIn as alice on `serverUrl`, without asking (her password unless another is given). */
export function signInAsAlice(serverUrl: string, password = ALICE.password): Thenable<unknown> {
  return vscode.commands.executeCommand(Commands.signIn, { server: serverUrl, username: ALICE.username, password });
}

/** The usual `after`: signs out, resets these settings to their defaults, and stops the server if it was started. */
export async function signOutAndStop(server: FakeTrueConfServer | undefined, settingKeys: readonly string[]): Promise<void> {
  await vscode.commands.executeCommand(Commands.signOut);
  await resetSettings(settingKeys);
  await server?.stop();
}

/** Resolves with the first state (the current one included) that passes `predicate`. */
export function waitForState(api: TrueConfShareApi, what: string, predicate: (s: SessionState) => boolean, timeoutMs = 15_000): Promise<SessionState> {
  return new Promise((resolve, reject) => {
    if (predicate(api.session.state)) {
      resolve(api.session.state);
      return;
    }
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`no ${what} state within ${timeoutMs} ms; the state is ${JSON.stringify(api.session.state)}`));
    }, timeoutMs);
    const subscription = api.session.onDidChangeState((state) => {
      if (predicate(state)) {
        clearTimeout(timer);
        subscription.dispose();
        resolve(state);
      }
    });
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `fn` returns something truthy (it may be async and may throw meanwhile). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) {
        return value;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await sleep(50);
  }
}

/** The trueconf-file URI of a chat's folder in the Incoming Files file system. */
export function chatUri(chatId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: INCOMING_FILE_SCHEME, path: `/${encodeURIComponent(chatId)}` });
}

/** The listed file's URI once the file appears under its chat, found through the file system only. */
export async function listed(chatId: string, fileId: string): Promise<vscode.Uri> {
  await eventually(`file ${fileId} listed under chat ${chatId}`, async () => {
    const entries = await vscode.workspace.fs.readDirectory(chatUri(chatId));
    return entries.some(([name]) => decodeURIComponent(name) === fileId);
  });
  const folder = vscode.Uri.joinPath(chatUri(chatId), encodeURIComponent(fileId));
  const [[name]] = await vscode.workspace.fs.readDirectory(folder);
  return vscode.Uri.joinPath(folder, name);
}

/** The file ids listed under a chat, in the file system's order; none when the chat is not listed. */
export async function listedIds(chatId: string): Promise<string[]> {
  try {
    return (await vscode.workspace.fs.readDirectory(chatUri(chatId))).map(([name]) => decodeURIComponent(name));
  } catch {
    return [];
  }
}

/** How many times the fake server served a file's bytes (GETs, previews not counted). */
export function fileDownloads(server: FakeTrueConfServer, fileId: string): number {
  return server.log.downloads.filter((d) => d.fileId === fileId && !d.preview && d.method === 'GET').length;
}

/** The messages in a chat on the fake server that carry a file. */
export function fileMessages(server: FakeTrueConfServer, chatId: string): StoredMessage[] {
  return server.chatMessages(chatId).filter((m) => typeof m.content.fileId === 'string');
}

/** A new empty folder in the first workspace folder (in the temp folder when there is none). */
export function makeWorkspaceTempDir(prefix: string): string {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.tmpdir();
  return fs.mkdtempSync(path.join(root, prefix));
}

/** Deletes a folder and everything in it, if it was made. */
export function removeDir(dir: string | undefined): void {
  if (dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `data` to the file `name` in `dir` and returns its URI. */
export function writeFileIn(dir: string, name: string, data: string | Buffer): vscode.Uri {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return vscode.Uri.file(file);
}
