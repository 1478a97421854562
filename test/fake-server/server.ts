/**
 * FakeTrueConfServer: a scriptable TrueConf Chatbot Connector server for tests and the
 * sandbox. One port on 127.0.0.1 serves the token endpoint, the WebSocket, file upload
 * and file download, like TrueConf Bridge (protocol.md §1.1).
 *
 * It is deliberately strict (protocol.md §7): requests before `auth` fail with 200, bad
 * payloads with 399, upload tasks and temporal file ids are single-use, download URLs
 * are capability links, every notification must be acked. Where the documentation
 * leaves behaviour open, the choice is written next to the code and in README.md.
 */
import { EventEmitter } from 'node:events';
import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { mintJwt, verifyJwt } from './jwt';
import { BodyAbortedError, parseBoundary, receiveMultipart, type ReceivedPart } from './multipart';
import {
  MAX_VISIBLE_CHARS,
  PARSE_MODES,
  extensionOf,
  guessMimeType,
  sanitizeHtml,
  truncateCodePoints,
  visibleLength,
  type ParseMode,
} from './content';
import { TRANSIENT_ID_TTL_MS, World, type ChatRec, type FileRec, type MessageRec, type StoredBytes, type TemporalFile } from './world';
import type {
  ChatType,
  Dialect,
  FakeServerOptions,
  FakeUser,
  InjectFileOptions,
  ParticipantRole,
  ServerLog,
  StoredMessage,
  TokenEndpointMode,
  HttpLogEntry,
  UploadLimits,
  UploadLogEntry,
} from './types';

export const DEFAULT_USERS: readonly FakeUser[] = [
  { login: 'alice', password: 'alice-pass', displayName: 'Alice Anders' },
  { login: 'bob', password: 'bob-pass', displayName: 'Bob Brown' },
  { login: 'carol', password: 'carol-pass', displayName: 'Carol Chen' },
];

/** Server version reported by GET /api/v4/server (protocol.md §4.1, §6.1). */
export const FAKE_SERVER_VERSION = '5.5.3.0';

const API = '/bridge/api/client/v1';
const TOKEN_PATH = `${API}/oauth/token`;
const FILES_PATH = `${API}/files`;
const WS_PATHS = new Set(['/websocket/chat_bot', '/websocket/chat_bot/']);

/** Error codes (protocol.md §3.3). */
export const ErrorCode = {
  DUPLICATE_ID: 2,
  NOT_AUTHORIZED: 200,
  INVALID_CREDENTIALS: 201,
  CREDENTIALS_EXPIRED: 203,
  UNSUPPORTED_CREDENTIALS: 204,
  INTERNAL: 300,
  ACCESS_DENIED: 302,
  NOT_ENOUGH_RIGHTS: 303,
  CHAT_NOT_FOUND: 304,
  NOT_A_PARTICIPANT: 305,
  MESSAGE_NOT_FOUND: 306,
  UNKNOWN_MESSAGE: 307,
  FILE_NOT_FOUND: 308,
  ALREADY_IN_CHAT: 309,
  UPLOAD_FAILED: 310,
  ROLE_NOT_FOUND: 312,
  WRONG_PAYLOAD: 399,
} as const;

/** Numeric ChatParticipantRoleEnum values (protocol.md §4.7) accepted on input. */
const ROLE_BY_NUMBER: Record<number, ParticipantRole> = { 0: 'owner', 1: 'admin', 2: 'user', 5: 'favorites_owner', 6: 'writer' };
const ASSIGNABLE_ROLES = new Set<ParticipantRole>(['admin', 'user', 'writer']);
const MANAGER_ROLES = new Set<ParticipantRole>(['owner', 'admin']);
const CHANNEL_POSTER_ROLES = new Set<ParticipantRole>(['owner', 'admin', 'writer']);
const ACTIVITY_TYPES = new Set(['typing', 'choosing_sticker', 'uploading_file']);
const MAX_TITLE = 256;

/** Headers the seed page shows on the upload answer. */
const UPLOAD_HEADERS: http.OutgoingHttpHeaders = {
  Allow: 'OPTIONS, GET, HEAD, POST',
  Server: 'TrueConf Bridge',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'height,mime,request_id,preview,cid',
};

type Obj = Record<string, unknown>;

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const bad = (description: string): RpcError => new RpcError(ErrorCode.WRONG_PAYLOAD, description);

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function asObj(v: unknown, what: string): Obj {
  if (!isObj(v)) {
    throw bad(`${what} must be an object`);
  }
  return v;
}
function reqStr(p: Obj, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') {
    throw bad(`${key} must be a non-empty string`);
  }
  return v;
}
function optStr(p: Obj, key: string): string | null {
  const v = p[key];
  if (v === undefined || v === null) {
    return null;
  }
  if (typeof v !== 'string') {
    throw bad(`${key} must be a string`);
  }
  return v === '' ? null : v;
}
function reqInt(p: Obj, key: string, min: number): number {
  const v = p[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw bad(`${key} must be an integer >= ${min}`);
  }
  return v;
}
function optBool(p: Obj, key: string, fallback: boolean): boolean {
  const v = p[key];
  if (v === undefined || v === null) {
    return fallback;
  }
  if (typeof v !== 'boolean') {
    throw bad(`${key} must be a boolean`);
  }
  return v;
}

/** One WebSocket session. */
interface Conn {
  id: number;
  ws: WebSocket;
  protocol: string;
  login?: string;
  tokenJti?: string;
  tokenExp?: number;
  /** The `/instance` part of the userId answered to auth (protocol.md §2). */
  instance: string;
  connectionId?: string;
  /** Client request ids received but not yet answered (protocol.md §7 item 6). */
  inFlight: Set<number>;
  /** fileIds this socket subscribed to (protocol.md §4.6); dropped with the socket. */
  subscriptions: Set<string>;
  receiveSystemEnvelopes: boolean;
}
type AuthedConn = Conn & { login: string };

interface RpcOutcome {
  payload: unknown;
  /** Runs just before the answer is sent (e.g. a progress event that must precede it). */
  before?: () => void;
  /** Runs just after the answer is sent (notifications caused by the request). */
  after?: () => void;
}
type Handler = (conn: AuthedConn, p: Obj) => RpcOutcome;

interface PendingNotification {
  socketId: number;
  id: number;
  method: string;
  messageId?: string;
}

interface FaultState {
  refuse: boolean;
  omit: Map<string, number>;
  delay: Map<string, number>;
  expireNext: number;
  tokenMode: TokenEndpointMode;
  closeMidUpload: number | null;
  closeMidDownload: number | null;
  downloadHtml: boolean;
  duplicateIdCheck: boolean;
}

function freshFaults(): FaultState {
  return {
    refuse: false,
    omit: new Map(),
    delay: new Map(),
    expireNext: 0,
    tokenMode: 'ok',
    closeMidUpload: null,
    closeMidDownload: null,
    downloadHtml: false,
    // On by default: reusing an in-flight id is a client bug a strict server reports.
    duplicateIdCheck: true,
  };
}

export interface Faults {
  /** Terminate every WebSocket and every TCP connection (in-flight uploads, downloads, token requests). */
  dropAllSockets(): void;
  /** Close every WebSocket with this close code (protocol.md §7 item 26). */
  closeSockets(code?: number, reason?: string): void;
  /** New TCP connections are destroyed at once. */
  refuseConnections(on: boolean): void;
  /** Swallow the next `count` (default: all, until cleared) answers to this method. */
  omitResponses(method: string, count?: number): void;
  /** Delay answers to this method (0 clears). Use 'auth' to delay authentication. */
  delayResponses(method: string, ms: number): void;
  /** The next N RPCs other than auth answer 203 (credentials expired). */
  expireTokens(nextRequests: number): void;
  /** Every token minted so far becomes expired: auth with it → 203, RPCs on sockets authed with it → 203. */
  expireAllTokens(): void;
  tokenEndpoint(mode: TokenEndpointMode): void;
  /** Destroy the next upload's connection after this many request-body bytes (null clears). */
  closeMidUpload(afterBytes: number | null): void;
  /** Close the next download's connection after this many body bytes (null clears). */
  closeMidDownload(afterBytes: number | null): void;
  /** File downloads answer 200 text/html "<html>login</html>" (a proxy login page). */
  downloadReturnsHtml(on: boolean): void;
  /** Reused in-flight request id → errorCode 2. On by default. */
  duplicateIdCheck(on: boolean): void;
  /** Send a raw text frame to every authenticated socket, or to one user's. */
  sendRaw(text: string, login?: string): void;
  /** All faults off; the duplicate-id check back to its default (on). */
  clear(): void;
}

export class FakeTrueConfServer extends EventEmitter {
  options: FakeServerOptions;
  readonly domain: string;
  readonly log: ServerLog = {
    requests: [],
    acks: [],
    notifications: [],
    http: [],
    tokenRequests: [],
    uploads: [],
    downloads: [],
  };
  readonly faults: Faults;

  private readonly world: World;
  private readonly secret = randomBytes(32);
  private readonly httpServer: http.Server;
  private readonly wss: WebSocketServer;
  private readonly conns = new Map<number, Conn>();
  private readonly tcpSockets = new Set<Socket>();
  private readonly pending = new Map<string, PendingNotification>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly httpEntries = new WeakMap<http.ServerResponse, HttpLogEntry>();
  private readonly mintedJtis = new Set<string>();
  private readonly revokedJtis = new Set<string>();
  private fault: FaultState = freshFaults();
  private nextSocketId = 1;
  private nextNotificationId = 1;
  private listeningPort = 0;
  private storage = '';
  private ownsStorage = false;
  private stopped = false;

