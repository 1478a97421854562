/**
 * The password grant that turns a user name and password into the JWT the WebSocket `auth`
 * request needs (protocol.md §1.2). Neither the password nor the token ever appears in an
 * error message: server-provided descriptions are scrubbed of the password before use.
 */
import type { Readable } from 'node:stream';
import { Redactor } from '../common/redact';
import type { ServerEndpoints } from './endpoints';
import { TrueConfError } from './errors';
import { HttpTransport, toNetworkError } from './http';
import { notTrueConfError } from './server-errors';

export interface TokenInfo {
  accessToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** OC's OAuth timeout (protocol.md §6.3). */
export const TOKEN_TIMEOUT_MS = 15_000;
/** A token answer is a few hundred bytes; anything much larger is a web page, not the bridge. */
const MAX_ANSWER_BYTES = 64 * 1024;
const JWT_RE = /^[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*$/;

type JsonObject = Record<string, unknown>;

export async function fetchToken(
  http: HttpTransport,
  endpoints: ServerEndpoints,
  username: string,
  password: string,
  signal?: AbortSignal,
  timeoutMs: number = TOKEN_TIMEOUT_MS,
): Promise<TokenInfo> {
  // [Py] stringifies both fields: a numeric password once caused a 400 (protocol.md §1.2).
  const body = JSON.stringify({ client_id: 'chat_bot', grant_type: 'password', username: String(username), password: String(password) });
  const res = await http.request(endpoints.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
    signal,
    headersTimeoutMs: timeoutMs,
    bodyTimeoutMs: timeoutMs,
  });
  let text: string;
  try {
    text = await readCapped(res.body, MAX_ANSWER_BYTES);
  } catch (err) {
    throw toNetworkError(err, endpoints.tokenUrl, signal);
  }
  const answer = parseJsonObject(text, res.headers['content-type']);
  if (res.status >= 200 && res.status < 300) {
    if (!answer) {
      throw notTrueConfError(endpoints.host, res.status);
    }
    return parseTokenAnswer(answer, endpoints.host, Date.now());
  }
  throw tokenRequestError(res.status, answer, endpoints.host, password);
}

/** The `exp` claim of a JWT in milliseconds since the epoch, or undefined if there is none. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = isObject(claims) ? positiveNumber(claims.exp) : undefined;
    return exp === undefined ? undefined : exp * 1000;
  } catch {
    return undefined;
  }
}

/** True when the token has expired or will within `skewMs` (clocks differ; requests take time). */
export function isTokenExpired(info: TokenInfo, now: number = Date.now(), skewMs = 60_000): boolean {
  return info.expiresAt - skewMs <= now;
}

/**
 * Servers disagree on the expiry field (protocol.md §1.2): `expires_at` (absolute seconds, OC),
 * `expires_in` (relative seconds, the docs), or only the JWT's own `exp` claim.
 */
function parseTokenAnswer(answer: JsonObject, host: string, now: number): TokenInfo {
  const accessToken = answer.access_token;
  if (typeof accessToken !== 'string' || !JWT_RE.test(accessToken)) {
    throw new TrueConfError('protocol', `${host} sent a sign-in token that is not a JWT.`);
  }
  const expiresAtSeconds = positiveNumber(answer.expires_at);
  const expiresInSeconds = positiveNumber(answer.expires_in);
  const expiresAt =
    expiresAtSeconds !== undefined
      ? expiresAtSeconds * 1000
      : expiresInSeconds !== undefined
        ? now + expiresInSeconds * 1000
        : jwtExpiry(accessToken);
  if (expiresAt === undefined) {
    throw new TrueConfError('protocol', `${host} sent a sign-in token without an expiry time.`);
  }
  return { accessToken, expiresAt };
}

function tokenRequestError(status: number, answer: JsonObject | undefined, host: string, password: string): TrueConfError {
  const oauthError = typeof answer?.error === 'string' ? answer.error : undefined;
  if (status === 401 || oauthError === 'invalid_grant') {
    return new TrueConfError('wrongCredentials', 'Wrong user name or password.', { status });
  }
  if (status === 403 && oauthError === 'auth_method_disabled') {
    return new TrueConfError(
      'passwordSignInDisabled',
      'Password sign-in is disabled on this server. Ask your TrueConf administrator to allow it for chatbot clients.',
      { status },
    );
  }
  if (status >= 500) {
    return new TrueConfError('api', `${host} could not issue a sign-in token (HTTP ${status}). Try again later.`, { status });
  }
  if (status === 404 || !answer) {
    return notTrueConfError(host, status);
  }
  const description = serverDescription(answer, password);
  return new TrueConfError('api', `${host} refused the sign-in request (HTTP ${status}${description ? `: ${description}` : ''}).`, { status });
}

/** The server's own words, without the password should it ever echo it. */
function serverDescription(answer: JsonObject, password: string): string | undefined {
  const raw = answer.error_description ?? answer.error;
  if (typeof raw !== 'string' || !raw.trim()) {
    return undefined;
  }
  const redactor = new Redactor();
  redactor.addSecret(password);
  return redactor.redact(raw.trim()).slice(0, 200);
}

/** The body as JSON if it is a JSON object; undefined for HTML pages and anything else. */
function parseJsonObject(text: string, contentType: string | string[] | undefined): JsonObject | undefined {
  if (String(contentType ?? '').includes('html') || text.trimStart().startsWith('<')) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function readCapped(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(buf);
    total += buf.length;
    if (total > maxBytes) {
      break; // leaving the loop destroys the stream
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function positiveNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
