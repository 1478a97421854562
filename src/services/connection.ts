import * as vscode from 'vscode';
import { Emitter, Event } from '../common/event';
import { Disposable, DisposableStore, toDisposable } from '../common/lifecycle';
import { ContextKeys } from '../constants';
import { nextDelay } from '../trueconf/backoff';
import { ConnectionState, TrueConfClient } from '../trueconf/client';
import { parseServerAddress } from '../trueconf/endpoints';
import { cancelledError, TrueConfError, TrueConfErrorKind } from '../trueconf/errors';
import type { TlsOptions } from '../trueconf/http';
import type { TokenInfo } from '../trueconf/token';
import type { CertificateTrustService } from './certificateTrust';
import { asTrueConfError, FailureContext } from './errors';
import type { LogService } from './log';
import { Account, sameAccount, SecretsService } from './secrets';
import {
  affectsConnection,
  configuredAccount,
  readTlsSettings,
  requestTimeoutMs,
  sameTls,
  saveAccount,
  TlsSettings,
  tlsSettingsUnchanged,
} from './settings';

/** The session as the rest of the extension sees it: the client's states, without `idle`. */
export type SessionState = Exclude<ConnectionState, { kind: 'idle' }>;

export interface Credentials {
  readonly server: string;
  readonly username: string;
  readonly password: string;
}

/** Failures that trying again cannot fix: the user has to change something first. */
const NEEDS_THE_USER: ReadonlySet<TrueConfErrorKind> = new Set<TrueConfErrorKind>([
  'wrongCredentials',
  'passwordSignInDisabled',
  'userDisabled',
  'certificate',
  'notTrueConf',
]);

/** A client and what it was made from. */
interface Connection {
  readonly account: Account;
  readonly password: string;
  readonly tls: TlsSettings;
  /** `trueconf.requestTimeoutSeconds` when the client was made, in ms. */
  readonly requestTimeoutMs: number;
  /** The fingerprint of the certificate trusted for this server when the client was made. */
  readonly pin: string | undefined;
  readonly client: TrueConfClient;
  readonly disposables: DisposableStore;
  /** The newest token, kept so a sign-in can save it once the connection is adopted. */
  token?: TokenInfo;
  /**
   * The client retries on its own only after it has been connected once. A session restored at
   * startup (offline laptop, server restarting) keeps trying here, with the same backoff.
   */
  retries: number;
  retry?: { nextAttemptAt: number; lastError: TrueConfError; timer: NodeJS.Timeout };
  /** The client's state before its latest change. */
  clientKind: ConnectionState['kind'];
  /** Reconnect was asked for: the `connecting` that follows is shown. */
  reconnectRequested: boolean;
  /**
   * The client went from connected straight to connecting without being asked: it is signing in
   * again with a renewed token (on errorCode 203, or ahead of expiry). Requests wait meanwhile; the
   * user sees no difference, so the session still shows connected. A renewal that fails ends in
   * `reconnecting` or `failed` like any attempt, bounded by the request timeout.
   */
  renewing: boolean;
}

/**
 * Owns the TrueConfClient's lifecycle: sign-in, sign-out, reconnect, restoring the session from
 * SecretStorage at startup and after the connection settings change, and the context keys.
 *
 * Signed in means credentials are stored for an account; the state says how its connection is
 * doing. A sign-in replaces the session only once it has succeeded, so a typo does not cost a
 * working connection; meanwhile it shows, unless the session is connected. Lifecycle operations
 * run one at a time.
 */
export class SessionService extends Disposable {
  private readonly stateEmitter: Emitter<SessionState>;
  private readonly failureEmitter: Emitter<{ error: TrueConfError; context: FailureContext }>;
  /** Fires on every state change, and whenever `client` is replaced. */
  readonly onDidChangeState: Event<SessionState>;
  /** A failure no caller is waiting for (startup, a dropped connection): show it to the user. */
  readonly onDidFail: Event<{ error: TrueConfError; context: FailureContext }>;

