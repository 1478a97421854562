import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../common/lifecycle';
import { Commands, STATUS_BAR_ITEM_ID } from '../constants';
import type { SessionService, SessionState } from './connection';
import { describeFailure, FailureContext, Fixes, shortReason } from './errors';
import type { Account } from './secrets';

/** Whole seconds until `at`, rounded up, never negative. */
function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** The status bar text for a state; `now` drives the reconnect countdown. */
export function statusText(state: SessionState, now: number): string {
  switch (state.kind) {
    case 'signedOut':
      return `$(account) ${vscode.l10n.t('TrueConf: Sign In')}`;
    case 'connecting':
      return `$(sync~spin) ${vscode.l10n.t('TrueConf: connecting…')}`;
    case 'connected':
      return `$(comment-discussion) ${vscode.l10n.t('TrueConf: {0}', state.userId)}`;
    case 'reconnecting': {
      const seconds = secondsUntil(state.nextAttemptAt, now);
      return seconds > 0
        ? `$(sync~spin) ${vscode.l10n.t('TrueConf: reconnecting in {0}s', seconds)}`
        : `$(sync~spin) ${vscode.l10n.t('TrueConf: reconnecting…')}`;
    }
    case 'failed':
      return `$(error) ${vscode.l10n.t('TrueConf: {0}', shortReason(state.error))}`;
  }
}

/** One line saying what the state means, for the tooltip and the session menu's title. */
export function statusSummary(state: SessionState, account: Account | undefined): string {
  switch (state.kind) {
    case 'signedOut':
      return vscode.l10n.t('Not signed in to TrueConf');
    case 'connecting':
      return vscode.l10n.t('Connecting to {0}…', account?.server ?? '');
    case 'connected':
      return vscode.l10n.t('Connected as {0}', state.userId);
    case 'reconnecting':
      return vscode.l10n.t('Connection lost; reconnecting (attempt {0})', state.attempt);
    case 'failed':
      return vscode.l10n.t('Not connected: {0}', shortReason(state.error));
  }
}

function statusTooltip(state: SessionState, context: FailureContext): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString();
  tooltip.appendMarkdown('**TrueConf** — ').appendText(statusSummary(state, context.account));
  if (context.account) {
    tooltip.appendMarkdown('\n\n').appendText(vscode.l10n.t('Server: {0}', context.account.server));
    tooltip.appendMarkdown('  \n').appendText(vscode.l10n.t('User: {0}', context.account.username));
  }
  if (state.kind === 'reconnecting') {
    tooltip.appendMarkdown('\n\n').appendText(state.lastError.message);
    tooltip.appendMarkdown('  \n').appendText(vscode.l10n.t('Next attempt at {0}', new Date(state.nextAttemptAt).toLocaleTimeString()));
  } else if (state.kind === 'failed') {
    tooltip.appendMarkdown('\n\n').appendText(describeFailure(state.error, context).message);
  }
  tooltip.appendMarkdown('\n\n').appendText(vscode.l10n.t('Click for options.'));
  return tooltip;
}

/** The fixes that apply to a state, most useful first: what the session menu offers. */
export function fixesForState(state: SessionState, context: FailureContext): vscode.Command[] {
  const fixes: vscode.Command[] = [];
  switch (state.kind) {
    case 'signedOut':
      fixes.push(Fixes.signIn());
      break;
    case 'reconnecting':
      fixes.push(Fixes.reconnect());
      break;
    case 'failed':
      fixes.push(...describeFailure(state.error, context).fixes);
      if (!context.signedIn) {
        fixes.push(Fixes.signIn(context.account));
      }
      break;
    case 'connected':
    case 'connecting':
      if (context.signedIn) {
        fixes.push(Fixes.reconnect());
      }
      break;
  }
  fixes.push(Fixes.showLog(), Fixes.openSettings());
  if (context.signedIn) {
    fixes.push(Fixes.signOut());
  }
  // Keep the first of each command: a failure's own Sign In (prefilled) wins over the generic one.
  return fixes.filter((fix, i) => fixes.findIndex((f) => f.command === fix.command) === i);
}

/**
 * The "trueconf.status" item: always shows the session's state, counts down to the next
 * reconnect attempt, and opens the session menu when clicked.
 */
export class StatusBarService extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private countdown: NodeJS.Timeout | undefined;

  constructor(private readonly session: SessionService) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 0));
    this.item.name = vscode.l10n.t('TrueConf');
    this.item.command = Commands.showSessionMenu;
    this._register(session.onDidChangeState(() => this.render()));
    this._register(toDisposable(() => clearTimeout(this.countdown)));
    this.render();
    this.item.show();
  }

  private render(): void {
    const state = this.session.state;
    this.item.tooltip = statusTooltip(state, this.session.failureContext);
    this.item.accessibilityInformation = { label: statusSummary(state, this.session.account) };
    this.item.backgroundColor =
      state.kind === 'failed'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : state.kind === 'reconnecting'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.renderText(state);
  }

  /** The text alone, again each time the countdown's number of seconds changes. */
  private renderText(state: SessionState): void {
    clearTimeout(this.countdown);
    this.countdown = undefined;
    const now = Date.now();
    this.item.text = statusText(state, now);
    if (state.kind === 'reconnecting' && state.nextAttemptAt > now) {
      const wait = (state.nextAttemptAt - now) % 1000 || 1000;
      this.countdown = setTimeout(() => this.renderText(state), wait);
    }
  }
}
