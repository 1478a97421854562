import * as vscode from 'vscode';
import { Commands } from '../constants';
import type { CertificateTrustService } from '../services/certificateTrust';
import type { SessionService } from '../services/connection';
import { asTrueConfError, Fixes, hostOf, offerFixes, runFix } from '../services/errors';
import type { Account } from '../services/secrets';
import { configuredValues, readTlsSettings } from '../services/settings';
import { parseServerAddress } from '../trueconf/endpoints';
import { TrueConfError } from '../trueconf/errors';
import { probeCertificate } from '../trueconf/http';
import { isHttps, TrustedCertificate } from '../trueconf/pins';
import { abbreviateFingerprint, CertificateInfo, normalizeFingerprint, sameFingerprint } from '../trueconf/tls';
import { showErrorMessage, showInformationMessage } from '../services/messages';

/**
 * The argument of `trueconf.trustServerCertificate` through executeCommand (all optional):
 * - `server`: the server whose certificate to trust; default: the session's, else `trueconf.server`.
 * - `fingerprint256`: trust only if the server presents exactly this certificate (SHA-256, `AB:CD:…`
 *   or plain hex); anything else is refused.
 * - `skipConfirmation: true`: no modal warning and no follow-up sign-in — for tests and scripts
 *   that confirmed the fingerprint out of band. Only together with `fingerprint256`.
 * Resolves with the trusted certificate, or undefined when nothing was trusted.
 */
export interface TrustServerCertificateArgs {
  server?: string;
  fingerprint256?: string;
  skipConfirmation?: boolean;
}

/** Trust (pin) a server's certificate, and forget a trusted one. */
export function registerCertificateCommands(session: SessionService, trust: CertificateTrustService): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.trustServerCertificate, (arg?: unknown) => trustServerCertificate(session, trust, arg)),
    vscode.commands.registerCommand(Commands.forgetServerCertificate, (arg?: unknown) => forgetServerCertificate(session, trust, arg)),
  );
}

/**
 * Reads the certificate the server presents, shows it in a modal warning (fingerprint, subject,
 * issuer, validity), and on "Trust This Certificate" pins it for that server only; a signed-in
 * session then reconnects, otherwise signing in comes next.
 */
async function trustServerCertificate(session: SessionService, trust: CertificateTrustService, arg: unknown): Promise<TrustedCertificate | undefined> {
  const args: TrustServerCertificateArgs = isObject(arg) ? (arg as TrustServerCertificateArgs) : {};
  const scripted = args.skipConfirmation === true;
  const expected = typeof args.fingerprint256 === 'string' ? normalizeFingerprint(args.fingerprint256) : undefined;
  if (scripted && !expected) {
    // For scripts, not people: not translated.
    throw new Error('skipConfirmation needs fingerprint256: the SHA-256 fingerprint the server must present.');
  }
  const address = typeof args.server === 'string' && args.server.trim() ? args.server.trim() : (session.account?.server ?? configuredValues().server);
  if (!address) {
    await offerFixes('info', vscode.l10n.t('Sign in to your TrueConf Server first.'), [Fixes.signIn()]);
    return undefined;
  }
  const origin = parseServerAddress(address).origin;
  const host = hostOf(origin);
  if (!isHttps(origin)) {
    const message = vscode.l10n.t('{0} is an http:// address: there is no certificate to trust.', host);
    if (scripted) {
      throw new Error(message);
    }
    void showInformationMessage(message);
    return undefined;
  }

  let info: CertificateInfo;
  try {
    const ca = await readTlsSettings()
      .then((tls) => tls.ca)
      .catch(() => undefined);
    const probing = probeCertificate(origin, { ca });
    info = scripted
      ? await probing
      : await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Reading the certificate of {0}…', host) },
          () => probing,
        );
  } catch (err) {
    const error = asTrueConfError(err);
    const message = vscode.l10n.t('Could not read the certificate of {0}: {1}', host, error.message);
    if (scripted) {
      throw new TrueConfError(error.kind, message, { cause: err });
    }
    void showErrorMessage(message);
    return undefined;
  }

  if (info.authorized) {
    const message = vscode.l10n.t('The certificate of {0} verifies: there is nothing to trust.', host);
    if (!scripted) {
      void showInformationMessage(message);
    }
    await reconnectIfUsing(session, origin);
    return undefined;
  }
  if (expected && !sameFingerprint(expected, info.fingerprint256)) {
    const message = vscode.l10n.t(
      '{0} presents a certificate with the fingerprint {1}, not the expected {2}. Nothing was trusted.',
      host,
      abbreviateFingerprint(info.fingerprint256),
      abbreviateFingerprint(expected),
    );
    if (scripted) {
      throw new TrueConfError('certificate', message);
    }
    void showErrorMessage(message);
    return undefined;
  }
  if (!scripted && !(await trust.confirm(origin, info, trust.pinFor(origin)))) {
    return undefined;
  }
  const pin = await trust.trust(origin, info);
  if (!(await reconnectIfUsing(session, origin)) && !scripted) {
    await runFix(Fixes.signIn(accountFor(session, origin)));
  }
  return pin;
}

/** Picks a trusted certificate (or takes `{ server }`) and stops trusting it. */
async function forgetServerCertificate(session: SessionService, trust: CertificateTrustService, arg: unknown): Promise<boolean> {
  const scripted = isObject(arg) && typeof arg.server === 'string';
  let origin: string | undefined;
  if (isObject(arg) && typeof arg.server === 'string') {
    origin = parseServerAddress(arg.server).origin;
  } else {
    const entries = Object.entries(trust.all());
    if (entries.length === 0) {
      void showInformationMessage(vscode.l10n.t('No server certificates are trusted: every server is verified as usual.'));
      return false;
    }
    const picked = await vscode.window.showQuickPick(
      entries.map(([server, pin]) => ({
        label: server,
        description: abbreviateFingerprint(pin.fingerprint256),
        detail: vscode.l10n.t('{0}, trusted on {1}', pin.subject, new Date(pin.trustedAt).toLocaleString()),
        server,
      })),
      { title: vscode.l10n.t('Forget a Trusted Server Certificate'), placeHolder: vscode.l10n.t('Its certificate will be verified as usual again') },
    );
    origin = picked?.server;
  }
  if (!origin) {
    return false;
  }
  const had = await trust.forget(origin);
  if (had && !scripted) {
    void showInformationMessage(vscode.l10n.t('The certificate of {0} is no longer trusted: it is verified as usual again.', hostOf(origin)));
  }
  if (had) {
    await reconnectIfUsing(session, origin);
  }
  return had;
}

/** A session signed in to `origin` reconnects (with the new trust); true if there was one. */
async function reconnectIfUsing(session: SessionService, origin: string): Promise<boolean> {
  if (session.isSignedIn && session.account?.server === origin) {
    await session.reconnect();
    return true;
  }
  return false;
}

function accountFor(session: SessionService, origin: string): Account | undefined {
  const account = session.account;
  if (account?.server === origin) {
    return account;
  }
  return { server: origin, username: configuredValues().username };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
