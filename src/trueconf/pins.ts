/**
 * Per-server certificate trust: which certificate a person chose to trust for which server, and
 * the TLS options a connection to a server gets from that and the settings (protocol.md §1.4).
 *
 * - Verification is on by default; `ca` adds an in-house certificate authority.
 * - A server whose certificate does not verify can be trusted by pinning the SHA-256
 *   fingerprint of the one certificate it presented, after a person saw it. The pin belongs to
 *   that server's origin only: every other server is still verified as usual.
 * - With a pin, the connection is accepted when the certificate verifies or is exactly the
 *   pinned one; a different certificate is refused before anything is sent (see tls.ts).
 * - Verification turned off in the settings does not mean "accept anything": it means a server
 *   without a pin needs a person to see its certificate and pin it before the first connection.
 *
 * Plain Node: the storage is any key-value store (VS Code's globalState in the extension).
 */
import type { TlsOptions } from './http';
import { CertificateInfo, normalizeFingerprint } from './tls';

/** A certificate trusted for one server. */
export interface TrustedCertificate {
  /** `AB:CD:…` */
  readonly fingerprint256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly validTo: string;
  /** When the person trusted it, ms since the epoch. */
  readonly trustedAt: number;
}

/** Where pins are kept: VS Code's `Memento` fits. */
export interface PinStorage {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** The TLS settings as the user set them. */
export interface TlsPreferences {
  /** PEM of extra certificate authorities (the contents of `trueconf.tls.caFile`). */
  readonly ca?: string | Buffer;
  /** `trueconf.tls.rejectUnauthorized`. */
  readonly rejectUnauthorized: boolean;
}

export type TlsDecision =
  /** Connect with these options. */
  | { readonly kind: 'connect'; readonly tls: TlsOptions; readonly pin?: TrustedCertificate }
  /**
   * Verification is off and this https:// server has no pin: look at its certificate
   * (probeCertificate); if it verifies, connect as usual, otherwise ask a person and pin it first.
   */
  | { readonly kind: 'askFirst'; readonly tls: TlsOptions };

/** The origin a pin is kept under: scheme, host and port, lower case, default port left out. */
export function pinKey(origin: string): string {
  return new URL(origin).origin;
}

export function isHttps(origin: string): boolean {
  return /^(https|wss):$/i.test(new URL(origin).protocol);
}

export class TrustedCertificates {
  /** The storage key (globalState) of the map origin → TrustedCertificate. */
  static readonly STORAGE_KEY = 'trueconf.tls.trustedCertificates';

  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: PinStorage) {}

  get(origin: string): TrustedCertificate | undefined {
    const entry = this.all()[pinKey(origin)];
    return entry && normalizeFingerprint(entry.fingerprint256) ? entry : undefined;
  }

  /** Every pin, by origin. */
  all(): Readonly<Record<string, TrustedCertificate>> {
    const value = this.storage.get<unknown>(TrustedCertificates.STORAGE_KEY);
    return isRecord(value) ? (value as Record<string, TrustedCertificate>) : {};
  }

  /** Trust `certificate` (as probeCertificate reported it) for `origin`, replacing any earlier pin. */
  trust(origin: string, certificate: CertificateInfo, now: number = Date.now()): Promise<TrustedCertificate> {
    const fingerprint256 = normalizeFingerprint(certificate.fingerprint256);
    if (!fingerprint256) {
      return Promise.reject(new TypeError(`Not a SHA-256 fingerprint: ${certificate.fingerprint256}`));
    }
    const pin: TrustedCertificate = {
      fingerprint256,
      subject: certificate.subject,
      issuer: certificate.issuer,
      validTo: certificate.validTo,
      trustedAt: now,
    };
    return this.change((pins) => ({ ...pins, [pinKey(origin)]: pin })).then(() => pin);
  }

  /** Stop trusting the pinned certificate of `origin`; true if there was one. */
  async forget(origin: string): Promise<boolean> {
    const key = pinKey(origin);
    let had = false;
    await this.change((pins) => {
      had = key in pins;
      const { [key]: _dropped, ...rest } = pins;
      return rest;
    });
    return had;
  }

  /** What a connection to `origin` uses, given the settings and this origin's pin. */
  decide(origin: string, preferences: TlsPreferences): TlsDecision {
    const verified: TlsOptions = { ca: preferences.ca, rejectUnauthorized: true };
    if (!isHttps(origin)) {
      return { kind: 'connect', tls: verified };
    }
    const pin = this.get(origin);
    if (pin) {
      return { kind: 'connect', tls: { ca: preferences.ca, pinnedFingerprint256: pin.fingerprint256 }, pin };
    }
    return preferences.rejectUnauthorized ? { kind: 'connect', tls: verified } : { kind: 'askFirst', tls: verified };
  }

  /** Read-modify-write, one at a time. */
  private change(edit: (pins: Record<string, TrustedCertificate>) => Record<string, TrustedCertificate>): Promise<void> {
    const result = this.queue.then(() => this.storage.update(TrustedCertificates.STORAGE_KEY, edit({ ...this.all() })));
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