  private connection: Connection | undefined;
  /** Whose credentials are stored and in use. */
  private signedInAccount: Account | undefined;
  /** Cancels the sign-in in progress or waiting for its turn. */
  private signInAbort: AbortController | undefined;
  /** The account of the sign-in in progress. */
  private pending: Account | undefined;
  /** Why there is no connection, when there is a reason to show. */
  private failure: { error: TrueConfError; account: Account } | undefined;
  private current: { state: SessionState; account?: Account } = { state: { kind: 'signedOut' } };
  private readonly contextValues = new Map<string, boolean>();
  private operations: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly secrets: SecretsService,
    private readonly log: LogService,
    private readonly trust: CertificateTrustService,
  ) {
    super();
    const onListenerError = (err: unknown) => log.logger.error('A session listener failed:', err);
    this.stateEmitter = this._register(new Emitter<SessionState>(onListenerError));
    this.failureEmitter = this._register(new Emitter<{ error: TrueConfError; context: FailureContext }>(onListenerError));
    this.onDidChangeState = this.stateEmitter.event;
    this.onDidFail = this.failureEmitter.event;
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsConnection(e)) {
          this.inBackground(() => this.start());
        }
      }),
    );
    // Another VS Code window signed in or out: follow it.
    this._register(
      secrets.onDidChange(({ key }) => {
        const account = this.signedInAccount ?? this.accountFromSettings();
        if (account && secrets.isPasswordKey(key, account)) {
          this.inBackground(() => this.start());
        }
      }),
    );
    this._register(
      toDisposable(() => {
        this.signInAbort?.abort();
        this.closeConnection();
      }),
    );
    this.update();
  }

  get state(): SessionState {
    return this.current.state;
  }

  /** The client of the signed-in session; replaced on every sign-in and settings change. */
  get client(): TrueConfClient | undefined {
    return this.connection?.client;
  }

  get isSignedIn(): boolean {
    return this.signedInAccount !== undefined;
  }

  /** The account the state is about: connected, being signed in to, or failed. */
  get account(): Account | undefined {
    return this.current.account;
  }

  get failureContext(): FailureContext {
    return { account: this.account, signedIn: this.isSignedIn };
  }

  /** Connect with the credentials stored for the account the settings name, if there are any. */
  restore(): Promise<void> {
    return this.enqueue(() => this.start());
  }

  /**
   * Sign in, and on success store the password and token in SecretStorage and the server and user
   * name in the user settings. Resolves with the user id; rejects with a TrueConfError (`cancelled`
   * when `signal` aborts), or a ServerAddressError for an invalid address.
   */
  async signIn(credentials: Credentials, signal?: AbortSignal): Promise<string> {
    const account: Account = { server: parseServerAddress(credentials.server).origin, username: credentials.username.trim() };
    if (!account.username) {
      throw new Error(vscode.l10n.t('Enter your TrueConf user name.'));
    }
    if (!credentials.password) {
      throw new Error(vscode.l10n.t('Enter your TrueConf password.'));
    }
    this.log.keepSecret(credentials.password);
    // A newer sign-in replaces one still in progress or waiting for its turn.
    this.signInAbort?.abort();
    const abort = new AbortController();
    this.signInAbort = abort;
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.enqueue(() => this.doSignIn(account, credentials.password, abort.signal));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.signInAbort === abort) {
        this.signInAbort = undefined;
      }
    }
  }

  /** Close the connection and delete the stored password and token. */
  async signOut(): Promise<void> {
    this.signInAbort?.abort();
    await this.enqueue(async () => {
      const account = this.signedInAccount;
      this.end();
      if (account) {
        await this.secrets.delete(account);
        this.log.logger.info(`Signed out of ${account.server} as ${account.username}; the stored password and token are deleted`);
      }
    });
  }

  /**
   * Connect again now. A session whose TLS settings, CA file or trusted certificate changed, or
   * that has no client, starts over from the stored credentials; without stored credentials this
   * does nothing.
   */
  reconnect(): Promise<void> {
    return this.enqueue(async () => {
      const conn = this.connection;
      if (!conn) {
        await this.start(true);
        return;
      }
      let tls: TlsSettings;
      try {
        tls = await readTlsSettings();
      } catch (err) {
        this.closeConnection();
        this.fail(asTrueConfError(err), conn.account);
        return;
      }
      if (!sameTls(tls, conn.tls) || !this.samePin(conn)) {
        await this.start(true);
        return;
      }
      this.log.logger.info('Reconnecting on request');
      this.cancelRetry(conn);
      if (conn.client.state.kind === 'failed' || conn.client.state.kind === 'idle') {
        this.connectInBackground(conn);
      } else {
        conn.reconnectRequested = true;
        conn.client.reconnect();
      }
      this.update();
    });
  }

  // ---- operations (one at a time) ------------------------------------------------------------

  private async doSignIn(account: Account, password: string, signal: AbortSignal): Promise<string> {
    if (signal.aborted) {
      throw cancelledError(signal.reason);
    }
    this.pending = account;
    this.update();
    let conn: Connection | undefined;
    try {
      const tls = await readTlsSettings();
      const clientTls = await this.trust.tlsFor(account.server, tls, signal);
      conn = this.createConnection(account, password, tls, clientTls);
      this.log.logger.info(`Signing in to ${account.server} as ${account.username}`);
      await conn.client.connect(signal);
      // Saved first: a session the next start cannot restore is no sign-in.
      await saveAccount(account);
    } catch (err) {
      conn?.disposables.dispose();
      this.pending = undefined;
      if (err instanceof TrueConfError && err.kind !== 'cancelled' && !this.connection) {
        this.failure = { error: err, account };
      }
      this.update();
      this.log.logger.warn(`Signing in to ${account.server} as ${account.username} failed:`, err);
      throw err;
    }
    this.pending = undefined;
    const previous = this.signedInAccount;
    this.adopt(conn);
    await this.secrets.storePassword(account, password);
    if (conn.token) {
      await this.secrets.storeToken(account, conn.token);
    }
    if (previous && !sameAccount(previous, account)) {
      await this.secrets.delete(previous);
    }
    this.log.logger.info(`Signed in to ${account.server} as ${account.username}`);
    return conn.client.userId ?? account.username;
  }

  /**
   * Bring the session in line with the settings and the stored credentials: at startup, after
   * the settings or the secrets change (here or in another window), and for Reconnect (`force`).
   */
  private async start(force = false): Promise<void> {
    const account = this.accountFromSettings();
    const password = account && (await this.secrets.getPassword(account));
    if (!account || !password) {
      if (this.signedInAccount) {
        this.log.logger.info('No stored credentials for the server and user name in the settings; signed out');
        this.end();
      }
      return;
    }
    const conn = this.connection;
    if (
      !force &&
      conn &&
      sameAccount(conn.account, account) &&
      conn.password === password &&
      tlsSettingsUnchanged(conn.tls) &&
      conn.requestTimeoutMs === requestTimeoutMs() &&
      this.samePin(conn)
    ) {
      return;
    }
    this.log.keepSecret(password);
    const token = await this.secrets.getToken(account);
    this.log.keepSecret(token?.accessToken);
    this.closeConnection();
    this.signedInAccount = account;
    this.failure = undefined;
    let tls: TlsSettings;
    let clientTls: TlsOptions;
    try {
      tls = await readTlsSettings();
      // With verification turned off, this may ask about the server's certificate first.
      clientTls = await this.trust.tlsFor(account.server, tls);
    } catch (err) {
      this.fail(asTrueConfError(err), account);
      return;
    }
    this.log.logger.info(`Connecting to ${account.server} as ${account.username} with the stored credentials`);
    const next = this.createConnection(account, password, tls, clientTls, token);
    this.adopt(next);
    this.connectInBackground(next);
  }

  // ---- connections ---------------------------------------------------------------------------

  /** `clientTls` from CertificateTrustService.tlsFor: the settings plus this server's pin. */
  private createConnection(account: Account, password: string, tls: TlsSettings, clientTls: TlsOptions, token?: TokenInfo): Connection {
    const timeoutMs = requestTimeoutMs();
    const client = new TrueConfClient({
      server: account.server,
      username: account.username,
      password,
      token,
      tls: clientTls,
      logger: this.log.logger,
      requestTimeoutMs: timeoutMs,
    });
    const disposables = new DisposableStore();
    const conn: Connection = {
      account,
      password,
      tls,
      requestTimeoutMs: timeoutMs,
      pin: clientTls.pinnedFingerprint256,
      client,
      disposables,
      retries: 0,
      clientKind: client.state.kind,
      reconnectRequested: false,
      renewing: false,
    };
    disposables.add(
      client.onDidChangeToken((next) => {
        conn.token = next;
        this.log.keepSecret(next.accessToken);
        if (conn === this.connection) {
          this.secrets.storeToken(conn.account, next).catch((err: unknown) => this.log.logger.warn('Could not store the new token:', err));
        }
      }),
    );
    disposables.add(client.onDidChangeState((state) => this.onClientState(conn, state)));
    disposables.add(toDisposable(() => this.cancelRetry(conn)));
    disposables.add(client);
    return conn;
  }

  /** Make `conn` the session's connection. */
  private adopt(conn: Connection): void {
    if (conn !== this.connection) {
      this.closeConnection();
    }
    this.connection = conn;
    this.signedInAccount = conn.account;
    this.failure = undefined;
    this.update();
  }

  private closeConnection(): void {
    const conn = this.connection;
    this.connection = undefined;
    conn?.disposables.dispose();
  }

  /** Signed out: no connection, no account, nothing to report. */
  private end(): void {
    this.closeConnection();
    this.signedInAccount = undefined;
    this.failure = undefined;
    this.update();
  }

  private fail(error: TrueConfError, account: Account): void {
    this.failure = { error, account };
    this.update();
    this.failureEmitter.fire({ error, context: { account, signedIn: this.isSignedIn } });
  }

  /** The outcome arrives as a state change; nobody awaits this attempt. */
  private connectInBackground(conn: Connection): void {
    conn.client.connect().catch(() => undefined);
  }

  private onClientState(conn: Connection, state: ConnectionState): void {
    const previous = conn.clientKind;
    conn.clientKind = state.kind;
    if (state.kind === 'connecting') {
      conn.renewing = previous === 'connected' && !conn.reconnectRequested;
    } else {
      conn.renewing = false;
      conn.reconnectRequested = false;
    }
    if (conn !== this.connection) {
      return; // a sign-in in progress, or a connection being replaced
    }
    if (state.kind === 'connected') {
      conn.retries = 0;
    } else if (state.kind === 'failed') {
      if (NEEDS_THE_USER.has(state.error.kind)) {
        this.failureEmitter.fire({ error: state.error, context: { account: conn.account, signedIn: true } });
      } else {
        this.scheduleRetry(conn, state.error);
      }
    }
    this.update();
  }

  private scheduleRetry(conn: Connection, lastError: TrueConfError): void {
    conn.retries += 1;
    const delay = nextDelay(conn.retries);
    const timer = setTimeout(() => {
      conn.retry = undefined;
      this.connectInBackground(conn);
    }, delay);
    conn.retry = { nextAttemptAt: Date.now() + delay, lastError, timer };
  }

  private cancelRetry(conn: Connection): void {
    clearTimeout(conn.retry?.timer);
    conn.retry = undefined;
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The certificate trusted for the connection's server is still the one it was made with. */
  private samePin(conn: Connection): boolean {
    return this.trust.pinFor(conn.account.server)?.fingerprint256 === conn.pin;
  }

  private accountFromSettings(): Account | undefined {
    try {
      return configuredAccount();
    } catch (err) {
      this.log.logger.warn('The server setting is not a valid address:', err);
      return undefined;
    }
  }

  /**
   * A connected session shows; otherwise a sign-in in progress does; then the connection in
   * whatever state it is; then why the last attempt failed.
   */
  private computeState(): { state: SessionState; account?: Account } {
    const conn = this.connection;
    const connState = conn && this.connectionState(conn);
    if (conn && connState?.kind === 'connected') {
      return { state: connState, account: conn.account };
    }
    if (this.pending) {
      return { state: { kind: 'connecting', attempt: 1 }, account: this.pending };
    }
    if (conn && connState) {
      return { state: connState, account: conn.account };
    }
    if (this.failure) {
      return { state: { kind: 'failed', error: this.failure.error }, account: this.failure.account };
    }
    return { state: { kind: 'signedOut' } };
  }

  private connectionState(conn: Connection): SessionState {
    if (conn.renewing && conn.client.userId) {
      return { kind: 'connected', userId: conn.client.userId };
    }
    if (conn.retry) {
      return { kind: 'reconnecting', attempt: conn.retries, nextAttemptAt: conn.retry.nextAttemptAt, lastError: conn.retry.lastError };
    }
    const state = conn.client.state;
    // `idle` only until connect() is called, which follows at once.
    return state.kind === 'idle' ? { kind: 'connecting', attempt: 1 } : state;
  }

  private update(): void {
    this.current = this.computeState();
    this.setContext(ContextKeys.signedIn, this.isSignedIn);
    this.setContext(ContextKeys.connected, this.current.state.kind === 'connected');
    this.stateEmitter.fire(this.current.state);
  }

  private setContext(key: string, value: boolean): void {
    if (this.contextValues.get(key) !== value) {
      this.contextValues.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.operations.then(operation);
    this.operations = result.catch(() => undefined);
    return result;
  }

  private inBackground(operation: () => Promise<void>): void {
    this.enqueue(operation).catch((err: unknown) => this.log.logger.error('Updating the TrueConf session failed:', err));
  }
}
