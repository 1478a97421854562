/**
 * Certificate pinning and inspection (protocol.md §1.4). Verification stays on by default; a
 * server whose certificate cannot be verified can be trusted one certificate at a time: the
 * caller pins the SHA-256 fingerprint of the leaf certificate it was shown (`TlsOptions.
 * pinnedFingerprint256`), and a connection is then accepted when the certificate verifies as
 * usual OR is exactly the pinned one. Anything else fails with a `certificate` error right after
 * the TLS handshake, before a single byte of a request is written.
 *
 * Node checks `checkServerIdentity` only for certificates that verified, so the pin cannot live
 * there: HTTP checks the socket in undici's connector callback, the WebSocket on a socket this
 * module connects before `ws` gets it. Neither is handed to its user until it passed.
 *
 * No `vscode` here; raw socket errors are left to the callers' `toNetworkError`.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { TrueConfError } from './errors';

/** What a server's certificate says about itself, for a person deciding whether to trust it. */
export interface CertificateInfo {
  /** SHA-256 of the leaf certificate (DER), as `AB:CD:…` (32 pairs, upper case). */
  fingerprint256: string;
  /** `CN=video.example.com, O=Example` */
  subject: string;
  issuer: string;
  /** As OpenSSL prints it, e.g. `Oct 31 23:49:29 2126 GMT`. */
  validFrom: string;
  validTo: string;
  /** True when the certificate verified (chain, with the given `ca`, and host name). */
  authorized: boolean;
  /** Why it did not verify, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  authorizationError?: string;
}

/**
 * The certificate differs from the one pinned for this server (which did not verify either):
 * a replaced certificate, or someone in the middle. Nothing was sent over the connection.
 */
export class CertificateChangedError extends TrueConfError {
  constructor(
    readonly host: string,
    /** The pinned fingerprint, `AB:CD:…`. */
    readonly pinnedFingerprint256: string,
    /** The certificate the server presented now. */
    readonly presented: CertificateInfo,
  ) {
    super(
      'certificate',
      `The certificate of ${host} has changed since you trusted it (was ${abbreviateFingerprint(pinnedFingerprint256)}, now ` +
        `${abbreviateFingerprint(presented.fingerprint256)}). Nothing was sent. Ask your administrator whether the certificate ` +
        `was replaced; if not, someone may be intercepting the connection.`,
    );
  }
}

/**
 * True for a CertificateChangedError, also one made by another copy of this module (the
 * extension bundle and a test each load their own).
 */
export function isCertificateChangedError(err: unknown): err is CertificateChangedError {
  return (
    err instanceof CertificateChangedError ||
    (err instanceof Error &&
      (err as Partial<TrueConfError>).kind === 'certificate' &&
      typeof (err as Partial<CertificateChangedError>).pinnedFingerprint256 === 'string' &&
      typeof (err as Partial<CertificateChangedError>).presented?.fingerprint256 === 'string')
  );
}

/** `ab:cd…`, `ABCD…` or `AB CD …` → `AB:CD:…`; undefined when it is not 32 bytes of hex. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    return undefined;
  }
  return hex.match(/../g)!.join(':');
}

export function sameFingerprint(a: string, b: string): boolean {
  const na = normalizeFingerprint(a);
  return na !== undefined && na === normalizeFingerprint(b);
}

/** The first 8 bytes and an ellipsis, for messages: `AB:CD:EF:01:23:45:67:89…`. */
export function abbreviateFingerprint(fingerprint: string): string {
  const full = normalizeFingerprint(fingerprint) ?? fingerprint;
  return full.length > 23 ? `${full.slice(0, 23)}…` : full;
}

/** SHA-256 fingerprint of a PEM or DER certificate, `AB:CD:…` (what `probeCertificate` reports). */
export function certificateFingerprint256(cert: string | Buffer): string {
  const der = typeof cert === 'string' || !isDer(cert) ? pemToDer(cert.toString()) : cert;
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/**
 * Is this socket's server acceptable under a pin? `undefined` when the certificate verified or is
 * the pinned one; otherwise the error to fail with (the caller destroys the socket).
 */
export function pinnedPeerProblem(socket: tls.TLSSocket, host: string, pinnedFingerprint256: string): TrueConfError | undefined {
  if (socket.authorized) {
    return undefined;
  }
  const presented = certificateInfo(socket);
  if (!presented) {
    return new TrueConfError('certificate', `${host} presented no certificate.`);
  }
  if (sameFingerprint(presented.fingerprint256, pinnedFingerprint256)) {
    return undefined;
  }
  return new CertificateChangedError(host, normalizeFingerprint(pinnedFingerprint256) ?? pinnedFingerprint256, presented);
}

/** The peer certificate of a connected TLS socket, or undefined when there is none. */
export function certificateInfo(socket: tls.TLSSocket): CertificateInfo | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) {
    return undefined;
  }
  const error = socket.authorizationError as unknown;
  return {
    fingerprint256: certificateFingerprint256(cert.raw),
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    authorized: socket.authorized,
    authorizationError: socket.authorized || error === undefined || error === null ? undefined : String((error as Error).message ?? error),
  };
}

