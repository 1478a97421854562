import * as vscode from 'vscode';
import type { TlsOptions } from '../trueconf/http';
import { probeCertificate } from '../trueconf/http';
import { TlsPreferences, TrustedCertificate, TrustedCertificates } from '../trueconf/pins';
import { TrueConfError } from '../trueconf/errors';
import type { CertificateInfo } from '../trueconf/tls';
import { hostOf } from './errors';
import type { LogService } from './log';
import { showWarningMessage } from './messages';

/**
 * Per-server certificate trust in VS Code: the pins live in globalState, keyed by the server's
 * origin (a fingerprint is no secret), and a person sees a modal warning with the certificate's
 * fingerprint, subject and issuer before one is trusted.
 *
 * `trueconf.tls.rejectUnauthorized` off does not disable verification: before the first
 * connection to a server whose certificate does not verify, it asks to trust that one
 * certificate for that one server. See src/trueconf/pins.ts for the rules.
 */
export class CertificateTrustService {
  private readonly pins: TrustedCertificates;

  constructor(
    storage: vscode.Memento,
    private readonly log: LogService,
  ) {
    this.pins = new TrustedCertificates(storage);
  }

  /** The certificate trusted for this server, if any. */
  pinFor(origin: string): TrustedCertificate | undefined {
    return this.pins.get(origin);
  }

  /** Every trusted certificate, by origin. */
  all(): Readonly<Record<string, TrustedCertificate>> {
    return this.pins.all();
  }

  /**
   * The TLS options a connection to `origin` uses. With verification turned off and no pin for
   * the server, its certificate is looked at first: one that verifies is used as usual; any other
   * is shown in the modal warning, and the connection goes ahead only once it is trusted (pinned).
   * Rejects with a `certificate` TrueConfError when the person does not trust it.
   */
  async tlsFor(origin: string, preferences: TlsPreferences, signal?: AbortSignal): Promise<TlsOptions> {
    const decision = this.pins.decide(origin, preferences);
    if (decision.kind === 'connect') {
      return decision.tls;
    }
    let info: CertificateInfo;
    try {
      info = await probeCertificate(origin, { ca: preferences.ca, signal });
    } catch (err) {
      if (signal?.aborted) {
        throw err;
      }
      // Unreachable now: connect with verification on, and ask once the server answers.
      this.log.logger.warn(`Could not read the certificate of ${origin} to ask about it; verifying it as usual:`, err);
      return decision.tls;
    }
    if (info.authorized) {
      this.log.logger.info(`The certificate of ${origin} verifies: with verification turned off, there is nothing to trust`);
      return decision.tls;
    }
    if (!(await this.confirm(origin, info))) {
      throw new TrueConfError('certificate', `You did not trust the certificate of ${hostOf(origin)}; nothing was sent to it.`);
    }
    const pin = await this.trust(origin, info);
    return { ca: preferences.ca, pinnedFingerprint256: pin.fingerprint256 };
  }

  /** Trust `info` for `origin` from now on (after the person confirmed it). */
  async trust(origin: string, info: CertificateInfo): Promise<TrustedCertificate> {
    const pin = await this.pins.trust(origin, info);
    this.log.logger.info(`Trusting the certificate of ${origin} with SHA-256 fingerprint ${pin.fingerprint256} (subject ${pin.subject}; issuer ${pin.issuer})`);
    return pin;
  }

  /** Stop trusting the certificate pinned for `origin`; true if there was one. */
  async forget(origin: string): Promise<boolean> {
    const had = await this.pins.forget(origin);
    if (had) {
      this.log.logger.info(`No longer trusting the pinned certificate of ${origin}`);
    }
    return had;
  }

  /**
   * The modal warning before a certificate is trusted: what it is, that an administrator should
   * confirm the fingerprint, and what trusting it means. True when the person trusts it.
   */
  async confirm(origin: string, info: CertificateInfo, previous?: TrustedCertificate): Promise<boolean> {
    const host = hostOf(origin);
    const trustButton = vscode.l10n.t('Trust This Certificate');
    const message = previous
      ? vscode.l10n.t('The certificate of {0} is not the one you trusted. Trust the new certificate?', host)
      : vscode.l10n.t('The certificate of {0} cannot be verified. Trust it for this server?', host);
    const lines = [
      info.authorizationError ? vscode.l10n.t('Reason: {0}', info.authorizationError) : undefined,
      vscode.l10n.t('Only continue if your administrator confirms this fingerprint.'),
      '',
      vscode.l10n.t('SHA-256 fingerprint: {0}', info.fingerprint256),
      previous ? vscode.l10n.t('Trusted until now: {0}', previous.fingerprint256) : undefined,
      vscode.l10n.t('Subject: {0}', info.subject),
      vscode.l10n.t('Issuer: {0}', info.issuer),
      vscode.l10n.t('Valid until: {0}', info.validTo),
      '',
      vscode.l10n.t(
        'TrueConf Share will then connect to {0} only while it presents exactly this certificate, and will stop before sending anything if it changes. Other servers are still verified as usual.',
        host,
      ),
    ];
    const detail = lines.filter((line) => line !== undefined).join('\n');
    const picked = await showWarningMessage(message, { modal: true, detail }, trustButton);
    return picked === trustButton;
  }
}
