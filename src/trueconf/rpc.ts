/**
 * One WebSocket connection to the chatbot API (protocol.md §1.3, §3): JSON frames, request ids,
 * response matching, acks for server requests, heartbeat. It knows nothing about tokens or
 * reconnecting; `TrueConfClient` builds those on top. A socket is used once: after it closes,
 * the client opens a new one.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { Emitter, Event } from '../common/event';
import type { IDisposable } from '../common/lifecycle';
import { Logger, nullLogger } from '../common/logger';
import { redactPatterns } from '../common/redact';
import { TrueConfError, apiError, cancelledError } from './errors';
import { toNetworkError } from './http';
import type { HttpTransport } from './http';
import { notTrueConfError } from './server-errors';
import { connectTls } from './tls';
import type { RequestFrame } from './types';

export type WebSocketTlsOptions = ReturnType<HttpTransport['webSocketTlsOptions']>;

export interface RpcSocketOptions {
  /** From `HttpTransport.webSocketTlsOptions()`, so the socket trusts what HTTP trusts. */
  tls: WebSocketTlsOptions;
  logger?: Logger;
  /** Default timeout of a request; 30 s unless given. */
  requestTimeoutMs?: number;
  /** Time allowed for the opening handshake; 20 s unless given. */
  handshakeTimeoutMs?: number;
  /** Largest frame accepted; 64 MiB unless given. */
  maxPayloadBytes?: number;
  /** WebSocket ping period; 30 s unless given. */
  pingIntervalMs?: number;
  /** Time to wait for the pong before the connection counts as dead; 10 s unless given. */
  pongTimeoutMs?: number;
  /**
   * Masks secrets in text the server sent that ends up in a log line or an error message (ignored
   * frames, error descriptions, close reasons). `redactPatterns` unless given; the client passes
   * its Redactor, which also knows the password and the token.
   */
  redact?: (text: string) => string;
}

export interface RpcRequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export const SUBPROTOCOL = 'json.v1';
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const DEFAULT_PING_INTERVAL_MS = 30_000;
const DEFAULT_PONG_TIMEOUT_MS = 10_000;
/** OC enables TCP keep-alive because a proxy FIN-ed idle connections after ~41 s (protocol.md §1.3). */
const TCP_KEEPALIVE_MS = 15_000;
/** How long a polite close waits for the server's close frame before cutting the connection. */
const CLOSE_GRACE_MS = 2_000;
const MAX_ID = 0xffff_ffff;
const LOGGED_FRAME_CHARS = 200;
/** The most of a server's `errorDescription` put into an error message. */
const MAX_DESCRIPTION_CHARS = 300;
/**
 * Server text is redacted only this far before it is cut for display. The secret patterns cost
 * time quadratic in the length of some inputs (a 1 MB frame of `eyJ-eyJ-…` took minutes), so a
 * frame is never redacted whole; secrets that start in the part shown are still masked in full.
 */