  /** Prefer `FakeTrueConfServer.start()`. */
  constructor(options: FakeServerOptions = {}) {
    super();
    this.options = { ...options };
    this.domain = options.domain ?? 'trueconf.test';
    this.world = new World(this.domain);
    for (const user of options.users ?? DEFAULT_USERS) {
      this.world.users.set(user.login, { ...user });
    }
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.onHttpRequest(req, res);
    this.httpServer = options.tls
      ? https.createServer({ key: options.tls.key, cert: options.tls.cert, requestTimeout: 0 }, handler)
      : http.createServer({ requestTimeout: 0 }, handler);
    this.httpServer.on('connection', (socket: Socket) => this.onTcpConnection(socket));
    this.httpServer.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.httpServer.on('clientError', (_err, socket: Socket) => socket.destroy());
    this.wss = new WebSocketServer({
      noServer: true,
      // protocol.md §1.3 / §7 item 1: echo json.v1 when offered; accept clients that offer none.
      handleProtocols: (protocols) => (protocols.has('json.v1') ? 'json.v1' : false),
      maxPayload: 16 * 1024 * 1024,
    });
    this.faults = this.createFaults();
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeTrueConfServer> {
    const server = new FakeTrueConfServer(options);
    await server.init();
    return server;
  }

  private async init(): Promise<void> {
    if (this.options.storageDir) {
      this.storage = this.options.storageDir;
      await fsp.mkdir(this.storage, { recursive: true });
    } else {
      this.storage = await fsp.mkdtemp(join(tmpdir(), 'trueconf-fake-'));
      this.ownsStorage = true;
    }
    await fsp.mkdir(this.uploadsDir, { recursive: true });
    await fsp.mkdir(this.filesDir, { recursive: true });
    try {
      await this.listen(this.options.port ?? 0);
    } catch (err) {
      // E.g. EADDRINUSE: leave nothing behind.
      this.stopped = true;
      if (this.ownsStorage) {
        await fsp.rm(this.storage, { recursive: true, force: true });
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- properties

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.listeningPort}`;
  }

  /** ws:// or wss:// URL of the chat bot WebSocket (with the trailing slash, like OC). */
  get wsUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}/websocket/chat_bot/`;
  }

  get storageDir(): string {
    return this.storage;
  }

  private get dialect(): Dialect {
    return this.options.dialect ?? 'live';
  }

  private get uploadsDir(): string {
    return join(this.storage, 'uploads');
  }

  private get filesDir(): string {
    return join(this.storage, 'files');
  }

  private get limits(): UploadLimits {
    return this.options.uploadLimits ?? { maxSize: null, extensions: null };
  }

  // ---------------------------------------------------------------- lifecycle

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.httpServer.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        this.httpServer.off('error', onError);
        this.listeningPort = (this.httpServer.address() as AddressInfo).port;
        resolve();
      };
      this.httpServer.once('error', onError);
      this.httpServer.once('listening', onListening);
      this.httpServer.listen(port, '127.0.0.1');
    });
  }

  private closeListener(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.httpServer.listening) {
        this.destroyAllConnections();
        resolve();
        return;
      }
      this.httpServer.close(() => resolve());
      this.destroyAllConnections();
    });
  }

  private destroyAllConnections(): void {
    for (const conn of this.conns.values()) {
      conn.ws.terminate();
    }
    for (const socket of this.tcpSockets) {
      socket.destroy();
    }
  }

  /** Close everything and delete the storage directory (only if the server created it). */
  async stop(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.stopped = true;
    for (const t of this.timers) {
      clearTimeout(t);
    }
    this.timers.clear();
    await this.closeListener();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    if (this.ownsStorage) {
      await fsp.rm(this.storage, { recursive: true, force: true });
    }
  }

  /**
   * Stop listening, drop every connection, then listen again on the same port after
   * `downtimeMs` (default 0). All users, chats, messages, files and tokens are kept;
   * upload tasks in progress fail because their connections die.
   */
  async restart(downtimeMs = 0): Promise<void> {
    if (this.stopped) {
      throw new Error('restart() after stop()');
    }
    await this.closeListener();
    if (downtimeMs > 0) {
      await new Promise((r) => setTimeout(r, downtimeMs));
    }
    await this.listen(this.listeningPort);
  }

  /**
   * Serve another certificate to new connections (a server started with `tls` only). With
   * restart(), the server comes back on the same port with a different certificate, keeping its
   * users, tokens and log: "the certificate changed" in the pinning tests.
   */
  setCertificate(tls: { key: string | Buffer; cert: string | Buffer }): void {
    if (!(this.httpServer instanceof https.Server)) {
      throw new Error('setCertificate() needs a server started with the tls option');
    }
    this.httpServer.setSecureContext({ key: tls.key, cert: tls.cert });
    this.options.tls = { ...tls };
  }

  private schedule(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) {
        fn();
      }
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  // ---------------------------------------------------------------- users, tokens

  userId(login: string): string {
    return this.world.userId(login);
  }

  addUser(u: FakeUser): void {
    this.world.users.set(u.login, { ...u });
  }

  /**
   * Mint a token for a user as the token endpoint would. A negative `ttlSeconds`
   * gives an already-expired token (for 203 tests).
   */
  issueToken(login: string, ttlSeconds = this.options.tokenTtlSeconds ?? 3600): { token: string; expiresAt: number } {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ttlSeconds;
    const jti = randomUUID();
    this.mintedJtis.add(jti);
    const token = mintJwt(this.secret, { sub: this.userId(login), iat, exp, jti, iss: 'trueconf-fake', client_id: 'chat_bot' });
    return { token, expiresAt: exp };
  }

  // ---------------------------------------------------------------- chats (test API)

  /** Create a chat; P2P and favourites chats are get-or-create. Returns its id. */
  createChat(c: { type: ChatType; title?: string | null; participants: string[]; id?: string }): string {
    return this.world.createChat(c.type, c.participants, c.title ?? null, c.id).chat.chatId;
  }

  /** Id of the P2P chat of two users, whether or not it exists yet. */
  p2pChatId(a: string, b: string): string {
    return this.world.p2pChatId(a, b);
  }

  setUploadLimits(l: FakeServerOptions['uploadLimits']): void {
    this.options.uploadLimits = l ?? null;
    for (const conn of this.authedConns()) {
      this.notify(conn, 'getFileUploadLimits', this.limitsPayload());
    }
  }

  /** Post a text message as `fromLogin`; every participant's sessions get it (the author's too). */
  async sendText(
    fromLogin: string,
    chatId: string,
    text: string,
    parseMode: ParseMode = 'text',
    opts: { timestamp?: number; replyMessageId?: string } = {},
  ): Promise<StoredMessage> {
    const chat = this.requireMember(chatId, fromLogin);
    if (!PARSE_MODES.includes(parseMode)) {
      throw new Error(`Unknown parse mode ${parseMode}`);
    }
    const msg = this.world.addMessage(chat, fromLogin, 'text', 200, { text, parseMode }, opts);
    this.deliverMessage(msg);
    return this.stored(msg);
  }

  /**
   * Post a file as `fromLogin` (protocol.md §4.6, §7 item 20). With `uploadMs > 0` the
   * envelope goes out at once with readyState 1, then the bytes "arrive" in ten steps
   * with progress events to subscribers; `ready` resolves when readyState becomes 2
   * (never, for `notAvailable`).
   */
  async sendFile(
    fromLogin: string,
    chatId: string,
    file: InjectFileOptions,
  ): Promise<{ fileId: string; messageId: string; ready: Promise<void> }> {
    const chat = this.requireMember(chatId, fromLogin);
    let path: string;
    let size: number;
    if (typeof file.data === 'string') {
      path = file.data;
      size = (await fsp.stat(path)).size;
    } else {
      path = join(this.filesDir, `inject-${randomUUID()}`);
      await fsp.writeFile(path, file.data);
      size = file.data.length;
    }
    const previews: StoredBytes[] = [];
    if (file.preview) {
      const previewPath = join(this.filesDir, `preview-${randomUUID()}`);
      await fsp.writeFile(previewPath, file.preview.data);
      previews.push({
        name: file.preview.name,
        mimeType: file.preview.mimeType ?? guessMimeType(file.preview.name),
        size: file.preview.data.length,
        path: previewPath,
        token: randomBytes(16).toString('hex'),
      });
    }
    const uploadMs = file.uploadMs ?? 0;
    const readyState: 0 | 1 | 2 = file.notAvailable ? 0 : uploadMs > 0 ? 1 : 2;
    const rec = this.world.newFile({
      name: file.name,
      mimeType: file.mimeType ?? guessMimeType(file.name),
      size,
      path,
      readyState,
      progress: readyState === 2 ? size : 0,
      previews,
      uploader: fromLogin,
    });
    const msg = this.world.addMessage(chat, fromLogin, 'file', 202, {}, {
      fileId: rec.fileId,
      timestamp: file.timestamp,
      replyMessageId: file.replyMessageId ?? null,
    });
    this.deliverMessage(msg);
    if (readyState === 1) {
      this.simulateUpload(rec, uploadMs);
    }
    return { fileId: rec.fileId, messageId: msg.messageId, ready: rec.ready };
  }

  /**
   * Inject an arbitrary envelope from a user (protocol.md §7 item 16): e.g. type 201
   * (forwarded), 203 (location), 204 (survey), or a system type < 200 (delivered only
   * to sockets that authenticated with receiveSystemMessageEnvelopes).
   */
  injectEnvelope(fromLogin: string, chatId: string, env: { type: number; content: Obj; timestamp?: number }): StoredMessage {
    const chat = this.requireMember(chatId, fromLogin);
    const kind = env.type < 200 ? 'system' : 'custom';
    const msg = this.world.addMessage(chat, fromLogin, kind, env.type, { ...env.content }, { timestamp: env.timestamp });
    this.deliverMessage(msg);
    return this.stored(msg);
  }

  /** Push an arbitrary notification (type 1) to every authenticated socket, or one user's. */
  push(method: string, payload: unknown, login?: string): void {
    for (const conn of this.authedConns()) {
      if (login === undefined || conn.login === login) {
        this.notify(conn, method, payload);
      }
    }
  }

  // Push-only chat events acting as another user (protocol.md §4.9, §7 item 25).

  removeChat(chatId: string, byLogin?: string): void {
    this.opRemoveChat(this.requireChat(chatId), byLogin ?? this.firstOwner(chatId), null);
  }
  addParticipant(chatId: string, login: string, byLogin?: string, displayHistory = true): void {
    this.opAddParticipant(this.requireChat(chatId), login, byLogin ?? this.firstOwner(chatId), displayHistory, null);
  }
  removeParticipant(chatId: string, login: string, byLogin?: string): void {
    this.opRemoveParticipant(this.requireChat(chatId), login, byLogin ?? this.firstOwner(chatId), null);
  }
  changeRole(chatId: string, login: string, role: ParticipantRole): void {
    this.opChangeRole(this.requireChat(chatId), login, role, null);
  }
  editMessage(messageId: string, text: string, parseMode: ParseMode = 'text'): void {
    const msg = this.world.messages.get(messageId);
    if (!msg) {
      throw new Error(`Unknown message ${messageId}`);
    }
    this.opEditMessage(msg, { text, parseMode }, null);
  }
  removeMessage(messageId: string, byLogin?: string): void {
    const msg = this.world.messages.get(messageId);
    if (!msg) {
      throw new Error(`Unknown message ${messageId}`);
    }
    this.opRemoveMessage(msg, byLogin ?? msg.author, null);
  }
  clearHistory(chatId: string, forAll = true, byLogin?: string): void {
    this.opClearHistory(this.requireChat(chatId), byLogin ?? this.firstOwner(chatId), forAll, null);
  }
  editChatTitle(chatId: string, title: string, byLogin?: string): void {
    this.opEditTitle(this.requireChat(chatId), byLogin ?? this.firstOwner(chatId), title, null);
  }
  editChatAvatar(chatId: string, avatarUrl: string | null, byLogin?: string): void {
    this.opEditAvatar(this.requireChat(chatId), byLogin ?? this.firstOwner(chatId), avatarUrl, null);
  }

  // ---------------------------------------------------------------- inspection

  /** Messages of a chat, oldest first, rendered for their authors in the current dialect. */
  chatMessages(chatId: string): StoredMessage[] {
    return this.requireChat(chatId).messages.map((m) => this.stored(m));
  }

  /** The chats a user is in, most recently active first. */
  chatsOf(login: string): Array<{ chatId: string; title: string | null; chatType: number }> {
    return this.world.chatsOf(login).map((c) => ({ chatId: c.chatId, title: this.world.titleFor(c, login), chatType: c.type }));
  }

  fileBytes(fileId: string): Buffer {
    return readFileSync(this.filePath(fileId));
  }

  filePath(fileId: string): string {
    const file = this.world.files.get(fileId);
    if (!file) {
      throw new Error(`Unknown file ${fileId}`);
    }
    return file.path;
  }

  /** The capability download URL of a file, whether or not it is ready (getFileInfo hides it until then). */
  downloadUrlFor(fileId: string): string {
    const file = this.world.files.get(fileId);
    if (!file) {
      throw new Error(`Unknown file ${fileId}`);
    }
    return this.downloadUrl(file, false);
  }

  /** Current state of a file: readyState, progress, size, name, mimeType, previews count. */
  fileState(fileId: string): { readyState: 0 | 1 | 2; progress: number; size: number; name: string; mimeType: string; previews: number } {
    const f = this.world.files.get(fileId);
    if (!f) {
      throw new Error(`Unknown file ${fileId}`);
    }
    return { readyState: f.readyState, progress: f.progress, size: f.size, name: f.name, mimeType: f.mimeType, previews: f.previews.length };
  }

  /** Notifications not acked yet; `openOnly` limits them to sockets that are still open. */
  unackedNotifications(opts: { openOnly?: boolean } = {}): Array<{ socketId: number; id: number; method: string }> {
    return [...this.pending.values()]
      .filter((p) => !opts.openOnly || this.conns.has(p.socketId))
      .map(({ socketId, id, method }) => ({ socketId, id, method }));
  }

  /** Open WebSocket connections, authenticated or not. */
  connectionCount(): number {
    return this.conns.size;
  }

  /** Open sockets with their user (undefined before auth). */
  connections(): Array<{ socketId: number; login?: string; protocol: string }> {
    return [...this.conns.values()].map((c) => ({ socketId: c.id, login: c.login, protocol: c.protocol }));
  }

  clearLog(): void {
    for (const list of Object.values(this.log) as unknown[][]) {
      list.length = 0;
    }
  }

  /** Poll `fn` every 10 ms until it returns something truthy. */
  waitFor<T>(fn: () => T | undefined | false | null, timeoutMs = 5000): Promise<T> {
    const started = Date.now();
    return new Promise<T>((resolve, reject) => {
      const tick = (): void => {
        let value: T | undefined | false | null;
        try {
          value = fn();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (value) {
          resolve(value);
        } else if (Date.now() - started >= timeoutMs) {
          const src = fn.toString().replace(/\s+/g, ' ').slice(0, 160);
          reject(new Error(`waitFor: condition not met within ${timeoutMs} ms: ${src}`));
        } else {
          setTimeout(tick, 10);
        }
      };
      tick();
    });
  }

  // ---------------------------------------------------------------- faults

  private createFaults(): Faults {
    return {
      dropAllSockets: () => this.destroyAllConnections(),
      closeSockets: (code = 1001, reason = '') => {
        for (const conn of this.conns.values()) {
          conn.ws.close(code, reason);
        }
      },
      refuseConnections: (on) => {
        this.fault.refuse = on;
      },
      omitResponses: (method, count = Infinity) => {
        if (count <= 0) {
          this.fault.omit.delete(method);
        } else {
          this.fault.omit.set(method, count);
        }
      },
      delayResponses: (method, ms) => {
        if (ms <= 0) {
          this.fault.delay.delete(method);
        } else {
          this.fault.delay.set(method, ms);
        }
      },
      expireTokens: (n) => {
        this.fault.expireNext = Math.max(0, n);
      },
      expireAllTokens: () => {
        for (const jti of this.mintedJtis) {
          this.revokedJtis.add(jti);
        }
      },
      tokenEndpoint: (mode) => {
        this.fault.tokenMode = mode;
      },
      closeMidUpload: (n) => {
        this.fault.closeMidUpload = n;
      },
      closeMidDownload: (n) => {
        this.fault.closeMidDownload = n;
      },
      downloadReturnsHtml: (on) => {
        this.fault.downloadHtml = on;
      },
      duplicateIdCheck: (on) => {
        this.fault.duplicateIdCheck = on;
      },
      sendRaw: (text, login) => {
        for (const conn of this.authedConns()) {
          if (login === undefined || conn.login === login) {
            conn.ws.send(text);
          }
        }
      },
      clear: () => {
        this.fault = freshFaults();
      },
    };
  }

  // ---------------------------------------------------------------- HTTP

  private onTcpConnection(socket: Socket): void {
    if (this.fault.refuse) {
      socket.destroy();
      return;
    }
    this.tcpSockets.add(socket);
    socket.on('close', () => this.tcpSockets.delete(socket));
  }

  private logHttp(req: http.IncomingMessage): { entry: HttpLogEntry; url: URL } {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: HttpLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      headers: { ...req.headers },
      status: 0,
      at: Date.now(),
    };
    this.log.http.push(entry);
    return { entry, url };
  }

  /** writeHead that also records the status in log.http at once (before the client can see it). */
  private head(res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders): void {
    const entry = this.httpEntries.get(res);
    if (entry) {
      entry.status = status;
    }
    res.writeHead(status, headers);
  }

  private sendJson(res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}): void {
    const text = JSON.stringify(body);
    this.head(res, status, {
      ...extra,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private onHttpRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { entry, url } = this.logHttp(req);
    this.httpEntries.set(res, entry);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const fail = (err: unknown): void => {
      if (!res.headersSent) {
        this.sendJson(res, 500, { error: 'server_error', error_description: String(err) });
      } else {
        res.destroy();
      }
    };
    try {
      if (path === '/' && (method === 'GET' || method === 'HEAD')) {
        const html = `<!doctype html><html><head><title>TrueConf Server (fake)</title></head><body><h1>TrueConf Server (fake)</h1><p>Domain: ${this.domain}. Chatbot Connector API on this port.</p></body></html>`;
        this.head(res, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
        res.end(method === 'HEAD' ? undefined : html);
      } else if (path === '/api/v4/server' && method === 'GET') {
        this.sendJson(res, 200, { product: { version: FAKE_SERVER_VERSION, display_name: this.domain } });
      } else if (path === TOKEN_PATH) {
        if (method !== 'POST') {
          this.methodNotAllowed(res, 'POST');
        } else {
          this.handleToken(req, res).catch(fail);
        }
      } else if (path === FILES_PATH) {
        if (method === 'OPTIONS') {
          this.head(res, 204, UPLOAD_HEADERS);
          res.end();
        } else if (method !== 'POST') {
          this.methodNotAllowed(res, 'OPTIONS, POST');
        } else {
          this.handleUpload(req, res).catch(fail);
        }
      } else if (path.startsWith(`${FILES_PATH}/`)) {
        const rest = path.slice(FILES_PATH.length + 1).split('/');
        if (rest.length === 1 || (rest.length === 2 && rest[1] === 'preview')) {
          this.handleDownload(req, res, url, decodeURIComponent(rest[0]), rest.length === 2);
        } else {
          this.notFound(res, method, path);
        }
      } else if (WS_PATHS.has(path)) {
        this.sendJson(res, 426, { error: 'upgrade_required', error_description: 'Connect with a WebSocket client' }, { Upgrade: 'websocket' });
      } else {
        this.notFound(res, method, path);
      }
    } catch (err) {
      fail(err);
    }
  }

  private notFound(res: http.ServerResponse, method: string, path: string): void {
    this.sendJson(res, 404, { error: 'not_found', error_description: `No route for ${method} ${path}` });
  }

  private methodNotAllowed(res: http.ServerResponse, allow: string): void {
    this.sendJson(res, 405, { error: 'method_not_allowed', error_description: `Allowed: ${allow}` }, { Allow: allow });
  }

  /** Read a small request body (token requests). */
  private readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          reject(new Error('Request body too large'));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  /** POST /bridge/api/client/v1/oauth/token (protocol.md §1.2, §7 item 2). */
  private async handleToken(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await this.readBody(req);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let body: Obj;
    try {
      if (type === 'application/json') {
        body = asObj(JSON.parse(raw.toString('utf8')), 'body');
      } else if (type === 'application/x-www-form-urlencoded') {
        body = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
      } else {
        throw new Error('Use application/json or application/x-www-form-urlencoded');
      }
    } catch (err) {
      this.recordToken('', false);
      this.sendJson(res, 400, { error: 'invalid_request', error_description: err instanceof Error ? err.message : 'Bad body' });
      return;
    }
    const asText = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
    const username = asText(body.username);
    const password = asText(body.password);
    switch (this.fault.tokenMode) {
      case 'drop':
        this.recordToken(username, false);
        req.socket.destroy();
        return;
      case 'hang':
        this.recordToken(username, false);
        return; // never answered; the socket dies with dropAllSockets()/stop()
      case 'error500':
        this.recordToken(username, false);
        this.sendJson(res, 500, { error: 'server_error', error_description: 'Internal server error' });
        return;
      case 'disabled403':
        this.recordToken(username, false);
        this.sendJson(res, 403, { error: 'auth_method_disabled', error_description: 'Password authentication is disabled on this server' });
        return;
      case 'ok':
        break;
    }
    if (body.client_id !== 'chat_bot') {
      this.recordToken(username, false);
      this.sendJson(res, 400, { error: 'invalid_client', error_description: 'client_id must be "chat_bot"' });
      return;
    }
    if (body.grant_type !== 'password') {
      this.recordToken(username, false);
      this.sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'Only the password grant is supported' });
      return;
    }
    if (!username || !password) {
      this.recordToken(username, false);
      this.sendJson(res, 400, { error: 'invalid_request', error_description: 'username and password are required' });
      return;
    }
    // The user name may be the login or the full TrueConf id login@domain.
    const login = username.includes('@') ? this.world.loginOf(username) : this.world.users.has(username) ? username : null;
    const user = login === null ? undefined : this.world.users.get(login);
    if (!user || user.password !== password) {
      this.recordToken(username, false);
      this.sendJson(res, 401, { error: 'invalid_grant', error_description: 'Invalid username or password' });
      return;
    }
    const ttl = this.options.tokenTtlSeconds ?? 3600;
    const { token, expiresAt } = this.issueToken(user.login, ttl);
    this.recordToken(username, true);
    this.sendJson(res, 201, { access_token: token, token_type: 'JWT', expires_in: ttl, expires_at: expiresAt });
  }

  private recordToken(username: string, ok: boolean): void {
    const entry = { username, ok };
    this.log.tokenRequests.push(entry);
    this.emit('token', entry);
  }

  /**
   * POST /bridge/api/client/v1/files (seed page "Upload file to server"; protocol.md
   * §4.5, §7 item 18). The body is streamed to disk. Every failure answers
   * 400 {"error": 310, "error_description": …} — the seed's shape — after the body has
   * been read, so the client sees the answer rather than a reset. A task whose upload
   * failed (size mismatch, malformed body, connection lost mid-body) is unusable: the
   * client has to create a new task.
   */
  private async handleUpload(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const entry: UploadLogEntry = { taskId: null, headers: { ...req.headers }, bytes: 0, status: 0 };
    this.log.uploads.push(entry);
    const reject = (description: string): void => {
      entry.status = 400;
      entry.error = description;
      const answer = (): void => this.sendJson(res, 400, { error: ErrorCode.UPLOAD_FAILED, error_description: description }, UPLOAD_HEADERS);
      if (req.readableEnded) {
        answer();
      } else {
        req.once('end', answer);
        req.resume();
      }
      this.emit('upload', entry);
    };

    const header = req.headers['upload-task-id'];
    const taskId = (Array.isArray(header) ? header[0] : header)?.trim();
    if (!taskId) {
      return reject('No upload task ID provided');
    }
    entry.taskId = taskId;
    const task = this.world.uploadTasks.get(taskId);
    if (!task || Date.now() - task.createdAt > TRANSIENT_ID_TTL_MS) {
      return reject('Upload task not found or expired');
    }
    if (task.state === 'used') {
      return reject('Upload task has already been used');
    }
    if (task.state === 'uploading') {
      return reject('Upload task is already in progress');
    }
    if (task.state === 'failed') {
      return reject('Upload task failed earlier; create a new upload task');
    }
    const boundary = parseBoundary(req.headers['content-type']);
    if (!boundary) {
      return reject('Expected a multipart/form-data body with a boundary');
    }

    task.state = 'uploading';
    const cut = this.fault.closeMidUpload;
    if (cut !== null) {
      this.fault.closeMidUpload = null;
      let seen = 0;
      if (cut <= 0) {
        req.socket.destroy();
      }
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= cut) {
          req.socket.destroy();
        }
      });
    }

    let parts: ReceivedPart[];
    try {
      parts = await receiveMultipart(req, boundary, {
        dir: this.uploadsDir,
        keep: (info) => info.name === 'file' || info.name === 'preview',
      });
    } catch (err) {
      task.state = 'failed';
      if (err instanceof BodyAbortedError) {
        entry.error = err.message;
        this.emit('upload', entry);
        return;
      }
      return reject(`Malformed multipart body: ${err instanceof Error ? err.message : String(err)}`);
    }
    const discard = (): Promise<unknown> =>
      Promise.all(parts.filter((p) => p.path).map((p) => fsp.rm(p.path as string, { force: true })));

    const fileParts = parts.filter((p) => p.name === 'file');
    const filePart = fileParts[0];
    const previewPart = parts.find((p) => p.name === 'preview');
    if (filePart) {
      entry.fileName = filePart.filename;
      entry.contentType = filePart.contentType;
      entry.bytes = filePart.size;
      entry.path = filePart.path;
    }
    if (previewPart) {
      entry.preview = { fileName: previewPart.filename, contentType: previewPart.contentType, bytes: previewPart.size };
    }
    let problem: string | null = null;
    if (fileParts.length !== 1 || !filePart?.path) {
      problem = 'The form must contain exactly one part named "file"';
    } else if (previewPart && previewPart.filename !== undefined && previewPart.filename === filePart.filename) {
      problem = 'The preview must be sent under a name different from the file name';
    } else if (filePart.size !== task.size) {
      problem = 'File size does not match the upload task';
    }
    if (problem !== null || !filePart?.path) {
      task.state = 'failed';
      entry.path = undefined;
      await discard();
      return reject(problem ?? 'Upload failed');
    }
    for (const p of parts) {
      if (p.path && p !== filePart && p !== previewPart) {
        await fsp.rm(p.path, { force: true });
      }
    }

    const name = task.name ?? filePart.filename ?? 'file';
    const temporalFileId = randomUUID();
    this.world.temporalFiles.set(temporalFileId, {
      id: temporalFileId,
      login: task.login,
      name,
      mimeType: mimeFromPart(filePart.contentType, name),
      size: filePart.size,
      path: filePart.path,
      preview:
        previewPart?.path !== undefined
          ? {
              name: previewPart.filename ?? 'preview',
              mimeType: mimeFromPart(previewPart.contentType, previewPart.filename ?? ''),
              size: previewPart.size,
              path: previewPart.path,
            }
          : undefined,
      createdAt: Date.now(),
      used: false,
    });
    task.state = 'used';
    entry.status = 200;
    entry.temporalFileId = temporalFileId;
    this.sendJson(res, 200, { temporalFileId }, UPLOAD_HEADERS);
    this.emit('upload', entry);
  }

  /**
   * GET/HEAD <downloadUrl> (protocol.md §5, §7 item 23): a capability URL — the `token`
   * query parameter is the only credential. Range requests are honoured (206/416) so a
   * client can resume. Not-ready files answer 409 (uploading) or 404 (not available).
   */
  private handleDownload(req: http.IncomingMessage, res: http.ServerResponse, url: URL, fileId: string, preview: boolean): void {
    const method = req.method ?? 'GET';
    const record = (status: number, bytes = 0, range?: string): void => {
      this.log.downloads.push({ fileId, preview, method, status, bytes, range });
    };
    if (method !== 'GET' && method !== 'HEAD') {
      record(405);
      this.methodNotAllowed(res, 'GET, HEAD');
      return;
    }
    if (this.fault.downloadHtml) {
      const html = '<html>login</html>';
      record(200, html.length);
      this.head(res, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': html.length });
      res.end(method === 'HEAD' ? undefined : html);
      return;
    }
    const file = this.world.files.get(fileId);
    const target: StoredBytes | undefined = preview ? file?.previews[0] : file;
    if (!file || !target) {
      record(404);
      this.sendJson(res, 404, { error: 'not_found', error_description: 'File not found' });
      return;
    }
    if (url.searchParams.get('token') !== target.token) {
      record(403);
      this.sendJson(res, 403, { error: 'forbidden', error_description: 'Invalid or missing download token' });
      return;
    }
    if (file.readyState !== 2) {
      const status = file.readyState === 1 ? 409 : 404;
      record(status);
      this.sendJson(res, status, {
        error: file.readyState === 1 ? 'not_ready' : 'not_available',
        error_description: file.readyState === 1 ? 'The file is still uploading' : 'The file is not available',
      });
      return;
    }

    const size = target.size;
    const etag = `"${file.fileId}${preview ? '-p' : ''}"`;
    const rangeHeader = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const ifRange = req.headers['if-range'];
    const range = rangeHeader && (ifRange === undefined || ifRange === etag) ? parseRange(rangeHeader, size) : null;
    const baseHeaders: http.OutgoingHttpHeaders = {
      'Content-Type': target.mimeType,
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Cache-Control': 'no-store',
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(target.name)}`,
    };
    if (range === 'unsatisfiable') {
      record(416, 0, rangeHeader);
      this.head(res, 416, { ...baseHeaders, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : size - 1; // inclusive; -1 for an empty file
    const length = end - start + 1;
    const status = range ? 206 : 200;
    const headers: http.OutgoingHttpHeaders = { ...baseHeaders, 'Content-Length': length };
    if (range) {
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }

    const cut = method === 'GET' ? this.fault.closeMidDownload : null;
    if (cut !== null) {
      this.fault.closeMidDownload = null;
    }
    const sendBytes = cut === null ? length : Math.min(length, Math.max(0, cut));
    record(status, method === 'HEAD' ? 0 : sendBytes, rangeHeader);
    this.head(res, status, headers);
    if (method === 'HEAD' || length <= 0) {
      res.end();
      return;
    }
    const socket = res.socket;
    const killAfterFlush = (): void => {
      // The promised Content-Length is not met: end the TCP connection once the bytes sent so far are flushed.
      if (socket && !socket.destroyed) {
        socket.end(() => socket.destroy());
      }
    };
    if (sendBytes <= 0) {
      res.flushHeaders();
      killAfterFlush();
      return;
    }
    const stream = createReadStream(target.path, { start, end: start + sendBytes - 1 });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    if (cut === null) {
      stream.pipe(res);
    } else {
      stream.pipe(res, { end: false });
      stream.on('end', killAfterFlush);
    }
  }

  // ---------------------------------------------------------------- WebSocket

  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const { entry, url } = this.logHttp(req);
    const refuse = (status: number, description: string): void => {
      entry.status = status;
      const body = JSON.stringify({ error: status === 404 ? 'not_found' : 'unavailable', error_description: description });
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (!WS_PATHS.has(url.pathname)) {
      refuse(404, `No WebSocket endpoint at ${url.pathname}`);
      return;
    }
    // protocol.md §6.1/§6.2: at most 128 simultaneous WebSocket connections (5.5.3+).
    if (this.fault.refuse || this.conns.size >= (this.options.maxConnections ?? 128)) {
      refuse(503, 'Too many connections');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      entry.status = 101;
      this.onWsConnection(ws);
    });
  }

  private onWsConnection(ws: WebSocket): void {
    const conn: Conn = {
      id: this.nextSocketId++,
      ws,
      protocol: ws.protocol,
      instance: randomBytes(4).toString('hex'),
      inFlight: new Set(),
      subscriptions: new Set(),
      receiveSystemEnvelopes: false,
    };
    this.conns.set(conn.id, conn);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(conn, data, isBinary));
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => {
      this.conns.delete(conn.id);
      conn.subscriptions.clear();
      this.emit('close', { socketId: conn.id, login: conn.login, code, reason: reason.toString() });
    });
    this.emit('connection', { socketId: conn.id, protocol: conn.protocol });
  }

  private authedConns(): AuthedConn[] {
    return [...this.conns.values()].filter((c): c is AuthedConn => c.login !== undefined);
  }

  private sessionsOf(login: string): AuthedConn[] {
    return this.authedConns().filter((c) => c.login === login);
  }

  private send(conn: Conn, frame: unknown): void {
    if (conn.ws.readyState === WebSocket.OPEN) {
      conn.ws.send(JSON.stringify(frame));
    }
  }

  /** A server request (type 1) with the server's own id counter (protocol.md §3.2, §7 item 7). */
  private notify(conn: Conn, method: string, payload: unknown): void {
    if (conn.ws.readyState !== WebSocket.OPEN) {
      return;
    }
    const id = this.nextNotificationId++;
    this.log.notifications.push({ socketId: conn.id, id, method, payload });
    const messageId = method === 'sendMessage' && isObj(payload) && typeof payload.messageId === 'string' ? payload.messageId : undefined;
    this.pending.set(`${conn.id}:${id}`, { socketId: conn.id, id, method, messageId });
    this.send(conn, { type: 1, id, method, payload });
  }

  /**
   * One incoming frame (protocol.md §3.1). Choices where the docs are silent:
   * binary frames close the socket with 1003; text that is not JSON gets errorCode 399
   * under the `"id": N` found in it, if any; otherwise (and for JSON that is not an
   * object or has no numeric `id`) the socket is closed with 1007 — there is no id to
   * answer. A frame with an id but a bad `type`/`method` gets errorCode 399 under that id.
   */
  private onFrame(conn: Conn, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      conn.ws.close(1003, 'Binary frames are not supported');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      // Not JSON: answer 399 under the id if one can still be read from the text.
      const salvaged = /"id"\s*:\s*(\d+)/.exec(text);
      if (salvaged) {
        this.send(conn, { type: 2, id: Number(salvaged[1]), payload: errorPayload(ErrorCode.WRONG_PAYLOAD, 'Malformed JSON') });
      } else {
        conn.ws.close(1007, 'Malformed JSON');
      }
      return;
    }
    if (!isObj(frame) || typeof frame.id !== 'number' || !Number.isInteger(frame.id) || frame.id < 0) {
      conn.ws.close(1007, 'A frame needs a numeric id');
      return;
    }
    const id = frame.id;
    if (frame.type === 2) {
      this.onAck(conn, id);
      return;
    }
    if (frame.type !== 1) {
      this.send(conn, { type: 2, id, payload: errorPayload(ErrorCode.WRONG_PAYLOAD, 'type must be 1 (request) or 2 (response)') });
      return;
    }
    const method = frame.method;
    if (typeof method !== 'string' || method === '') {
      this.send(conn, { type: 2, id, payload: errorPayload(ErrorCode.WRONG_PAYLOAD, 'method must be a non-empty string') });
      return;
    }
    const entry = { socketId: conn.id, login: conn.login, method, id, payload: frame.payload, at: Date.now() };
    this.log.requests.push(entry);
    this.emit('request', entry);

    if (this.fault.duplicateIdCheck && conn.inFlight.has(id)) {
      this.send(conn, { type: 2, id, payload: errorPayload(ErrorCode.DUPLICATE_ID, `Request id ${id} is already in flight`) });
      return;
    }
    conn.inFlight.add(id);
    let outcome: RpcOutcome;
    try {
      outcome = this.dispatch(conn, method, frame.payload);
    } catch (err) {
      outcome =
        err instanceof RpcError
          ? { payload: errorPayload(err.code, err.message) }
          : { payload: errorPayload(ErrorCode.INTERNAL, `Internal server error: ${err instanceof Error ? err.message : String(err)}`) };
    }
    const finish = (): void => {
      conn.inFlight.delete(id);
      outcome.before?.();
      const omitted = this.fault.omit.get(method);
      if (omitted !== undefined) {
        if (omitted <= 1) {
          this.fault.omit.delete(method);
        } else {
          this.fault.omit.set(method, omitted - 1);
        }
      } else {
        this.send(conn, { type: 2, id, payload: this.withSuccessCode(outcome.payload) });
      }
      outcome.after?.();
    };
    const delay = this.fault.delay.get(method) ?? 0;
    if (delay > 0) {
      this.schedule(finish, delay);
    } else {
      finish();
    }
  }

  private withSuccessCode(payload: unknown): unknown {
    if (!isObj(payload) || 'errorCode' in payload || this.options.omitErrorCodeOnSuccess) {
      return payload;
    }
    return { ...payload, errorCode: 0 };
  }

  /** A client's `{type: 2, id}`: the ack of a notification; for messages it marks them read (seed page). */
  private onAck(conn: Conn, id: number): void {
    this.log.acks.push({ socketId: conn.id, id });
    const key = `${conn.id}:${id}`;
    const pending = this.pending.get(key);
    if (pending) {
      this.pending.delete(key);
      if (pending.messageId && conn.login) {
        this.world.messages.get(pending.messageId)?.readBy.add(conn.login);
      }
    }
    this.emit('ack', { socketId: conn.id, id, method: pending?.method });
  }

  private dispatch(conn: Conn, method: string, rawPayload: unknown): RpcOutcome {
    const p = asObj(rawPayload ?? {}, 'payload');
    if (method === 'auth') {
      return this.rpcAuth(conn, p);
    }
    // protocol.md §2: anything before a successful auth → 200.
    if (conn.login === undefined) {
      throw new RpcError(ErrorCode.NOT_AUTHORIZED, 'Not authorized: send auth first');
    }
    if (this.fault.expireNext > 0) {
      this.fault.expireNext--;
      throw new RpcError(ErrorCode.CREDENTIALS_EXPIRED, 'Credentials expired');
    }
    if ((conn.tokenExp ?? 0) * 1000 <= Date.now() || (conn.tokenJti !== undefined && this.revokedJtis.has(conn.tokenJti))) {
      throw new RpcError(ErrorCode.CREDENTIALS_EXPIRED, 'Credentials expired');
    }
    const handler = this.handlers[method];
    if (!handler) {
      throw new RpcError(ErrorCode.UNKNOWN_MESSAGE, `Unknown message: ${method}`);
    }
    return handler(conn as AuthedConn, p);
  }

  // ---------------------------------------------------------------- RPC: auth

  /** protocol.md §2: bad/forged token → 201, expired → 203, success → userId with /instance. */
  private rpcAuth(conn: Conn, p: Obj): RpcOutcome {
    const token = reqStr(p, 'token');
    const tokenType = reqStr(p, 'tokenType');
    if (tokenType !== 'JWT') {
      throw new RpcError(ErrorCode.UNSUPPORTED_CREDENTIALS, `Unsupported token type ${tokenType}`);
    }
    const receiveUnread = optBool(p, 'receiveUnread', false);
    const receiveSystem = optBool(p, 'receiveSystemMessageEnvelopes', false);
    const verified = verifyJwt(this.secret, token);
    if (!verified.ok) {
      throw new RpcError(ErrorCode.INVALID_CREDENTIALS, 'Invalid credentials');
    }
    const login = this.world.loginOf(verified.claims.sub);
    if (login === null) {
      throw new RpcError(ErrorCode.INVALID_CREDENTIALS, 'Invalid credentials');
    }
    const jti = typeof verified.claims.jti === 'string' ? verified.claims.jti : undefined;
    if (verified.claims.exp * 1000 <= Date.now() || (jti !== undefined && this.revokedJtis.has(jti))) {
      throw new RpcError(ErrorCode.CREDENTIALS_EXPIRED, 'Credentials expired');
    }
    conn.login = login;
    conn.tokenJti = jti;
    conn.tokenExp = verified.claims.exp;
    conn.connectionId = randomUUID();
    conn.receiveSystemEnvelopes = receiveSystem;
    this.emit('auth', { socketId: conn.id, login });
    return {
      payload: { userId: `${this.userId(login)}/${conn.instance}`, connectionId: conn.connectionId },
      after: () => {
        // protocol.md §4.6: the limits are pushed right after login.
        this.notify(conn, 'getFileUploadLimits', this.limitsPayload());
        if (receiveUnread) {
          const unread = this.world
            .chatsOf(login)
            .flatMap((c) => this.world.unreadFor(c, login))
            .sort((a, b) => a.timestamp - b.timestamp || a.boxId - b.boxId);
          for (const msg of unread) {
            this.notify(conn, 'sendMessage', this.world.render(msg, login, this.dialect));
          }
        }
      },
    };
  }

  // ---------------------------------------------------------------- RPC table

  private readonly handlers: Record<string, Handler> = {
    getChats: (conn, p) => {
      const count = reqInt(p, 'count', 1);
      const page = reqInt(p, 'page', 1);
      const chats = this.world
        .chatsOf(conn.login)
        .slice((page - 1) * count, page * count)
        .map((c) => this.world.chatSummary(c, conn.login, this.dialect));
      // protocol.md §4.2: bare array by default, {chats: [...]} as the other shape.
      return { payload: this.options.chatsShape === 'object' ? { chats } : chats };
    },

    getChatByID: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      return { payload: this.world.chatSummary(chat, conn.login, this.dialect) };
    },

    createP2PChat: (conn, p) => {
      const peer = this.world.loginOf(reqStr(p, 'userId'));
      // Unknown user → 305 (the docs give no code; protocol.md §7 item 10).
      if (peer === null) {
        throw new RpcError(ErrorCode.NOT_A_PARTICIPANT, 'User not found');
      }
      if (peer === conn.login) {
        throw bad('Cannot create a P2P chat with yourself; use createFavoritesChat');
      }
      const { chat, created } = this.world.createChat(1, [conn.login, peer], null);
      return {
        payload: { chatId: chat.chatId },
        after: () => this.announceChat(chat, 'createP2PChat', created ? [conn.login, peer] : [conn.login]),
      };
    },

    createGroupChat: (conn, p) => this.rpcCreateTitled(conn, p, 2, 'createGroupChat'),
    createChannel: (conn, p) => this.rpcCreateTitled(conn, p, 6, 'createChannel'),

    createFavoritesChat: (conn) => {
      const { chat } = this.world.createChat(5, [conn.login], null);
      return { payload: { chatId: chat.chatId }, after: () => this.announceChat(chat, 'createFavoritesChat', [conn.login]) };
    },

    removeChat: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      if ((chat.type === 2 || chat.type === 6) && chat.participants.get(conn.login) !== 'owner') {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'Only the owner can remove this chat');
      }
      return { payload: {}, after: () => this.opRemoveChat(chat, conn.login, conn) };
    },

    addChatParticipant: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const login = this.requireUserId(reqStr(p, 'userId'));
      const displayHistory = optBool(p, 'displayHistory', true);
      this.requireManager(chat, conn.login);
      if (chat.participants.has(login)) {
        throw new RpcError(ErrorCode.ALREADY_IN_CHAT, 'User is already in the chat');
      }
      return { payload: {}, after: () => this.opAddParticipant(chat, login, conn.login, displayHistory, conn) };
    },

    removeChatParticipant: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const login = this.requireUserId(reqStr(p, 'userId'));
      optBool(p, 'clearHistory', false);
      if (login !== conn.login) {
        this.requireManager(chat, conn.login);
      }
      if (!chat.participants.has(login)) {
        throw new RpcError(ErrorCode.NOT_A_PARTICIPANT, 'User is not a chat participant');
      }
      return { payload: {}, after: () => this.opRemoveParticipant(chat, login, conn.login, conn) };
    },

    getChatParticipants: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const size = reqInt(p, 'pageSize', 1);
      const page = reqInt(p, 'pageNumber', 1);
      const participants = [...chat.participants]
        .slice((page - 1) * size, page * size)
        .map(([login, role]) => ({ userId: this.userId(login), role }));
      return { payload: { participants } };
    },

    getChatParticipant: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const login = this.requireUserId(reqStr(p, 'userId'));
      const role = chat.participants.get(login);
      if (!role) {
        throw new RpcError(ErrorCode.NOT_A_PARTICIPANT, 'User is not a chat participant');
      }
      return { payload: { userId: this.userId(login), role, type: 1 } };
    },

    hasChatParticipant: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const login = this.world.loginOf(reqStr(p, 'userId'));
      return { payload: { result: login !== null && chat.participants.has(login) } };
    },

    changeParticipantRole: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const login = this.requireUserId(reqStr(p, 'userId'));
      const rawRole = p.role;
      const role = typeof rawRole === 'number' ? ROLE_BY_NUMBER[rawRole] : (rawRole as ParticipantRole);
      if (typeof rawRole !== 'string' && typeof rawRole !== 'number') {
        throw bad('role must be a string or a number');
      }
      if (!role || !ASSIGNABLE_ROLES.has(role)) {
        throw new RpcError(ErrorCode.ROLE_NOT_FOUND, `Role ${String(rawRole)} cannot be assigned`);
      }
      if (chat.type !== 2 && chat.type !== 6) {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'Roles exist only in group chats and channels');
      }
      if (chat.participants.get(conn.login) !== 'owner') {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'Only the owner can change roles');
      }
      if (!chat.participants.has(login)) {
        throw new RpcError(ErrorCode.NOT_A_PARTICIPANT, 'User is not a chat participant');
      }
      if (login === conn.login) {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'The owner cannot change their own role');
      }
      return { payload: {}, after: () => this.opChangeRole(chat, login, role, conn) };
    },

    editChatTitle: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const title = this.checkTitle(p.title);
      if (chat.type !== 2 && chat.type !== 6) {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'This chat has no editable title');
      }
      this.requireManager(chat, conn.login);
      const timestamp = Date.now();
      return { payload: { chatId: chat.chatId, timestamp }, after: () => this.opEditTitle(chat, conn.login, title, conn) };
    },

    editChatAvatar: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const tf = this.takeTemporalFile(conn.login, reqStr(p, 'temporalFileId'), false);
      if (chat.type !== 2 && chat.type !== 6) {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'This chat has no editable avatar');
      }
      this.requireManager(chat, conn.login);
      tf.used = true;
      const file = this.world.newFile({
        name: tf.name,
        mimeType: tf.mimeType,
        size: tf.size,
        path: tf.path,
        readyState: 2,
        progress: tf.size,
        previews: [],
        uploader: conn.login,
      });
      const avatarUrl = this.downloadUrl(file, false);
      return { payload: {}, after: () => this.opEditAvatar(chat, conn.login, avatarUrl, conn) };
    },

    clearHistory: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      if (typeof p.forAll !== 'boolean') {
        throw bad('forAll must be a boolean');
      }
      const forAll = p.forAll;
      if (forAll && (chat.type === 2 || chat.type === 6)) {
        this.requireManager(chat, conn.login);
      }
      return { payload: {}, after: () => this.opClearHistory(chat, conn.login, forAll, conn) };
    },

    getUserDisplayName: (_conn, p) => {
      const login = this.requireUserId(reqStr(p, 'userId'));
      return { payload: { displayName: this.world.displayName(login) } };
    },

    sendChatActivity: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const activityType = reqStr(p, 'activityType');
      if (!ACTIVITY_TYPES.has(activityType)) {
        throw bad(`Unknown activityType ${activityType}`);
      }
      return { payload: { chatId: chat.chatId, activityType, retryAfter: 0 } };
    },

    sendMessage: (conn, p) => {
      const chat = this.writableChat(conn.login, reqStr(p, 'chatId'));
      const content = this.checkText(asObj(p.content, 'content'));
      const replyMessageId = this.checkReply(chat, conn.login, p);
      const msg = this.world.addMessage(chat, conn.login, 'text', 200, content, { replyMessageId });
      return {
        payload: { chatId: chat.chatId, messageId: msg.messageId, timestamp: msg.timestamp },
        after: () => this.deliverMessage(msg, conn),
      };
    },

    editMessage: (conn, p) => {
      const msg = this.visibleMessage(conn.login, reqStr(p, 'messageId'));
      const content = this.checkText(asObj(p.content, 'content'));
      if (msg.author !== conn.login) {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'Only the author can edit a message');
      }
      if (msg.kind !== 'text') {
        throw bad('Only text messages can be edited');
      }
      return { payload: { messageId: msg.messageId, timestamp: Date.now() }, after: () => this.opEditMessage(msg, content, conn) };
    },

    removeMessage: (conn, p) => {
      const msg = this.visibleMessage(conn.login, reqStr(p, 'messageId'));
      const forAll = optBool(p, 'forAll', false);
      const chat = this.requireChat(msg.chatId);
      if (forAll && msg.author !== conn.login && !MANAGER_ROLES.has(chat.participants.get(conn.login) as ParticipantRole)) {
        throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'Only the author or a chat admin can remove this message for everyone');
      }
      return {
        payload: {},
        after: () => {
          if (forAll) {
            this.opRemoveMessage(msg, conn.login, conn);
          } else {
            msg.hiddenFor.add(conn.login);
            for (const s of this.sessionsOf(conn.login)) {
              if (s !== conn) {
                this.notify(s, 'removeMessage', { chatId: msg.chatId, messageId: msg.messageId, removedBy: this.authorRef(conn.login) });
              }
            }
          }
        },
      };
    },

    forwardMessage: (conn, p) => {
      const chat = this.writableChat(conn.login, reqStr(p, 'chatId'));
      const original = this.visibleMessage(conn.login, reqStr(p, 'messageId'));
      const nested = this.world.render(original, conn.login, this.dialect);
      const content = {
        messageId: nested.messageId,
        chatId: nested.chatId,
        timestamp: nested.timestamp,
        type: nested.type,
        author: nested.author,
        content: nested.content,
        isEdited: nested.isEdited,
        box: nested.box,
      };
      const msg = this.world.addMessage(chat, conn.login, 'custom', 201, content);
      if (original.fileId) {
        this.world.files.get(original.fileId)?.chats.add(chat.chatId);
      }
      return {
        payload: { chatId: chat.chatId, messageId: msg.messageId, timestamp: msg.timestamp },
        after: () => this.deliverMessage(msg, conn),
      };
    },

    getMessageById: (conn, p) => {
      const msg = this.visibleMessage(conn.login, reqStr(p, 'messageId'));
      return { payload: this.world.render(msg, conn.login, this.dialect) };
    },

    getChatHistory: (conn, p) => {
      const chat = this.memberChat(conn.login, reqStr(p, 'chatId'));
      const count = reqInt(p, 'count', 1);
      const from = optStr(p, 'fromMessageId');
      const newestFirst = this.world.visibleMessages(chat, conn.login).reverse();
      let start = 0;
      if (from !== null) {
        const at = newestFirst.findIndex((m) => m.messageId === from);
        if (at < 0) {
          throw new RpcError(ErrorCode.MESSAGE_NOT_FOUND, 'Message not found');
        }
        // protocol.md §4.4 / §7 item 14: the anchor is included by default ([H], live server).
        start = this.options.historyIncludesAnchor === false ? at + 1 : at;
      }
      const messages = newestFirst.slice(start, start + count).map((m) => this.world.render(m, conn.login, this.dialect));
      // `count` is the number of messages returned.
      return { payload: { chatId: chat.chatId, count: messages.length, messages } };
    },

    uploadFile: (conn, p) => {
      const fileSize = reqInt(p, 'fileSize', 0);
      const fileName = optStr(p, 'fileName');
      if (fileName === null && this.options.requireFileName !== false) {
        throw bad('fileName is required (TrueConf Server 5.5.3+)');
      }
      this.checkLimits(fileSize, fileName);
      const id = randomUUID();
      this.world.uploadTasks.set(id, { id, login: conn.login, size: fileSize, name: fileName, createdAt: Date.now(), state: 'new' });
      return { payload: { uploadTaskId: id } };
    },

    sendFile: (conn, p) => {
      const chat = this.writableChat(conn.login, reqStr(p, 'chatId'));
      const content = asObj(p.content, 'content');
      const temporalFileId = reqStr(content, 'temporalFileId');
      const caption = content.caption === undefined || content.caption === null ? null : this.checkText(asObj(content.caption, 'caption'));
      const replyMessageId = this.checkReply(chat, conn.login, p);
      const tf = this.takeTemporalFile(conn.login, temporalFileId, true);
      const file = this.world.newFile({
        name: tf.name,
        mimeType: tf.mimeType,
        size: tf.size,
        path: tf.path,
        readyState: 2, // bytes uploaded over HTTP are complete: ready at once
        progress: tf.size,
        previews: tf.preview ? [{ ...tf.preview, token: randomBytes(16).toString('hex') }] : [],
        uploader: conn.login,
      });
      // protocol.md §4.5: a caption becomes its own text message, delivered first.
      const captionMsg = caption ? this.world.addMessage(chat, conn.login, 'text', 200, caption) : null;
      const fileMsg = this.world.addMessage(chat, conn.login, 'file', 202, {}, { fileId: file.fileId, replyMessageId });
      const payload: Obj = { chatId: chat.chatId, messageId: fileMsg.messageId, timestamp: fileMsg.timestamp, fileId: file.fileId };
      if (captionMsg) {
        payload.captionMessageId = captionMsg.messageId;
      }
      return {
        payload,
        after: () => {
          if (captionMsg) {
            this.deliverMessage(captionMsg, conn);
          }
          this.deliverMessage(fileMsg, conn);
        },
      };
    },

    getFileInfo: (conn, p) => {
      const file = this.visibleFile(conn.login, reqStr(p, 'fileId'));
      const ready = file.readyState === 2;
      const previews = ready
        ? file.previews.map((pv) => ({ name: pv.name, mimeType: pv.mimeType, size: pv.size, downloadUrl: this.downloadUrl(file, true) }))
        : [];
      const info: Obj = {
        name: file.name,
        size: file.size,
        mimeType: file.mimeType,
        downloadUrl: ready ? this.downloadUrl(file, false) : null,
        readyState: file.readyState,
        previews,
      };
      // protocol.md §0 / §4.6: the id field is infoHash on the seed page, fileId on newer servers.
      if (this.dialect === 'seed') {
        info.infoHash = file.fileId;
      } else {
        info.fileId = file.fileId;
      }
      return { payload: info };
    },

    subscribeFileProgress: (conn, p) => {
      const file = this.visibleFile(conn.login, reqStr(p, 'fileId'));
      conn.subscriptions.add(file.fileId);
      const uploaded = file.progress >= file.size && file.readyState !== 0;
      // Seed page: a file uploaded earlier gets exactly one final event.
      const event = (): void => this.notify(conn, this.progressMethod(), { fileId: file.fileId, progress: file.progress });
      const early = this.options.progressBeforeSubscribeAnswer === true;
      if (uploaded) {
        return early ? { payload: { result: true }, before: event } : { payload: { result: true }, after: event };
      }
      // Still uploading: events follow as bytes arrive; optionally the current progress first (protocol.md §4.6).
      return early && file.readyState === 1 ? { payload: { result: true }, before: event } : { payload: { result: true } };
    },

    unsubscribeFileProgress: (conn, p) => {
      const fileId = reqStr(p, 'fileId');
      if (!this.world.files.has(fileId)) {
        throw new RpcError(ErrorCode.FILE_NOT_FOUND, 'File not found');
      }
      conn.subscriptions.delete(fileId);
      return { payload: { result: true } };
    },

    getFileUploadLimits: () => ({ payload: this.limitsPayload() }),
  };

  // ---------------------------------------------------------------- RPC helpers

  private rpcCreateTitled(conn: AuthedConn, p: Obj, type: 2 | 6, method: string): RpcOutcome {
    // [Py] sends `title`; the docs' example uses `name` (protocol.md §4.2). Accept either.
    const title = this.checkTitle(p.title ?? p.name);
    const { chat } = this.world.createChat(type, [conn.login], title);
    return { payload: { chatId: chat.chatId }, after: () => this.announceChat(chat, method, [conn.login]) };
  }

  private checkTitle(v: unknown): string {
    if (typeof v !== 'string' || v.trim() === '') {
      throw bad('title must be a non-empty string');
    }
    if ([...v].length > MAX_TITLE) {
      throw bad(`title must be at most ${MAX_TITLE} characters`);
    }
    return v;
  }

  /** `{text, parseMode}` per protocol.md §4.3; returns the content to store. */
  private checkText(c: Obj): { text: string; parseMode: ParseMode } {
    const text = c.text;
    const parseMode = c.parseMode;
    if (typeof text !== 'string' || text.trim() === '') {
      throw bad('content.text must be a non-empty string');
    }
    if (typeof parseMode !== 'string' || !PARSE_MODES.includes(parseMode as ParseMode)) {
      throw bad('content.parseMode must be one of text, markdown, html');
    }
    const mode = parseMode as ParseMode;
    let stored = text;
    if (mode === 'html') {
      const clean = sanitizeHtml(text);
      if (!clean.ok) {
        throw bad(clean.reason);
      }
      stored = clean.html;
    }
    if (visibleLength(stored, mode) > MAX_VISIBLE_CHARS) {
      if (this.options.overlongText !== 'truncate') {
        throw bad(`Text is longer than ${MAX_VISIBLE_CHARS} characters`);
      }
      stored = truncateCodePoints(stored, MAX_VISIBLE_CHARS);
    }
    return { text: stored, parseMode: mode };
  }

  private checkReply(chat: ChatRec, login: string, p: Obj): string | null {
    const replyId = optStr(p, 'replyMessageId');
    if (replyId === null) {
      return null;
    }
    const target = this.world.messages.get(replyId);
    if (!target || target.chatId !== chat.chatId || !this.world.isVisible(target, login)) {
      throw new RpcError(ErrorCode.MESSAGE_NOT_FOUND, 'Reply target not found');
    }
    return replyId;
  }

  /** protocol.md §4.5: size over maxSize or a disallowed extension → 310, naming the limit. */
  private checkLimits(size: number, name: string | null): void {
    const { maxSize, extensions } = this.limits;
    if (maxSize !== null && size > maxSize) {
      throw new RpcError(ErrorCode.UPLOAD_FAILED, `File size ${size} exceeds the maximum allowed size of ${maxSize} bytes`);
    }
    if (extensions && name !== null) {
      const ext = extensionOf(name);
      const list = extensions.list.map((e) => e.replace(/^\./, '').toLowerCase());
      if (extensions.mode === 'allow' && !list.includes(ext)) {
        throw new RpcError(ErrorCode.UPLOAD_FAILED, `Files of type "${ext || '(none)'}" are not allowed; allowed extensions: ${list.join(', ')}`);
      }
      if (extensions.mode === 'block' && list.includes(ext)) {
        throw new RpcError(ErrorCode.UPLOAD_FAILED, `Files of type "${ext}" are blocked; blocked extensions: ${list.join(', ')}`);
      }
    }
  }

  private limitsPayload(): UploadLimits {
    const { maxSize, extensions } = this.limits;
    return { maxSize, extensions: extensions ? { mode: extensions.mode, list: [...extensions.list] } : null };
  }

  /** A temporal file id owned by `login`, unused and not expired, else 308. */
  private takeTemporalFile(login: string, id: string, markUsed: boolean): TemporalFile {
    const tf = this.world.temporalFiles.get(id);
    if (!tf || tf.used || tf.login !== login || Date.now() - tf.createdAt > TRANSIENT_ID_TTL_MS) {
      throw new RpcError(ErrorCode.FILE_NOT_FOUND, 'Temporal file not found, expired or already used');
    }
    if (markUsed) {
      tf.used = true;
    }
    return tf;
  }

  private requireChat(chatId: string): ChatRec {
    const chat = this.world.chats.get(chatId);
    if (!chat) {
      throw new RpcError(ErrorCode.CHAT_NOT_FOUND, 'Chat not found');
    }
    return chat;
  }

  /** Unknown chat → 304, caller not in it → 305 (protocol.md §7 item 12). */
  private memberChat(login: string, chatId: string): ChatRec {
    const chat = this.requireChat(chatId);
    if (!chat.participants.has(login)) {
      throw new RpcError(ErrorCode.NOT_A_PARTICIPANT, 'User is not a chat participant');
    }
    return chat;
  }

  /** As memberChat, and in a channel only owner/admin/writer may post (→ 303). */
  private writableChat(login: string, chatId: string): ChatRec {
    const chat = this.memberChat(login, chatId);
    if (chat.type === 6 && !CHANNEL_POSTER_ROLES.has(chat.participants.get(login) as ParticipantRole)) {
      throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'Only channel writers can post here');
    }
    return chat;
  }

  private requireManager(chat: ChatRec, login: string): void {
    if ((chat.type !== 2 && chat.type !== 6) || !MANAGER_ROLES.has(chat.participants.get(login) as ParticipantRole)) {
      throw new RpcError(ErrorCode.NOT_ENOUGH_RIGHTS, 'Not enough rights');
    }
  }

  /** A known user's id, else 305 (the docs name no "user not found" code). */
  private requireUserId(userId: string): string {
    const login = this.world.loginOf(userId);
    if (login === null) {
      throw new RpcError(ErrorCode.NOT_A_PARTICIPANT, 'User not found');
    }
    return login;
  }

  private visibleMessage(login: string, messageId: string): MessageRec {
    const msg = this.world.messages.get(messageId);
    if (!msg || !this.world.isVisible(msg, login)) {
      throw new RpcError(ErrorCode.MESSAGE_NOT_FOUND, 'Message not found');
    }
    return msg;
  }

  /**
   * Unknown file → 308. A file exists for a user only through the chats it was posted
   * to: a file in no chat of the caller → 305 (documented choice).
   */
  private visibleFile(login: string, fileId: string): FileRec {
    const file = this.world.files.get(fileId);
    if (!file) {
      throw new RpcError(ErrorCode.FILE_NOT_FOUND, 'File not found');
    }
    if (!this.world.fileVisibleTo(file, login)) {
      throw new RpcError(ErrorCode.NOT_A_PARTICIPANT, 'The file is not in any of your chats');
    }
    return file;
  }

  private progressMethod(): string {
    return this.dialect === 'seed' ? 'uploadingProgress' : 'uploadFileProgress';
  }

  private downloadUrl(file: FileRec, preview: boolean): string {
    const base = this.options.downloadHost
      ? `${this.options.tls ? 'https' : 'http'}://${this.options.downloadHost}`
      : this.url;
    const token = preview ? file.previews[0].token : file.token;
    return `${base}${FILES_PATH}/${file.fileId}${preview ? '/preview' : ''}?token=${token}`;
  }

  private authorRef(login: string): { id: string; type: 1 } {
    return { id: this.userId(login), type: 1 };
  }

  private firstOwner(chatId: string): string {
    const chat = this.requireChat(chatId);
    const owner = [...chat.participants].find(([, role]) => role === 'owner' || role === 'favorites_owner');
    return (owner ?? [...chat.participants][0])[0];
  }

  private requireMember(chatId: string, login: string): ChatRec {
    const chat = this.world.chats.get(chatId);
    if (!chat) {
      throw new Error(`Unknown chat ${chatId}`);
    }
    if (!chat.participants.has(login)) {
      throw new Error(`${login} is not in chat ${chatId}`);
    }
    return chat;
  }

  private stored(msg: MessageRec): StoredMessage {
    const env = this.world.render(msg, msg.author, this.dialect);
    if (msg.fileId) {
      const file = this.world.files.get(msg.fileId);
      if (file) {
        env.fileBytesPath = file.path;
      }
    }
    return env;
  }

  // ---------------------------------------------------------------- delivery

  /**
   * Push a message envelope (method sendMessage, protocol.md §4.8) to every session of
   * every participant except `exclude` (the socket that sent it). System envelopes go
   * only to sessions that asked for them in auth.
   */
  private deliverMessage(msg: MessageRec, exclude: Conn | null = null): void {
    const chat = this.world.chats.get(msg.chatId);
    if (!chat) {
      return;
    }
    for (const login of chat.participants.keys()) {
      for (const conn of this.sessionsOf(login)) {
        if (conn === exclude) {
          continue;
        }
        if (msg.kind === 'system' && !conn.receiveSystemEnvelopes) {
          continue;
        }
        this.notify(conn, 'sendMessage', this.world.render(msg, login, this.dialect));
      }
    }
    this.emit('message', this.stored(msg));
  }

  /** Chat-level notification to the sessions of the given users (all chat members by default). */
  private broadcast(logins: Iterable<string>, method: string, payload: (login: string) => unknown, exclude: Conn | null): void {
    for (const login of logins) {
      for (const conn of this.sessionsOf(login)) {
        if (conn !== exclude) {
          this.notify(conn, method, payload(login));
        }
      }
    }
  }

  /**
   * A chat created by a request comes back as a notification named after the request
   * (protocol.md §4.9) — to every session of the users, the requesting one included.
   */
  private announceChat(chat: ChatRec, method: string, logins: string[]): void {
    this.broadcast(logins, method, (login) => {
      const s = this.world.chatSummary(chat, login, this.dialect);
      return { chatId: s.chatId, title: s.title, chatType: s.chatType, lastMessage: s.lastMessage, unreadMessages: s.unreadMessages };
    }, null);
  }

  private systemEnvelope(chat: ChatRec, actor: string, type: number, content: Obj): void {
    this.deliverMessage(this.world.addMessage(chat, actor, 'system', type, content));
  }

  private opRemoveChat(chat: ChatRec, _actor: string, exclude: Conn | null): void {
    const members = [...chat.participants.keys()];
    this.world.removeChat(chat);
    this.broadcast(members, 'removeChat', () => ({ chatId: chat.chatId }), exclude);
  }

  private opAddParticipant(chat: ChatRec, login: string, actor: string, displayHistory: boolean, exclude: Conn | null): void {
    if (!this.world.users.has(login)) {
      throw new Error(`Unknown user ${login}`);
    }
    chat.participants.set(login, 'user');
    if (!displayHistory) {
      chat.clearedUpTo.set(login, chat.nextBoxId - 1);
    }
    const payload = { timestamp: Date.now(), chatId: chat.chatId, userId: this.userId(login), addedBy: this.authorRef(actor) };
    this.broadcast(chat.participants.keys(), 'addChatParticipant', () => payload, exclude);
    this.systemEnvelope(chat, actor, 1, { userId: this.userId(login), role: 'user' });
  }

  private opRemoveParticipant(chat: ChatRec, login: string, actor: string, exclude: Conn | null): void {
    const members = [...chat.participants.keys()];
    const payload = { timestamp: Date.now(), chatId: chat.chatId, userId: this.userId(login), removedBy: this.authorRef(actor) };
    this.systemEnvelope(chat, actor, 2, { userId: this.userId(login) });
    chat.participants.delete(login);
    for (const conn of this.sessionsOf(login)) {
      for (const fileId of conn.subscriptions) {
        const file = this.world.files.get(fileId);
        if (file && !this.world.fileVisibleTo(file, login)) {
          conn.subscriptions.delete(fileId);
        }
      }
    }
    this.broadcast(members, 'removeChatParticipant', () => payload, exclude);
  }

  private opChangeRole(chat: ChatRec, login: string, role: ParticipantRole, exclude: Conn | null): void {
    if (!chat.participants.has(login)) {
      throw new Error(`${login} is not in chat ${chat.chatId}`);
    }
    chat.participants.set(login, role);
    const payload = { timestamp: Date.now(), chatId: chat.chatId, userId: this.userId(login), role };
    this.broadcast(chat.participants.keys(), 'changeParticipantRole', () => payload, exclude);
    this.systemEnvelope(chat, this.firstOwner(chat.chatId), 110, { userId: this.userId(login), role });
  }

  private opEditMessage(msg: MessageRec, content: { text: string; parseMode: ParseMode }, exclude: Conn | null): void {
    msg.content = { ...content };
    msg.isEdited = true;
    const chat = this.world.chats.get(msg.chatId);
    if (!chat) {
      return;
    }
    const payload = { timestamp: Date.now(), chatId: msg.chatId, messageId: msg.messageId, content: { ...content } };
    this.broadcast(chat.participants.keys(), 'editMessage', () => payload, exclude);
  }

  private opRemoveMessage(msg: MessageRec, actor: string, exclude: Conn | null): void {
    const chat = this.world.chats.get(msg.chatId);
    if (!chat) {
      return;
    }
    chat.messages = chat.messages.filter((m) => m !== msg);
    this.world.messages.delete(msg.messageId);
    const payload = { chatId: msg.chatId, messageId: msg.messageId, removedBy: this.authorRef(actor) };
    this.broadcast(chat.participants.keys(), 'removeMessage', () => payload, exclude);
  }

  private opClearHistory(chat: ChatRec, actor: string, forAll: boolean, exclude: Conn | null): void {
    if (forAll) {
      for (const m of chat.messages) {
        this.world.messages.delete(m.messageId);
      }
      chat.messages = [];
      this.broadcast(chat.participants.keys(), 'clearHistory', () => ({ chatId: chat.chatId, forAll: true }), exclude);
      this.systemEnvelope(chat, actor, 23, { forAll: true });
    } else {
      chat.clearedUpTo.set(actor, chat.nextBoxId - 1);
      this.broadcast([actor], 'clearHistory', () => ({ chatId: chat.chatId, forAll: false }), exclude);
    }
  }

  private opEditTitle(chat: ChatRec, actor: string, title: string, exclude: Conn | null): void {
    chat.title = title;
    this.broadcast(chat.participants.keys(), 'editChatTitle', () => ({ chatId: chat.chatId, title }), exclude);
    this.systemEnvelope(chat, actor, 21, { title });
  }

  private opEditAvatar(chat: ChatRec, actor: string, avatarUrl: string | null, exclude: Conn | null): void {
    chat.avatarUrl = avatarUrl;
    this.broadcast(chat.participants.keys(), 'editChatAvatar', () => ({ chatId: chat.chatId, avatarUrl }), exclude);
    this.systemEnvelope(chat, actor, 22, { avatarUrl });
  }

  // ---------------------------------------------------------------- file progress

  /**
   * Bytes of a file "sent by another user" arrive in ten steps over `uploadMs`
   * (protocol.md §4.6, §7 item 20). The final event has progress == size; readyState
   * flips to 2 at that moment, or `readyLagMs` later.
   */
  private simulateUpload(file: FileRec, uploadMs: number): void {
    const steps = 10;
    const step = (i: number): void => {
      if (file.readyState !== 1) {
        return;
      }
      file.progress = i >= steps ? file.size : Math.floor((file.size * i) / steps);
      const final = i >= steps;
      const lag = this.options.readyLagMs ?? 0;
      if (final && lag <= 0) {
        this.markReady(file);
      }
      this.emitProgress(file);
      if (final) {
        if (lag > 0) {
          this.schedule(() => this.markReady(file), lag);
        }
      } else {
        this.schedule(() => step(i + 1), uploadMs / steps);
      }
    };
    this.schedule(() => step(1), uploadMs / steps);
  }

  private markReady(file: FileRec): void {
    if (file.readyState === 0) {
      return;
    }
    file.readyState = 2;
    file.progress = file.size;
    file.markReady();
  }

  private emitProgress(file: FileRec): void {
    for (const conn of this.authedConns()) {
      if (conn.subscriptions.has(file.fileId)) {
        this.notify(conn, this.progressMethod(), { fileId: file.fileId, progress: file.progress });
      }
    }
  }
}

function errorPayload(code: number, description: string): Obj {
  return { errorCode: code, errorDescription: description };
}

/** The part's Content-Type, unless missing or generic; `sticker/webp` is stored as image/webp. */
function mimeFromPart(contentType: string | undefined, name: string): string {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (base === 'sticker/webp') {
    return 'image/webp';
  }
  if (!base || base === 'application/octet-stream') {
    return guessMimeType(name);
  }
  return base;
}

/**
 * A single `bytes=` range (RFC 9110 §14.1.2): start-end, start-, or -suffix. Returns
 * null for no usable Range header (answer the whole file) and 'unsatisfiable' for 416.
 */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) {
    return null;
  }
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) {
      return 'unsatisfiable';
    }
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) {
    return 'unsatisfiable';
  }
  return { start, end };
}
