/**
 * A signed-in connection to a TrueConf Server that stays signed in: token (protocol.md §1.2),
 * WebSocket + `auth` (§2), reconnect with backoff (§6.3), token renewal on errorCode 203 and
 * ahead of expiry, and a bounded queue for requests made while the connection is down.
 */
import { Emitter, Event, once } from '../common/event';
import { IDisposable, toDisposable } from '../common/lifecycle';
import { Logger, nullLogger } from '../common/logger';
import { Redactor } from '../common/redact';
import { RedactingLogger } from '../common/redactingLogger';
import { BackoffOptions, nextDelay } from './backoff';
import type { RequestOptions, RpcChannel } from './channel';
import { ServerEndpoints, parseServerAddress } from './endpoints';
import { TrueConfError, TrueConfErrorKind, cancelledError, isTrueConfError } from './errors';
import { HttpTransport, TlsOptions } from './http';
import { RpcSocket, RpcSocketOptions } from './rpc';
import { TOKEN_TIMEOUT_MS, TokenInfo, fetchToken, isTokenExpired } from './token';
import type { RequestFrame } from './types';

export interface TrueConfClientOptions {
  /** The address as typed; parsed with parseServerAddress. */
  server: string;
  username: string;
  password: string;
  tls?: TlsOptions;
  logger?: Logger;
  /** A saved token: used while it is valid, otherwise a fresh one is fetched. */
  token?: TokenInfo;
  /** Default per-request timeout (also bounds the token request and `auth`). Default 30000. */
  requestTimeoutMs?: number;
  backoff?: BackoffOptions;
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  /**
   * Largest WebSocket frame accepted from the server; 64 MiB unless given. A bigger frame drops
   * the connection (close code 1009), which is reported and reconnected like any other loss.
   */
  maxPayloadBytes?: number;
  queue?: { maxRequests?: number; maxWaitMs?: number };
  /** Renew the token this long before it expires (at most half its remaining life). Default 1 h. */
  refreshBeforeExpiryMs?: number;
  /** Source of backoff jitter; injectable in tests. */
  random?: () => number;
}

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected'; userId: string }
  | { kind: 'reconnecting'; attempt: number; nextAttemptAt: number; lastError: TrueConfError }
  | { kind: 'signedOut' }
  | { kind: 'failed'; error: TrueConfError };

export type NotificationListener = (payload: unknown, frame: RequestFrame) => void;

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_QUEUE_MAX_REQUESTS = 100;
const DEFAULT_QUEUE_MAX_WAIT_MS = 60_000;
const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60 * 60 * 1000;
const MIN_REFRESH_DELAY_MS = 1_000;
const REFRESH_RETRY_MS = 60_000;
/** Shorter JWT parts are not masked on their own (they could match ordinary words). */
const MIN_SECRET_PART_CHARS = 8;
/** setTimeout fires at once for delays past 2^31−1 ms (~24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Failures that retrying cannot fix: the user has to change something first. */
const FATAL_KINDS: ReadonlySet<TrueConfErrorKind> = new Set<TrueConfErrorKind>([
  'wrongCredentials',
  'passwordSignInDisabled',
  'userDisabled',
  'certificate',
  'notTrueConf',
]);

interface Waiter {
  resolve(socket: RpcSocket): void;
  reject(err: TrueConfError): void;
}

interface Session {
  socket: RpcSocket;
  userId: string;
}

export class TrueConfClient implements RpcChannel, IDisposable {
  readonly endpoints: ServerEndpoints;
  /** One per client, with the client's TLS options: the file API uploads and downloads through it. */
  readonly http: HttpTransport;
  readonly onDidChangeState: Event<ConnectionState>;
  /** A new token was fetched: store it (SecretStorage) and pass it back as `options.token` next time. */
  readonly onDidChangeToken: Event<TokenInfo>;
  readonly onDidAuthenticate: Event<{ userId: string; reconnected: boolean }>;

  private readonly redactor = new Redactor();
  private readonly logger: Logger;
  private readonly stateEmitter: Emitter<ConnectionState>;
  private readonly tokenEmitter: Emitter<TokenInfo>;
  private readonly authEmitter: Emitter<{ userId: string; reconnected: boolean }>;
  private readonly notificationListeners = new Map<string, Set<NotificationListener>>();
  /** Requests waiting for a connection, in arrival order. */
  private readonly waiters = new Set<Waiter>();
  /** Aborted by close(): cancels background work that outlives a single attempt. */
  private readonly lifetime = new AbortController();
  private readonly requestTimeoutMs: number;
  private readonly queueMaxRequests: number;
  private readonly queueMaxWaitMs: number;
  private readonly refreshBeforeExpiryMs: number;