export interface TlsConnectOptions {
  /** `host[:port]` as in a URL; the port defaults to 443. */
  host: string;
  ca?: string | Buffer | Array<string | Buffer>;
  /** Accept only a certificate that verifies or has this fingerprint. Without it: verification as usual. */
  pinnedFingerprint256?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * A TLS connection that has finished its handshake and passed the pin check, with nothing written
 * on it. Rejects with a TrueConfError for a changed certificate, a timeout or an abort, and with
 * the raw socket error otherwise (for `toNetworkError`).
 */
export function connectTls(options: TlsConnectOptions): Promise<tls.TLSSocket> {
  const pin = options.pinnedFingerprint256;
  return handshake(options, pin !== undefined, (socket, host) => (pin === undefined ? undefined : pinnedPeerProblem(socket, host, pin)));
}

/**
 * Connect to an https:// origin, read the certificate it presents, and hang up: no request is
 * sent. Verification is off for this look only; `authorized` says whether the certificate would
 * have passed (with `ca`). Rejects like `connectTls`.
 */
export async function inspectCertificate(
  origin: string,
  options: { ca?: string | Buffer | Array<string | Buffer>; timeoutMs: number; signal?: AbortSignal },
): Promise<CertificateInfo> {
  const url = new URL(origin);
  if (url.protocol !== 'https:' && url.protocol !== 'wss:') {
    throw new TrueConfError('certificate', `${url.host} is not an https:// address: it has no certificate to check.`);
  }
  const socket = await handshake({ ...options, host: url.host }, true, () => undefined);
  try {
    const info = certificateInfo(socket);
    if (!info) {
      throw new TrueConfError('certificate', `${url.host} presented no certificate.`);
    }
    return info;
  } finally {
    socket.destroy();
  }
}

/** Connect, wait for the handshake, then let `check` accept or refuse the socket. */
function handshake(
  options: Omit<TlsConnectOptions, 'pinnedFingerprint256'>,
  acceptUnverified: boolean,
  check: (socket: tls.TLSSocket, host: string) => TrueConfError | undefined,
): Promise<tls.TLSSocket> {
  const { hostname, port, display } = splitHost(options.host);
  const { signal, timeoutMs } = options;
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled(signal));
      return;
    }
    const socket = tls.connect({
      host: hostname,
      port,
      // ws and undici send no SNI for an IP address; neither do we.
      servername: isIP(hostname) ? '' : hostname,
      ca: options.ca,
      rejectUnauthorized: !acceptUnverified,
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (err?: unknown) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('secureConnect', onSecure).off('error', finish);
      if (err !== undefined) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onAbort = () => finish(cancelled(signal));
    const onSecure = () => finish(check(socket, display));
    const timer = setTimeout(
      () => finish(new TrueConfError('timeout', `${display} did not complete the TLS handshake within ${timeoutMs / 1000} s.`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', onSecure).once('error', finish);
  });
}

function cancelled(signal: AbortSignal | undefined): TrueConfError {
  const reason: unknown = signal?.reason;
  return reason instanceof TrueConfError ? reason : new TrueConfError('cancelled', 'Cancelled', { cause: reason });
}

// ---- helpers ----------------------------------------------------------------------------------

function distinguishedName(name: tls.Certificate | undefined): string {
  if (!name) {
    return '';
  }
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}

function isDer(buf: Buffer): boolean {
  return buf.length > 0 && buf[0] === 0x30;
}

function pemToDer(pem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) {
    throw new TypeError('not a PEM certificate');
  }
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

/** `host:port` (IPv6 in brackets) → the parts `tls.connect` wants, and the text for messages. */
function splitHost(hostWithPort: string): { hostname: string; port: number; display: string } {
  const url = new URL(`https://${hostWithPort}`);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { hostname, port: url.port ? Number(url.port) : 443, display: url.host };
}