const REDACT_WINDOW_CHARS = 2048;
/** Characters that end a token, a password-like word or a URL: what a cut secret runs up to. */
const SECRET_DELIMITER_RE = /[\s"'<>,;{}[\]]/;

interface Pending {
  method: string;
  startedAt: number;
  resolve(payload: unknown): void;
  reject(err: TrueConfError): void;
}

export class RpcSocket implements IDisposable {
  /**
   * Connect and resolve once the upgrade succeeded. Failures come out as TrueConfError:
   * `notTrueConf`, `connectionLimit`, `certificate`, `unreachable`, `timeout` or `cancelled`.
   */
  static open(url: string, options: RpcSocketOptions, signal?: AbortSignal): Promise<RpcSocket> {
    const pin = options.tls.pinnedFingerprint256;
    if (pin === undefined || !/^wss:/i.test(url)) {
      return RpcSocket.upgrade(url, options, signal);
    }
    // A pinned certificate (tls.ts) is checked on a connection made here, before ws writes its
    // upgrade request on it: a changed certificate gets nothing, not even the path.
    const startedAt = Date.now();
    const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    return connectTls({ host: hostOf(url), ca: options.tls.ca, pinnedFingerprint256: pin, timeoutMs, signal }).then(
      (socket) => RpcSocket.upgrade(url, { ...options, handshakeTimeoutMs: Math.max(1, timeoutMs - (Date.now() - startedAt)) }, signal, socket),
      (err: unknown) => Promise.reject(toNetworkError(err, url, signal)),
    );
  }

  /** The WebSocket handshake, on `socket` when one is given (already connected and checked). */
  private static upgrade(url: string, options: RpcSocketOptions, signal?: AbortSignal, socket?: TLSSocket): Promise<RpcSocket> {
    const host = hostOf(url);
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    return new Promise<RpcSocket>((resolve, reject) => {
      if (signal?.aborted) {
        socket?.destroy();
        reject(cancelledError(signal.reason));
        return;
      }
      const ws = new WebSocket(url, [SUBPROTOCOL], {
        handshakeTimeout: handshakeTimeoutMs,
        maxPayload: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
        perMessageDeflate: false,
        ca: options.tls.ca,
        rejectUnauthorized: options.tls.rejectUnauthorized,
        ...(socket ? { createConnection: () => socket } : {}),
      });
      let failure: TrueConfError | undefined;
      const onAbort = () => {
        failure = cancelledError(signal?.reason);
        ws.terminate();
      };
      const onUpgrade = (res: IncomingMessage) => {
        res.socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
      };
      const onUnexpectedResponse = (_req: unknown, res: IncomingMessage) => {
        failure ??= handshakeRefusal(host, res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      };
      const onError = (err: Error) => {
        failure ??= handshakeError(err, url, host, handshakeTimeoutMs, signal);
      };
      const onClose = (code: number, reason: Buffer) => {
        settle();
        reject(failure ?? closeError(host, code, (options.redact ?? redactPatterns)(reason.toString())));
      };
      const onOpen = () => {
        settle();
        resolve(new RpcSocket(ws, host, options));
      };
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        ws.off('upgrade', onUpgrade).off('unexpected-response', onUnexpectedResponse).off('error', onError);
        ws.off('close', onClose).off('open', onOpen);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      ws.on('upgrade', onUpgrade).on('unexpected-response', onUnexpectedResponse).on('error', onError);
      ws.on('close', onClose).on('open', onOpen);
    });
  }

  /** Resolves once, when the connection has closed, with the reason pending requests were given. */
  readonly closed: Promise<TrueConfError>;
  /** Server requests (notifications), fired after the ack has been sent. */
  readonly onRequest: Event<RequestFrame>;

  private readonly logger: Logger;
  private readonly requestEmitter: Emitter<RequestFrame>;
  private readonly pending = new Map<number, Pending>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly requestTimeoutMs: number;
  private readonly redact: (text: string) => string;
  private lastId = 0;
  private closeReason: TrueConfError | undefined;
  /** What went wrong on our side (invalid frame, frame too big) when the close itself says nothing. */
  private lastSocketError: Error | undefined;
  private resolveClosed!: (reason: TrueConfError) => void;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly ws: WebSocket,
    readonly host: string,
    options: RpcSocketOptions,
  ) {
    this.logger = options.logger ?? nullLogger;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.redact = options.redact ?? redactPatterns;
    this.requestEmitter = new Emitter<RequestFrame>((err) => this.logger.error(`A notification listener failed: ${errorText(err)}`));
    this.onRequest = this.requestEmitter.event;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    ws.on('message', (data) => this.onMessage(data));
    ws.on('pong', () => this.onPong());
    // 'close' always follows 'error'; that is where the socket is torn down.
    ws.on('error', (err) => {
      this.lastSocketError = err;
      this.logger.warn(`WebSocket error from ${host}: ${err.message}`);
    });
    ws.on('close', (code, reason) => this.onClosed(code, reason.toString()));
    this.startHeartbeat(options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS, options.pongTimeoutMs ?? DEFAULT_PONG_TIMEOUT_MS);
  }

  get isOpen(): boolean {
    return this.closeReason === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Requests sent and not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Send a request and resolve with the response payload (which may be an array). A non-zero
   * `errorCode` rejects with `apiError()`; no answer within the timeout rejects with `timeout`
   * and leaves the socket usable; a closed socket rejects with its close reason.
   */
  async request<T = unknown>(method: string, payload?: unknown, options: RpcRequestOptions = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) {
      throw cancelledError(signal.reason);
    }
    if (!this.isOpen) {
      throw this.closeReason ?? new TrueConfError('unreachable', `Not connected to ${this.host}.`);
    }
    const id = this.allocateId();
    const text = JSON.stringify(payload === undefined ? { type: 1, id, method } : { type: 1, id, method, payload });
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const settle = (finish: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        finish();
        this.wakeIdleWaiters();
      };
      const onAbort = () => settle(() => reject(cancelledError(signal?.reason)));
      const timer = setTimeout(() => {
        this.logger.debug(`× ${method} #${id} timed out`);
        settle(() => reject(new TrueConfError('timeout', `${method} got no answer within ${timeoutMs / 1000} s`)));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        startedAt: Date.now(),
        resolve: (value) => settle(() => resolve(value as T)),
        reject: (err) => settle(() => reject(err)),
      });
      this.logger.debug(`→ ${method} #${id}`);
      this.ws.send(text, (err) => {
        if (err) {
          this.pending.get(id)?.reject(new TrueConfError('unreachable', `Could not send ${method} to ${this.host}: ${err.message}`, { cause: err }));
        }
      });
    });
  }

  /** Resolves when no request is waiting for an answer, the socket closed, or `maxWaitMs` passed. */
  whenIdle(maxWaitMs: number): Promise<void> {
    if (this.pending.size === 0 || this.closeReason) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      this.idleWaiters.add(done);
    });
  }

  /**
   * Close politely (close frame, then cut after a short grace period). Pending requests reject at
   * once with `reason`, by default a `closed` error.
   */
  close(reason?: TrueConfError): Promise<TrueConfError> {
    this.closeReason ??= reason ?? new TrueConfError('closed', `The connection to ${this.host} was closed.`);
    this.rejectPending(this.closeReason);
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(1000);
    }
    const cut = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    return this.closed.finally(() => clearTimeout(cut));
  }

  /** Cut the connection now; pending requests reject with `closed`. */
  dispose(): void {
    this.terminate(new TrueConfError('closed', `The connection to ${this.host} was closed.`));
  }

  private terminate(reason: TrueConfError): void {
    this.closeReason ??= reason;
    this.ws.terminate();
  }

  private allocateId(): number {
    do {
      this.lastId = this.lastId >= MAX_ID ? 1 : this.lastId + 1;
    } while (this.pending.has(this.lastId));
    return this.lastId;
  }

  private onMessage(data: WebSocket.RawData): void {
    const text = rawText(data);
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.ignore('is not JSON', text);
      return;
    }
    if (!isObject(frame)) {
      this.ignore('is not a JSON object', text);
    } else if (frame.type === 1) {
      this.onServerRequest(frame, text);
    } else if (frame.type === 2) {
      this.onResponse(frame, text);
    } else {
      this.ignore('has an unknown type', text);
    }
  }

  private onServerRequest(frame: Record<string, unknown>, text: string): void {
    const { id, method } = frame;
    if (!isUint32(id)) {
      this.ignore('is a request without a valid id', text);
      return;
    }
    // Ack every server request at once, before anyone looks at it: the ack is what marks a
    // message read, and a listener that throws must not leave it unacked (protocol.md §3.2).
    this.send({ type: 2, id });
    if (typeof method !== 'string') {
      this.ignore('is a request without a method (acked, not dispatched)', text);
      return;
    }
    this.logger.trace(`⇐ ${method} #${id} (acked)`);
    this.requestEmitter.fire(frame as unknown as RequestFrame);
  }

  private onResponse(frame: Record<string, unknown>, text: string): void {
    const { id, payload } = frame;
    const pending = isUint32(id) ? this.pending.get(id) : undefined;
    if (!pending) {
      this.ignore('answers no waiting request', text);
      return;
    }
    const elapsed = Date.now() - pending.startedAt;
    const code = errorCodeOf(payload);
    if (code === 0) {
      this.logger.debug(`← ${pending.method} #${String(id)} ok (${elapsed} ms)`);
      pending.resolve(payload);
    } else {
      this.logger.debug(`← ${pending.method} #${String(id)} errorCode ${code} (${elapsed} ms)`);
      // The server's own words go into the message shown to the user: never a secret it echoes, never a megabyte.
      const description =
        isObject(payload) && typeof payload.errorDescription === 'string' ? excerpt(payload.errorDescription, this.redact, MAX_DESCRIPTION_CHARS) : undefined;
      pending.reject(apiError(pending.method, code, description));
    }
  }

  private send(frame: object): void {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
    }
  }

  private ignore(what: string, text: string): void {
    this.logger.warn(`Ignored a frame from ${this.host} that ${what}: ${excerpt(text, this.redact, LOGGED_FRAME_CHARS)}`);
  }

  private startHeartbeat(intervalMs: number, timeoutMs: number): void {
    this.pingTimer = setInterval(() => {
      if (this.pongTimer) {
        return;
      }
      this.pongTimer = setTimeout(() => {
        this.logger.warn(`No pong from ${this.host} within ${timeoutMs} ms: dropping the connection`);
        this.terminate(new TrueConfError('unreachable', `${this.host} stopped answering (no pong within ${timeoutMs / 1000} s).`));
      }, timeoutMs);
      this.ws.ping();
    }, intervalMs);
  }

  private onPong(): void {
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  private onClosed(code: number, reason: string): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    const shownReason = this.redact(reason);
    this.closeReason ??= closeError(this.host, code, shownReason || this.lastSocketError?.message || '');
    this.logger.debug(`WebSocket to ${this.host} closed (code ${code}${shownReason ? `: ${shownReason}` : ''})`);
    this.rejectPending(this.closeReason);
    this.wakeIdleWaiters();
    this.requestEmitter.dispose();
    this.resolveClosed(this.closeReason);
  }

  private rejectPending(reason: TrueConfError): void {
    for (const pending of [...this.pending.values()]) {
      pending.reject(reason);
    }
  }

  private wakeIdleWaiters(): void {
    if (this.pending.size === 0 || this.closeReason) {
      for (const wake of [...this.idleWaiters]) {
        wake();
      }
    }
  }
}