  private currentState: ConnectionState = { kind: 'idle' };
  private token: TokenInfo | undefined;
  /** Set on errorCode 203: the next attempt must not reuse the current token. */
  private forceFreshToken = false;
  /** The authenticated socket; undefined while not connected. */
  private socket: RpcSocket | undefined;
  /** While true, new requests wait: the socket is about to be replaced (token renewal). */
  private draining = false;
  /** Some socket authenticated before: the next one is a reconnect. */
  private everConnected = false;
  /**
   * After a successful auth, losses are retried in the background. A sign-in someone waits for
   * (connect() from idle or failed) reports its first failure instead.
   */
  private retryInBackground = false;
  private ownUserId: string | undefined;
  private attempt: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TrueConfClientOptions) {
    this.endpoints = parseServerAddress(options.server);
    this.redactor.addSecret(options.password);
    const sink = options.logger ?? nullLogger;
    this.logger = new RedactingLogger(this.redactor, (level, line) => sink[level](line));
    this.http = new HttpTransport(options.tls, this.logger);
    const onListenerError = (err: unknown) => this.logger.error(`A listener failed: ${err instanceof Error ? err.message : String(err)}`);
    this.stateEmitter = new Emitter(onListenerError);
    this.tokenEmitter = new Emitter(onListenerError);
    this.authEmitter = new Emitter(onListenerError);
    this.onDidChangeState = this.stateEmitter.event;
    this.onDidChangeToken = this.tokenEmitter.event;
    this.onDidAuthenticate = this.authEmitter.event;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.queueMaxRequests = options.queue?.maxRequests ?? DEFAULT_QUEUE_MAX_REQUESTS;
    this.queueMaxWaitMs = options.queue?.maxWaitMs ?? DEFAULT_QUEUE_MAX_WAIT_MS;
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
    if (options.token) {
      this.token = options.token;
      this.rememberSecretToken(options.token.accessToken);
    }
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The signed-in user's id without the `/instance` suffix; kept while reconnecting. */
  get userId(): string | undefined {
    return this.ownUserId;
  }

  /**
   * Sign in. Resolves once connected. Rejects with the error of the first attempt (the user is
   * waiting and should hear that the server is unreachable rather than wait forever), or of a
   * fatal failure; the client is then in state `failed` and does not retry on its own. Once
   * connected, losses are retried in the background with backoff. An abort before the first
   * connection cancels it (state `idle`).
   */
  async connect(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      throw cancelledError(signal.reason);
    }
    const { kind } = this.currentState;
    if (kind === 'signedOut') {
      throw this.closedError();
    }
    if (kind === 'connected') {
      return;
    }
    const startedHere = kind === 'idle' || kind === 'failed';
    if (startedHere) {
      this.retryInBackground = false;
      this.startAttempt(1);
    }
    let settled: ConnectionState;
    try {
      settled = await once(this.onDidChangeState, (s) => s.kind !== 'connecting' && s.kind !== 'reconnecting', signal);
    } catch (reason) {
      if (startedHere && this.currentState.kind === 'connecting') {
        this.stopAttempt();
        this.setState({ kind: 'idle' });
      }
      throw cancelledError(reason);
    }
    switch (settled.kind) {
      case 'connected':
        return;
      case 'failed':
        throw settled.error;
      case 'signedOut':
        throw this.closedError();
      default:
        throw cancelledError();
    }
  }

  /** Drop the connection and connect again at once, without waiting for the backoff delay. */
  reconnect(): void {
    if (this.currentState.kind === 'signedOut') {
      return;
    }
    this.logger.info('Reconnecting on request');
    this.restart(new TrueConfError('unreachable', `The connection to ${this.endpoints.host} was restarted.`));
  }

  async request<T = unknown>(method: string, payload?: unknown, options: RequestOptions = {}): Promise<T> {
    const socket = await this.whenConnected(method, options.signal);
    try {
      return await socket.request<T>(method, payload, options);
    } catch (err) {
      if (!isTrueConfError(err, 'tokenExpired') || options.retryOnExpiredToken === false) {
        throw err;
      }
      // The server refused the request because the token expired (protocol.md §2, OC): renew,
      // reconnect, and send it once more; it did not take effect the first time.
      this.renewExpiredToken(socket);
      const next = await this.whenConnected(method, options.signal);
      return next.request<T>(method, payload, options);
    }
  }

  onNotification(method: string, listener: NotificationListener): IDisposable {
    let listeners = this.notificationListeners.get(method);
    if (!listeners) {
      listeners = new Set();
      this.notificationListeners.set(method, listeners);
    }
    // A wrapper per registration, so the same function registered twice is removed once per dispose.
    const entry: NotificationListener = (payload, frame) => listener(payload, frame);
    listeners.add(entry);
    return toDisposable(() => {
      const current = this.notificationListeners.get(method);
      current?.delete(entry);
      if (current?.size === 0) {
        this.notificationListeners.delete(method);
      }
    });
  }

  /** Sign out: close the connection; requests in flight or waiting reject with `closed`. */
  async close(): Promise<void> {
    if (this.currentState.kind === 'signedOut') {
      return;
    }
    const error = this.closedError();
    this.lifetime.abort(error);
    this.stopAttempt();
    this.clearRefreshTimer();
    const socket = this.socket;
    this.socket = undefined;
    this.ownUserId = undefined;
    this.setState({ kind: 'signedOut' });
    this.rejectWaiters(error);
    await socket?.close(error);
    // Not awaited: an agent closes gracefully, and a download someone else started may take long.
    void this.http.close();
  }

  dispose(): void {
    void this.close();
    this.stateEmitter.dispose();
    this.tokenEmitter.dispose();
    this.authEmitter.dispose();
    this.notificationListeners.clear();
  }

  // ---- connection attempts -------------------------------------------------------------------

  /** `token`: one fetched a moment ago for this attempt (token renewal). */
  private startAttempt(attempt: number, token?: TokenInfo): void {
    this.stopAttempt();
    const controller = new AbortController();
    this.attempt = controller;
    this.setState({ kind: 'connecting', attempt });
    void this.runAttempt(attempt, controller.signal, token);
  }

  /** Cancel the attempt in progress or the one waiting for its backoff delay. */
  private stopAttempt(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.attempt?.abort();
    this.attempt = undefined;
  }

  private async runAttempt(attempt: number, signal: AbortSignal, token?: TokenInfo): Promise<void> {
    let session: Session;
    try {
      session = await (token ? this.openAndAuthenticate(token, signal) : this.establish(signal));
    } catch (err) {
      if (!signal.aborted) {
        this.onAttemptFailed(attempt, asTrueConfError(err));
      }
      return;
    }
    if (signal.aborted) {
      session.socket.dispose();
      return;
    }
    this.onAuthenticated(session);
  }

  /** Token (the saved one while valid), WebSocket, `auth` — the first request on every socket (protocol.md §2). */
  private async establish(signal: AbortSignal): Promise<Session> {
    const cached = !this.forceFreshToken && this.token !== undefined && !isTokenExpired(this.token) ? this.token : undefined;
    const token = cached ?? (await this.fetchFreshToken(signal));
    try {
      return await this.openAndAuthenticate(token, signal);
    } catch (err) {
      // A saved token can be revoked or expire early: get a fresh one, once.
      if (cached && (isTrueConfError(err, 'tokenExpired') || isTrueConfError(err, 'wrongCredentials'))) {
        this.logger.info(`The saved token was not accepted (${err.message}); getting a new one`);
        return this.openAndAuthenticate(await this.fetchFreshToken(signal), signal);
      }
      throw err;
    }
  }

  private async openAndAuthenticate(token: TokenInfo, signal: AbortSignal): Promise<Session> {
    const socket = await RpcSocket.open(this.endpoints.webSocketUrl, this.socketOptions(), signal);
    // Disposed with the socket when it closes.
    socket.onRequest((frame) => this.dispatch(frame));
    try {
      const answer = await socket.request(
        'auth',
        { token: token.accessToken, tokenType: 'JWT', receiveUnread: false, receiveSystemMessageEnvelopes: false },
        { signal },
      );
      return { socket, userId: this.ownIdFrom(answer) };
    } catch (err) {
      socket.dispose();
      throw err;
    }
  }

  private async fetchFreshToken(signal: AbortSignal): Promise<TokenInfo> {
    const timeoutMs = Math.min(TOKEN_TIMEOUT_MS, this.requestTimeoutMs);
    const token = await fetchToken(this.http, this.endpoints, this.options.username, this.options.password, signal, timeoutMs);
    this.rememberSecretToken(token.accessToken);
    this.token = token;
    this.forceFreshToken = false;
    this.logger.info(`Got a new token for ${this.options.username}, valid until ${new Date(token.expiresAt).toISOString()}`);
    this.tokenEmitter.fire(token);
    return token;
  }

  private onAttemptFailed(attempt: number, error: TrueConfError): void {
    this.attempt = undefined;
    if (FATAL_KINDS.has(error.kind) || !this.retryInBackground) {
      this.fail(error);
    } else {
      this.scheduleRetry(attempt + 1, error);
    }
  }

  private scheduleRetry(attempt: number, lastError: TrueConfError): void {
    const delay = nextDelay(attempt, this.options.backoff, this.options.random);
    this.setState({ kind: 'reconnecting', attempt, nextAttemptAt: Date.now() + delay, lastError });
    this.retryTimer = setTimeout(() => this.startAttempt(attempt), delay);
  }

  private onAuthenticated({ socket, userId }: Session): void {
    this.attempt = undefined;
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.retryInBackground = true;
    this.socket = socket;
    this.draining = false;
    this.ownUserId = userId;
    void socket.closed.then((reason) => this.onSocketClosed(socket, reason));
    this.setState({ kind: 'connected', userId });
    this.scheduleTokenRefresh();
    for (const waiter of [...this.waiters]) {
      waiter.resolve(socket);
    }
    this.authEmitter.fire({ userId, reconnected });
  }

  private onSocketClosed(socket: RpcSocket, reason: TrueConfError): void {
    if (socket !== this.socket) {
      return; // replaced on purpose (reconnect, token renewal, sign-out)
    }
    this.socket = undefined;
    this.clearRefreshTimer();
    this.scheduleRetry(1, reason);
  }

  /** Replace the connection now: requests in flight on the old socket reject with `why`. */
  private restart(why: TrueConfError, token?: TokenInfo): void {
    const old = this.socket;
    this.socket = undefined;
    this.clearRefreshTimer();
    this.startAttempt(1, token);
    void old?.close(why);
  }

  /** Give up until someone calls connect() or reconnect(); waiting requests get the reason. */
  private fail(error: TrueConfError): void {
    this.setState({ kind: 'failed', error });
    this.rejectWaiters(error);
  }

  // ---- token renewal -------------------------------------------------------------------------

  private renewExpiredToken(socket: RpcSocket): void {
    if (socket !== this.socket) {
      return; // another request already triggered the renewal
    }
    this.logger.info('The server says the token expired; reconnecting with a new one');
    this.forceFreshToken = true;
    this.restart(new TrueConfError('unreachable', `Reconnecting to ${this.endpoints.host} with a new token.`));
  }

  /**
   * Renew `refreshBeforeExpiryMs` before expiry, or halfway through the remaining life of a
   * short-lived token, so a working session never runs into an expired token.
   */
  private scheduleTokenRefresh(): void {
    this.clearRefreshTimer();
    const remaining = this.token ? this.token.expiresAt - Date.now() : 0;
    if (remaining <= 0) {
      return; // by our clock it has expired already; the server will say 203 if it agrees
    }
    const margin = Math.min(this.refreshBeforeExpiryMs, remaining / 2);
    this.armRefreshTimer(Date.now() + Math.max(remaining - margin, MIN_REFRESH_DELAY_MS));
  }

  private armRefreshTimer(dueAt: number): void {
    const wait = dueAt - Date.now();
    this.refreshTimer = setTimeout(() => {
      if (wait > MAX_TIMER_MS) {
        this.armRefreshTimer(dueAt);
      } else {
        void this.refreshToken();
      }
    }, Math.min(wait, MAX_TIMER_MS));
  }

  private clearRefreshTimer(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /**
   * Fetch the new token while the old connection keeps working, let requests in flight finish
   * (new ones wait), then reconnect with it. A failed renewal keeps the session and tries later:
   * the token is still valid, and if it runs out the server's 203 takes the usual path.
   */
  private async refreshToken(): Promise<void> {
    const socket = this.socket;
    if (!socket) {
      return;
    }
    this.logger.info('The token expires soon; getting a new one');
    let token: TokenInfo;
    try {
      token = await this.fetchFreshToken(this.lifetime.signal);
    } catch (err) {
      if (socket === this.socket) {
        this.logger.warn(`Could not renew the token: ${asTrueConfError(err).message}; trying again later`);
        this.armRefreshTimer(Date.now() + REFRESH_RETRY_MS);
      }
      return;
    }
    if (socket !== this.socket) {
      return; // the connection was replaced meanwhile; the next one uses the new token
    }
    this.draining = true;
    await socket.whenIdle(this.requestTimeoutMs);
    if (socket === this.socket) {
      this.restart(new TrueConfError('unreachable', `Reconnecting to ${this.endpoints.host} with a new token.`), token);
    }
  }

  // ---- requests while disconnected -----------------------------------------------------------

  /** The authenticated socket, at once or after the next successful auth (bounded wait). */
  private whenConnected(method: string, signal?: AbortSignal): Promise<RpcSocket> {
    if (signal?.aborted) {
      return Promise.reject(cancelledError(signal.reason));
    }
    if (this.socket && !this.draining) {
      return Promise.resolve(this.socket);
    }
    const state = this.currentState;
    const host = this.endpoints.host;
    if (state.kind === 'signedOut') {
      return Promise.reject(this.closedError());
    }
    if (state.kind === 'failed') {
      return Promise.reject(state.error);
    }
    if (state.kind === 'idle') {
      return Promise.reject(new TrueConfError('unreachable', `Not connected to ${host}: sign in first.`));
    }
    if (this.waiters.size >= this.queueMaxRequests) {
      return Promise.reject(new TrueConfError('unreachable', `Not connected to ${host}; too many requests waiting (${this.waiters.size}).`));
    }
    return new Promise<RpcSocket>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        resolve: (socket) => {
          finish();
          resolve(socket);
        },
        reject: (err) => {
          finish();
          reject(err);
        },
      };
      const onAbort = () => waiter.reject(cancelledError(signal?.reason));
      const timer = setTimeout(() => waiter.reject(this.queueTimeoutError(method)), this.queueMaxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private queueTimeoutError(method: string): TrueConfError {
    const state = this.currentState;
    const lastError = state.kind === 'reconnecting' ? ` Last error: ${state.lastError.message}` : '';
    return new TrueConfError(
      'unreachable',
      `Not connected to ${this.endpoints.host}: ${method} waited ${this.queueMaxWaitMs / 1000} s for the connection.${lastError}`,
    );
  }

  private rejectWaiters(error: TrueConfError): void {
    for (const waiter of [...this.waiters]) {
      waiter.reject(error);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private dispatch(frame: RequestFrame): void {
    for (const listener of [...(this.notificationListeners.get(frame.method) ?? [])]) {
      try {
        listener(frame.payload, frame);
      } catch (err) {
        this.logger.error(`A listener for ${frame.method} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private socketOptions(): RpcSocketOptions {
    return {
      tls: this.http.webSocketTlsOptions(),
      logger: this.logger,
      requestTimeoutMs: this.requestTimeoutMs,
      maxPayloadBytes: this.options.maxPayloadBytes,
      pingIntervalMs: this.options.heartbeat?.intervalMs,
      pongTimeoutMs: this.options.heartbeat?.timeoutMs,
      // Error descriptions and close reasons the server sends become error messages people see.
      redact: (text) => this.redactor.redact(text),
    };
  }

  /**
   * Mask the token, and each of its three JWT parts on its own: a server that echoes half a token
   * (a signature in an error description, a close reason cut at 123 bytes) must not leak it either.
   */
  private rememberSecretToken(accessToken: string): void {
    this.redactor.addSecret(accessToken);
    for (const part of accessToken.split('.')) {
      if (part.length >= MIN_SECRET_PART_CHARS) {
        this.redactor.addSecret(part);
      }
    }
  }

  /** `auth` answers `userId: "login@server/instance"`; the client's own id is the part before `/`. */
  private ownIdFrom(answer: unknown): string {
    const userId = typeof answer === 'object' && answer !== null ? (answer as { userId?: unknown }).userId : undefined;
    if (typeof userId !== 'string' || !userId) {
      throw new TrueConfError('protocol', `${this.endpoints.host} accepted the sign-in but did not say which user it is.`);
    }
    return userId.split('/')[0];
  }

  private setState(state: ConnectionState): void {
    this.currentState = state;
    this.logger.info(describeState(state, this.endpoints.host));
    this.stateEmitter.fire(state);
  }

  private closedError(): TrueConfError {
    return new TrueConfError('closed', `Signed out of ${this.endpoints.host}.`);
  }
}

function describeState(state: ConnectionState, host: string): string {
  switch (state.kind) {
    case 'idle':
      return 'Not connected';
    case 'connecting':
      return `Connecting to ${host} (attempt ${state.attempt})`;
    case 'connected':
      return `Connected to ${host} as ${state.userId}`;
    case 'reconnecting':
      return `${state.lastError.message} Next attempt (${state.attempt}) in ${Math.max(0, state.nextAttemptAt - Date.now())} ms`;
    case 'signedOut':
      return `Signed out of ${host}`;
    case 'failed':
      return `Could not connect to ${host}: ${state.error.message}`;
  }
}

function asTrueConfError(err: unknown): TrueConfError {
  if (err instanceof TrueConfError) {
    return err;
  }
  return new TrueConfError('protocol', `Unexpected failure: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
