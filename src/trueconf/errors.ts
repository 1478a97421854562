/**
 * Typed errors of the TrueConf client. Every error carries a `kind` the extension maps to a
 * message that says what happened and what to do; `message` itself is already readable and
 * never contains a password, a token or a download URL's query.
 */
export type TrueConfErrorKind =
  | 'wrongCredentials' // token endpoint 401 / invalid_grant, auth errorCode 201
  | 'passwordSignInDisabled' // token endpoint 403 auth_method_disabled
  | 'userDisabled' // errorCode 202
  | 'tokenExpired' // errorCode 203
  | 'unreachable' // DNS, connection refused, reset, socket dropped
  | 'notTrueConf' // the address answers, but not as a TrueConf Server (404 on the token path, HTML, no upgrade)
  | 'certificate' // TLS verification failed (self-signed, unknown CA, wrong host)
  | 'timeout' // no answer within the request timeout
  | 'connectionLimit' // the server refused the WebSocket: too many connections
  | 'api' // any other errorCode from the server
  | 'uploadRejected' // the HTTP upload was refused, or errorCode 310
  | 'limit' // a client-side check of the server's limits failed (size, extension, text length)
  | 'fileNotReady' // errorCode 311, or readyState 0 / never became ready
  | 'download' // the download failed (status, HTML instead of bytes, short body, over the cap)
  | 'protocol' // the server sent something that does not follow the protocol
  | 'cancelled' // the caller aborted
  | 'closed'; // the client was closed / signed out

export class TrueConfError extends Error {
  constructor(
    readonly kind: TrueConfErrorKind,
    message: string,
    readonly details: { code?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'TrueConfError';
  }

  /** Errors worth retrying after a reconnect (the request may never have reached the server). */
  get isTransient(): boolean {
    return this.kind === 'unreachable' || this.kind === 'timeout' || this.kind === 'closed';
  }
}

/** errorCode values from the protocol (protocol.md §3.3). */
export const ErrorCode = {
  DuplicateId: 2,
  ConnectionError: 100,
  ConnectionTimeout: 101,
  TlsError: 102,
  UnsupportedProtocol: 103,
  RouteNotFound: 104,
  NotAuthorized: 200,
  InvalidCredentials: 201,
  UserDisabled: 202,
  CredentialsExpired: 203,
  UnsupportedCredentials: 204,
  InternalServerError: 300,
  OperationTimeout: 301,
  AccessDenied: 302,
  NotEnoughRights: 303,
  ChatNotFound: 304,
  NotAChatParticipant: 305,
  MessageNotFound: 306,
  UnknownMessage: 307,
  FileNotFound: 308,
  UserAlreadyInChat: 309,
  FileUploadFailed: 310,
  FileNotReady: 311,
  RoleNotFound: 312,
  WrongPayload: 399,
} as const;

const CODE_MEANINGS: Record<number, string> = {
  2: 'duplicate request id',
  100: 'connection error',
  101: 'connection timeout',
  102: 'TLS/SSL error',
  103: 'unsupported protocol',
  104: 'route not found',
  200: 'not authorized',
  201: 'invalid credentials',
  202: 'user disabled',
  203: 'credentials expired',
  204: 'unsupported credentials',
  300: 'internal server error',
  301: 'operation timeout',
  302: 'access denied',
  303: 'not enough rights',
  304: 'chat not found',
  305: 'you are not a participant of this chat',
  306: 'message not found',
  307: 'unknown request',
  308: 'file not found',
  309: 'user already in chat',
  310: 'file upload failed',
  311: 'file not ready',
  312: 'role not found',
  399: 'wrong payload',
};

export function describeErrorCode(code: number): string {
  return CODE_MEANINGS[code] ?? `error ${code}`;
}

/** Map a non-zero errorCode in a response to a typed error. */
export function apiError(method: string, code: number, description?: string): TrueConfError {
  const meaning = describeErrorCode(code);
  const text = description && description.trim() && description.trim() !== meaning ? `${meaning}: ${description.trim()}` : meaning;
  const message = `${method} failed: ${text} (code ${code})`;
  switch (code) {
    case ErrorCode.InvalidCredentials:
      return new TrueConfError('wrongCredentials', message, { code });
    case ErrorCode.UserDisabled:
      return new TrueConfError('userDisabled', message, { code });
    case ErrorCode.CredentialsExpired:
      return new TrueConfError('tokenExpired', message, { code });
    case ErrorCode.FileUploadFailed:
      return new TrueConfError('uploadRejected', message, { code });
    case ErrorCode.FileNotReady:
      return new TrueConfError('fileNotReady', message, { code });
    default:
      return new TrueConfError('api', message, { code });
  }
}

export function isTrueConfError(err: unknown, kind?: TrueConfErrorKind): err is TrueConfError {
  return err instanceof TrueConfError && (kind === undefined || err.kind === kind);
}

export function cancelledError(reason?: unknown): TrueConfError {
  if (reason instanceof TrueConfError) {
    return reason;
  }
  return new TrueConfError('cancelled', 'Cancelled', { cause: reason });
}
