/**
 * Public types of the fake TrueConf server (see server.ts for the class itself).
 */

/**
 * Which of the two documented wire shapes the server emits (protocol.md §0):
 * - `seed`: file message envelope `type: 2`, progress event `uploadingProgress`,
 *   `getFileInfo` id field `infoHash`, no `readyState` in file envelopes.
 * - `live`: envelope `type: 202`, `uploadFileProgress`, `fileId`, `readyState` present.
 */
export type Dialect = 'seed' | 'live';

export interface FakeUser {
  login: string;
  password: string;
  displayName: string;
}

export interface UploadLimits {
  /** Bytes, or null for no limit. */
  maxSize: number | null;
  extensions: { mode: 'allow' | 'block'; list: string[] } | null;
}

export type TokenEndpointMode = 'ok' | 'hang' | 'error500' | 'disabled403' | 'drop';

export interface FakeServerOptions {
  /** Default 0 (a random free port). The server always binds 127.0.0.1. */
  port?: number;
  /** Default 'trueconf.test'; user ids are `${login}@${domain}`. */
  domain?: string;
  /** Default 'live'. May be changed at runtime. */
  dialect?: Dialect;
  /** Default: alice/alice-pass "Alice Anders", bob/bob-pass "Bob Brown", carol/carol-pass "Carol Chen". */
  users?: FakeUser[];
  /** Serve HTTPS/WSS instead of HTTP/WS. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Lifetime of minted tokens. Default 3600. */
  tokenTtlSeconds?: number;
  /** `getChats` payload: a bare array (default) or `{chats: [...]}` (protocol.md §4.2). */
  chatsShape?: 'array' | 'object';
  /** Default false: success payloads carry `errorCode: 0` (protocol.md §3.3). */
  omitErrorCodeOnSuccess?: boolean;
  /** Default true (server 5.5.3+): `uploadFile` without `fileName` → 399. */
  requireFileName?: boolean;
  /** Default 128 (protocol.md §6.2): the next WebSocket upgrade is answered HTTP 503. */
  maxConnections?: number;
  /** Default `{maxSize: null, extensions: null}` (no limits). Change at runtime with setUploadLimits(). */
  uploadLimits?: UploadLimits | null;
  /** If set (`host:port`), downloadUrl names this host instead of the real one. */
  downloadHost?: string;
  /** Push the first progress event before the `subscribeFileProgress` answer (protocol.md §4.6). */
  progressBeforeSubscribeAnswer?: boolean;
  /** `getFileInfo` keeps readyState 1 this long after the final progress event. Default 0. */
  readyLagMs?: number;
  /** Where file bytes live. Default: a fresh directory under os.tmpdir(), removed on stop(). */
  storageDir?: string;
  /**
   * Text longer than 4096 visible characters: 'error' (default) → 399, or 'truncate'
   * (what OC's README claims the real server does; protocol.md §4.3 — unverified).
   */
  overlongText?: 'error' | 'truncate';
  /**
   * `getChatHistory` with `fromMessageId`: include the anchor message (default true,
   * which is what [H] observed on a live server) or start just before it.
   */
  historyIncludesAnchor?: boolean;
}

/**
 * A chat message: the envelope as it goes out on the wire (protocol.md §4.8), rendered
 * for its author, plus where a file message's bytes are stored.
 */
export interface StoredMessage {
  messageId: string;
  chatId: string;
  timestamp: number;
  author: { id: string; type: 0 | 1 };
  box: { id: number; position: string };
  type: number;
  isEdited: boolean;
  replyMessageId?: string | null;
  content: Record<string, unknown>;
  chat?: { chatId: string; chatTitle: string | null; chatType: number };
  fileBytesPath?: string;
}

export interface RequestLogEntry {
  socketId: number;
  login?: string;
  method: string;
  id: unknown;
  payload: unknown;
  at: number;
}

export interface NotificationLogEntry {
  socketId: number;
  id: number;
  method: string;
  payload: unknown;
}

export interface HttpLogEntry {
  method: string;
  /** Path without the query string (download tokens stay out of test output). */
  path: string;
  /** The raw query string without '?', '' when none. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** Final status; 0 while the response is pending or when the connection died before one. */
  status: number;
  at: number;
}

export interface UploadLogEntry {
  taskId: string | null;
  headers: Record<string, string | string[] | undefined>;
  /** filename of the `file` part (as sent in the multipart headers). */
  fileName?: string;
  /** Content-Type of the `file` part. */
  contentType?: string;
  /** Bytes received in the `file` part. */
  bytes: number;
  /** Where the `file` part is stored (removed again when the upload failed). */
  path?: string;
  preview?: { fileName?: string; contentType?: string; bytes: number };
  /** HTTP status answered; 0 when the connection died mid-body. */
  status: number;
  temporalFileId?: string;
  error?: string;
}

export interface DownloadLogEntry {
  fileId: string;
  preview: boolean;
  method: string;
  status: number;
  range?: string;
  /** Body bytes the server attempted to send. */
  bytes: number;
}

export interface TokenLogEntry {
  username: string;
  ok: boolean;
}

export interface ServerLog {
  requests: RequestLogEntry[];
  acks: Array<{ socketId: number; id: number }>;
  notifications: NotificationLogEntry[];
  http: HttpLogEntry[];
  tokenRequests: TokenLogEntry[];
  uploads: UploadLogEntry[];
  downloads: DownloadLogEntry[];
}

/** Options for the test API's sendFile() (a file sent "by another user"). */
export interface InjectFileOptions {
  name: string;
  /** The bytes, or a path on disk (the file is served from there and must stay until stop()). */
  data: Buffer | string;
  mimeType?: string;
  /** 0 = ready at once; > 0 = envelope first with readyState 1, bytes "arrive" over this many ms. */
  uploadMs?: number;
  /** readyState 0 (NOT_AVAILABLE) forever. */
  notAvailable?: boolean;
  timestamp?: number;
  /** Attach a preview (shown by getFileInfo.previews). */
  preview?: { name: string; data: Buffer; mimeType?: string };
  replyMessageId?: string;
}

export type ChatType = 1 | 2 | 5 | 6;
export type ParticipantRole = 'owner' | 'admin' | 'user' | 'writer' | 'favorites_owner';
