/**
 * Every notification the extension shows goes through here, so that what the user saw is also in
 * the "TrueConf" log ("Shown to the user: …", redacted like every log line: a support log then
 * tells the whole story), and the most recent ones are kept exactly as shown. The extension's
 * exports hand those to the integration tests, which check that no message ever repeats a
 * password, a token or a download link's credentials.
 *
 * Same signatures as `vscode.window.show*Message` with string items.
 */
import * as vscode from 'vscode';
import type { Logger } from '../common/logger';

export type MessageSeverity = 'error' | 'warning' | 'info';

export interface ShownMessage {
  readonly severity: MessageSeverity;
  readonly message: string;
  /** The detail line of a modal dialog. */
  readonly detail?: string;
  readonly items: readonly string[];
}

/** Enough for a test to see everything one scenario showed. */
const KEPT = 200;
const recent: ShownMessage[] = [];
let log: Logger | undefined;

/** Write every message shown from now on to this log too. */
export function logShownMessages(logger: Logger): vscode.Disposable {
  log = logger;
  return new vscode.Disposable(() => {
    if (log === logger) {
      log = undefined;
    }
  });
}

/** The most recent messages shown, oldest first, exactly as shown. */
export function shownMessages(): readonly ShownMessage[] {
  return recent;
}

export function showErrorMessage<T extends string>(message: string, ...items: T[]): Thenable<T | undefined>;
export function showErrorMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
export function showErrorMessage(message: string, ...rest: unknown[]): Thenable<string | undefined> {
  return show('error', message, rest);
}

export function showWarningMessage<T extends string>(message: string, ...items: T[]): Thenable<T | undefined>;
export function showWarningMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
export function showWarningMessage(message: string, ...rest: unknown[]): Thenable<string | undefined> {
  return show('warning', message, rest);
}

export function showInformationMessage<T extends string>(message: string, ...items: T[]): Thenable<T | undefined>;
export function showInformationMessage<T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
export function showInformationMessage(message: string, ...rest: unknown[]): Thenable<string | undefined> {
  return show('info', message, rest);
}

function show(severity: MessageSeverity, message: string, rest: unknown[]): Thenable<string | undefined> {
  const options = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as vscode.MessageOptions) : undefined;
  const items = (options ? rest.slice(1) : rest).filter((item): item is string => typeof item === 'string');
  recent.push({ severity, message, detail: options?.detail, items });
  if (recent.length > KEPT) {
    recent.shift();
  }
  const text = options?.detail ? `${message} — ${options.detail}` : message;
  const line = `Shown to the user: ${text}`;
  if (severity === 'error') {
    log?.error(line);
  } else if (severity === 'warning') {
    log?.warn(line);
  } else {
    log?.info(line);
  }
  const opts = options ?? {};
  switch (severity) {
    case 'error':
      return vscode.window.showErrorMessage(message, opts, ...items);
    case 'warning':
      return vscode.window.showWarningMessage(message, opts, ...items);
    case 'info':
      return vscode.window.showInformationMessage(message, opts, ...items);
  }
}
