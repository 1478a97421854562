/**
 * The one place the client makes HTTP requests: token, upload, download. TLS options are
 * applied here (and handed to the WebSocket through `webSocketTlsOptions`) so every
 * connection trusts exactly the same certificates. Network failures come out as TrueConfError.
 *
 * Uses `undici.request` rather than `fetch`: fetch keeps every chunk of a streamed request
 * body alive until the request ends, so a large upload would sit in memory.
 *
 * undici is loaded on first use, not when the extension loads: its index pulls in fetch,
 * WebSocket, EventSource and cookies (and with them Node's own copy of undici), which cost
 * ~25 ms of start-up before anyone signs in (bench/results.md, figure 6).
 */
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Agent, buildConnector } from 'undici';
import { Logger, nullLogger } from '../common/logger';
import { redactUrl } from '../common/redact';
import { TrueConfError } from './errors';
import { CertificateInfo, inspectCertificate, pinnedPeerProblem } from './tls';

export interface TlsOptions {
  /** PEM contents of extra certificate authorities to trust (in addition to Node's defaults). */
  ca?: string | Buffer;
  /** Verify the server's certificate (default true). Ignored when `pinnedFingerprint256` is set. */
  rejectUnauthorized?: boolean;
  /**
   * Per-server trust for a certificate that does not verify: the SHA-256 fingerprint (`AB:CD:…`,
   * any case, colons optional) of the one leaf certificate to accept. A connection is then
   * accepted if the certificate verifies as usual (with `ca`) or has exactly this fingerprint;
   * anything else fails with a `certificate` error (a CertificateChangedError) right after the TLS
   * handshake, before any request byte is written — for the token, the WebSocket, uploads and
   * downloads alike. Plain http:// is unaffected.
   */
  pinnedFingerprint256?: string;
}

/** What `ws` needs to trust exactly what HTTP trusts (see RpcSocket.open). */
export interface WebSocketTlsOptions {
  ca?: Array<string | Buffer>;
  rejectUnauthorized: boolean;
  pinnedFingerprint256?: string;
}

export interface HttpRequestOptions {
  method: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  signal?: AbortSignal;
  /** Time allowed until the response headers arrive. */
  headersTimeoutMs?: number;
  /** Time allowed between body chunks. */
  bodyTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The response body as a stream; always consume or destroy it. */
  body: Readable & { text(): Promise<string>; json(): Promise<unknown> };
}

type Undici = typeof import('undici');
let undiciModule: Undici | undefined;

function undici(): Undici {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  undiciModule ??= require('undici') as Undici;
  return undiciModule;
}

const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
const DEFAULT_BODY_TIMEOUT_MS = 60_000;

export class HttpTransport {
  private readonly agent: Agent;

  constructor(
    readonly tls: TlsOptions = {},
    private readonly logger: Logger = nullLogger,
  ) {
    const ca = tls.ca ? mergeWithDefaultCAs(tls.ca) : undefined;
    this.agent = new (undici().Agent)({
      connect:
        tls.pinnedFingerprint256 !== undefined
          ? pinnedConnector(undici().buildConnector({ ca, rejectUnauthorized: false, maxCachedSessions: 0 }), tls.pinnedFingerprint256)
          : { ca, rejectUnauthorized: tls.rejectUnauthorized !== false },
      keepAliveTimeout: 10_000,
    });
  }

  /** TLS options for `ws`, identical to what HTTP uses. */
  webSocketTlsOptions(): WebSocketTlsOptions {
    const pinned = this.tls.pinnedFingerprint256;
    return {
      ca: this.tls.ca ? mergeWithDefaultCAs(this.tls.ca) : undefined,
      rejectUnauthorized: pinned === undefined && this.tls.rejectUnauthorized !== false,
      ...(pinned !== undefined ? { pinnedFingerprint256: pinned } : {}),
    };
  }

  async request(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
    this.logger.debug(`HTTP ${options.method} ${redactUrl(url)}`);
    try {
      const res = await undici().request(url, {
        method: options.method,
        headers: options.headers,
        body: options.body,
        signal: options.signal,
        dispatcher: this.agent,
        headersTimeout: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
        bodyTimeout: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw toNetworkError(err, url, options.signal);
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/**
 * Checks every new https connection against the pin once its handshake is done — undici writes
 * the request only after this callback hands the socket over. TLS sessions are not resumed
 * (`maxCachedSessions: 0`), so each connection shows its certificate afresh.
 */
function pinnedConnector(connect: buildConnector.connector, pin: string): buildConnector.connector {
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new Error('no socket'), null);
        return;
      }
      const problem = options.protocol === 'https:' ? pinnedPeerProblem(socket as TLSSocket, options.host ?? options.hostname, pin) : undefined;
      if (problem) {
        socket.destroy();
        callback(problem, null);
      } else {
        callback(null, socket);
      }
    });
}

/**
 * Look at the certificate an https:// server presents, without sending it anything: for the
 * warning shown before a person trusts a certificate that does not verify. `authorized` says
 * whether it verifies (with `ca`, in addition to Node's trust store). Failures come out as
 * TrueConfError (`unreachable`, `timeout`, `cancelled`, `notTrueConf`; `certificate` for an
 * http:// origin).
 */
export async function probeCertificate(
  origin: string,
  options: { ca?: string | Buffer; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<CertificateInfo> {
  try {
    return await inspectCertificate(origin, {
      ca: options.ca ? mergeWithDefaultCAs(options.ca) : undefined,
      timeoutMs: options.timeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      signal: options.signal,
    });
  } catch (err) {
    throw toNetworkError(err, origin, options.signal);
  }
}

let defaultCAs: string[] | undefined;

/** Passing `ca` replaces Node's trust store; keep the defaults and add the in-house CA. */
function mergeWithDefaultCAs(ca: string | Buffer): Array<string | Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  defaultCAs ??= (require('node:tls') as typeof import('node:tls')).rootCertificates.slice();
  return [...defaultCAs, ca];
}

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
]);

/** Turn a low-level network error into a TrueConfError with a readable message (no URL query). */
export function toNetworkError(err: unknown, url: string, signal?: AbortSignal): TrueConfError {
  if (err instanceof TrueConfError) {
    return err;
  }
  if (signal?.aborted) {
    return signal.reason instanceof TrueConfError ? signal.reason : new TrueConfError('cancelled', 'Cancelled', { cause: err });
  }
  const where = safeHost(url);
  const code = errorCode(err);
  if (code && CERT_CODES.has(code)) {
    return new TrueConfError('certificate', `The certificate of ${where} is not trusted (${code}).`, { cause: err });
  }
  if (isUndiciTimeout(err) || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TrueConfError('timeout', `${where} did not answer in time.`, { cause: err });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TrueConfError('unreachable', `The server name ${where} could not be found.`, { cause: err });
  }
  if (code === 'ECONNREFUSED') {
    return new TrueConfError('unreachable', `${where} refused the connection.`, { cause: err });
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(String((err as Error)?.message))) {
    return new TrueConfError('notTrueConf', `${where} did not answer as expected: check http:// versus https:// and the port.`, { cause: err });
  }
  return new TrueConfError('unreachable', `The connection to ${where} was lost (${code ?? (err as Error)?.message ?? 'unknown error'}).`, { cause: err });
}

/** An undici header or body timeout; without undici loaded, nothing can be one. */
function isUndiciTimeout(err: unknown): boolean {
  const errors = undiciModule?.errors;
  return errors !== undefined && (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError);
}

function errorCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_ABORTED') {
      return code;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return (err as { code?: string })?.code;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}