/** The upgrade was answered with a plain HTTP response instead of 101. */
function handshakeRefusal(host: string, status: number): TrueConfError {
  if (status === 503 || status === 429) {
    return new TrueConfError(
      'connectionLimit',
      `${host} refused the connection: too many connections (a TrueConf Server allows 128 chatbot connections). Try again later.`,
      { status },
    );
  }
  if (status >= 500) {
    return new TrueConfError('unreachable', `${host} is not available right now (HTTP ${status}).`, { status });
  }
  return notTrueConfError(host, status);
}

function handshakeError(err: Error, url: string, host: string, timeoutMs: number, signal?: AbortSignal): TrueConfError {
  if (/handshake has timed out/i.test(err.message)) {
    return new TrueConfError('timeout', `${host} did not accept the WebSocket connection within ${timeoutMs / 1000} s.`, { cause: err });
  }
  // Something answered the upgrade, but not the way the chatbot API does.
  if (/subprotocol|Sec-WebSocket-Accept|Upgrade header/i.test(err.message)) {
    return notTrueConfError(host);
  }
  return toNetworkError(err, url, signal);
}

/** Why an established connection (or one just upgraded) closed. */
function closeError(host: string, code: number, reason: string): TrueConfError {
  const shownReason = reason.slice(0, 120);
  // 1013 = "try again later"; servers at their connection limit say so in the reason.
  if (code === 1013 || /too many|connection limit|limit of .*connections|max\w* .*connections/i.test(reason)) {
    return new TrueConfError('connectionLimit', `${host} closed the connection: too many connections${shownReason ? ` (${shownReason})` : ''}.`, { code });
  }
  return new TrueConfError('unreachable', `The connection to ${host} was lost (close code ${code}${shownReason ? `: ${shownReason}` : ''}).`, { code });
}

/**
 * At most `maxChars` of server-sent text, secrets masked, with the full length noted when cut.
 * Only the first REDACT_WINDOW_CHARS are redacted (see there); when the text runs past them, the
 * run of characters at the window's edge is dropped too, so half a secret cut in two never shows.
 */
function excerpt(text: string, redact: (text: string) => string, maxChars: number): string {
  const windowed = text.length > REDACT_WINDOW_CHARS;
  let shown = redact(windowed ? text.slice(0, REDACT_WINDOW_CHARS) : text);
  if (windowed) {
    let end = shown.length;
    while (end > 0 && !SECRET_DELIMITER_RE.test(shown[end - 1])) {
      end--;
    }
    shown = shown.slice(0, end);
  }
  return shown.length > maxChars || windowed ? `${shown.slice(0, maxChars)}… (${text.length} chars)` : shown;
}

function errorCodeOf(payload: unknown): number {
  if (!isObject(payload)) {
    return 0;
  }
  const code = typeof payload.errorCode === 'string' ? Number(payload.errorCode) : payload.errorCode;
  return typeof code === 'number' && Number.isFinite(code) ? code : 0;
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
