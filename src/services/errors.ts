import * as vscode from 'vscode';
import { redactPatterns } from '../common/redact';
import { Commands, Settings } from '../constants';
import { parseServerAddress } from '../trueconf/endpoints';
import { TrueConfError } from '../trueconf/errors';
import { abbreviateFingerprint, isCertificateChangedError } from '../trueconf/tls';
import type { Account } from './secrets';
import { showErrorMessage, showInformationMessage } from './messages';

/** The file named by `trueconf.tls.caFile` cannot be used. A certificate problem the user can fix. */
export class CaFileError extends TrueConfError {
  constructor(
    readonly path: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super('certificate', `Cannot use the CA file "${path}" set in ${Settings.section}.${Settings.tlsCaFile}: ${reason}.`, { cause });
  }
}

/** Whom a failure happened to, so its message and fixes can name them. */
export interface FailureContext {
  /** The account signed in, or the one a sign-in was trying. */
  readonly account?: Account;
  /** Credentials are stored, so Reconnect and Sign Out apply. */
  readonly signedIn: boolean;
}

/** The commands that can fix things, as the buttons and picks that offer them. */
export const Fixes = {
  signIn: (account?: Account): vscode.Command => ({
    title: vscode.l10n.t('Sign In'),
    command: Commands.signIn,
    arguments: account ? [{ server: account.server, username: account.username }] : [],
  }),
  reconnect: (): vscode.Command => ({ title: vscode.l10n.t('Reconnect'), command: Commands.reconnect }),
  chooseCaFile: (): vscode.Command => ({ title: vscode.l10n.t('Choose CA File…'), command: Commands.chooseCaFile }),
  trustCertificate: (account?: Account): vscode.Command => ({
    title: vscode.l10n.t("Trust This Server's Certificate…"),
    command: Commands.trustServerCertificate,
    arguments: account ? [{ server: account.server }] : [],
  }),
  trustNewCertificate: (account?: Account): vscode.Command => ({
    title: vscode.l10n.t('Trust the New Certificate…'),
    command: Commands.trustServerCertificate,
    arguments: account ? [{ server: account.server }] : [],
  }),
  openSettings: (): vscode.Command => ({
    title: vscode.l10n.t('Open Settings'),
    command: 'workbench.action.openSettings',
    arguments: [Settings.section],
  }),
  showLog: (): vscode.Command => ({ title: vscode.l10n.t('Show Log'), command: Commands.showLog }),
  signOut: (): vscode.Command => ({ title: vscode.l10n.t('Sign Out'), command: Commands.signOut }),
};

/** A few words for the status bar: "wrong password", "server unreachable". */
export function shortReason(error: TrueConfError): string {
  if (error instanceof CaFileError) {
    return vscode.l10n.t('CA file unusable');
  }
  if (isCertificateChangedError(error)) {
    return vscode.l10n.t('certificate changed');
  }
  switch (error.kind) {
    case 'wrongCredentials':
      return vscode.l10n.t('wrong password');
    case 'passwordSignInDisabled':
      return vscode.l10n.t('password sign-in disabled');
    case 'userDisabled':
      return vscode.l10n.t('account disabled');
    case 'tokenExpired':
      return vscode.l10n.t('session expired');
    case 'unreachable':
      return vscode.l10n.t('server unreachable');
    case 'notTrueConf':
      return vscode.l10n.t('not a TrueConf server');
    case 'certificate':
      return vscode.l10n.t('certificate not trusted');
    case 'timeout':
      return vscode.l10n.t('server not answering');
    case 'connectionLimit':
      return vscode.l10n.t('connection limit reached');
    case 'protocol':
      return vscode.l10n.t('unexpected answer');
    default:
      return vscode.l10n.t('connection failed');
  }
}

/**
 * What happened and what to do about it, for a failure to sign in or stay connected. Never includes
 * the password or token: the client's messages are clean, and are scrubbed once more regardless.
 */
export function describeFailure(error: TrueConfError, context: FailureContext): { message: string; fixes: vscode.Command[] } {
  const server = context.account ? hostOf(context.account.server) : vscode.l10n.t('the server');
  const user = context.account?.username ?? '';
  const detail = asSentence(redactPatterns(error.message));
  const retry = context.signedIn ? Fixes.reconnect() : Fixes.signIn(context.account);
  if (error instanceof CaFileError) {
    return {
      message: vscode.l10n.t(
        'Cannot use the CA file "{0}" (setting {1}): {2}. Choose a PEM file with your company\'s certificate authority, or clear the setting.',
        error.path,
        `${Settings.section}.${Settings.tlsCaFile}`,
        error.reason,
      ),
      fixes: [Fixes.chooseCaFile(), Fixes.openSettings()],
    };
  }
  switch (error.kind) {
    case 'wrongCredentials':
      return {
        message: vscode.l10n.t('Wrong user name or password for {0} on {1}. Check them and sign in again.', user, server),
        fixes: [Fixes.signIn(context.account)],
      };
    case 'passwordSignInDisabled':
      return {
        message: vscode.l10n.t(
          '{0} does not allow signing in with a password. Ask your TrueConf administrator to allow password sign-in for chatbot clients.',
          server,
        ),
        fixes: [Fixes.showLog()],
      };
    case 'userDisabled':
      return {
        message: vscode.l10n.t('The account {0} is disabled on {1}. Ask your TrueConf administrator to enable it.', user, server),
        fixes: [Fixes.signIn(context.account), Fixes.showLog()],
      };
    case 'tokenExpired':
      return {
        message: vscode.l10n.t('Your session on {0} has expired. Sign in again.', server),
        fixes: [Fixes.signIn(context.account)],
      };
    case 'unreachable':
      return {
        message: vscode.l10n.t('Cannot reach {0}. {1} Check the server address and your network connection.', server, detail),
        fixes: [retry, Fixes.openSettings(), Fixes.showLog()],
      };
    case 'notTrueConf':
      return {
        message: vscode.l10n.t(
          '{0} does not answer like a TrueConf Server. Check the address (https:// or http://, and the port). The chatbot API needs TrueConf Server 5.5 or later.',
          server,
        ),
        fixes: [Fixes.signIn(context.account), Fixes.openSettings(), Fixes.showLog()],
      };
    case 'certificate':
      if (isCertificateChangedError(error)) {
        return {
          message: vscode.l10n.t(
            'The certificate of {0} has changed since you trusted it (was {1}, now {2}). Nothing was sent to the server. If your administrator replaced the certificate, confirm the new fingerprint with them and trust it; otherwise someone may be intercepting the connection.',
            server,
            abbreviateFingerprint(error.pinnedFingerprint256),
            abbreviateFingerprint(error.presented.fingerprint256),
          ),
          fixes: [Fixes.trustNewCertificate(context.account), Fixes.showLog(), ...(context.signedIn ? [Fixes.signOut()] : [])],
        };
      }
      return {
        message: vscode.l10n.t(
          "The certificate of {0} is not trusted. If your company uses its own certificate authority, choose its CA file (PEM). Otherwise, and only if your administrator confirms its fingerprint, trust this server's certificate.",
          server,
        ),
        fixes: [Fixes.chooseCaFile(), Fixes.trustCertificate(context.account), Fixes.openSettings()],
      };
    case 'timeout':
      return {
        message: vscode.l10n.t('{0} did not answer in time. Check your network connection, then try again.', server),
        fixes: [retry, Fixes.showLog()],
      };
    case 'connectionLimit':
      return {
        message: vscode.l10n.t(
          '{0} has reached its limit of chatbot connections. Try again later, or ask your TrueConf administrator.',
          server,
        ),
        fixes: [retry, Fixes.showLog()],
      };
    default:
      return {
        message: vscode.l10n.t('TrueConf: {0}', detail),
        fixes: [retry, Fixes.showLog()],
      };
  }
}

export function runFix(fix: vscode.Command): Thenable<unknown> {
  return vscode.commands.executeCommand(fix.command, ...(fix.arguments ?? []));
}

/** Shows a message with fixes as its buttons, and runs the one picked. */
export async function offerFixes(severity: 'error' | 'info', message: string, fixes: vscode.Command[]): Promise<void> {
  const titles = fixes.map((fix) => fix.title);
  const picked =
    severity === 'error' ? await showErrorMessage(message, ...titles) : await showInformationMessage(message, ...titles);
  const fix = fixes.find((f) => f.title === picked);
  if (fix) {
    await runFix(fix);
  }
}

/** Says what went wrong and what to do, with the fixes as buttons. */
export function showFailure(error: TrueConfError, context: FailureContext): Promise<void> {
  const { message, fixes } = describeFailure(error, context);
  return offerFixes('error', message, fixes);
}

/** Any error as a TrueConfError, so every failure has a kind. */
export function asTrueConfError(error: unknown): TrueConfError {
  if (error instanceof TrueConfError) {
    return error;
  }
  return new TrueConfError('protocol', error instanceof Error ? error.message : String(error), { cause: error });
}

function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** host[:port] of a server address, for messages; the text itself when it is not an address. */
export function hostOf(server: string): string {
  try {
    return parseServerAddress(server).host;
  } catch {
    return server;
  }
}
