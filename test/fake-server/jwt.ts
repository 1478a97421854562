/**
 * Minimal HS256 JSON Web Tokens with node:crypto (RFC 7519 / RFC 7515 compact form).
 *
 * The fake server mints real three-part tokens because clients decode the payload
 * locally and check `exp` (protocol.md §1.2: [Py] refuses a token whose `exp` is in
 * the past or that contains whitespace).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface JwtClaims {
  /** Subject: the TrueConf id `login@domain`. */
  sub: string;
  /** Issued at, Unix seconds. */
  iat: number;
  /** Expiry, Unix seconds. */
  exp: number;
  /** Token id; the fake server uses it to revoke tokens (`faults.expireAllTokens`). */
  jti?: string;
  [claim: string]: unknown;
}

export type JwtVerifyResult =
  | { ok: true; claims: JwtClaims }
  | { ok: false; reason: 'malformed' | 'algorithm' | 'signature' };

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

function sign(secret: Buffer | string, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

/** Mint a compact HS256 JWT. */
export function mintJwt(secret: Buffer | string, claims: JwtClaims): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signingInput = `${header}.${payload}`;
  return `${signingInput}.${base64url(sign(secret, signingInput))}`;
}

/** Decode the payload without checking the signature (what clients do to read `exp`). */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return null;
  }
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Check structure, algorithm and signature. Expiry is NOT checked here: the server
 * answers an expired token with a different error code (203) than a forged one (201).
 */
export function verifyJwt(secret: Buffer | string, token: string): JwtVerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    return { ok: false, reason: 'malformed' };
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (header === null || typeof header !== 'object' || (header as { alg?: unknown }).alg !== 'HS256') {
    return { ok: false, reason: 'algorithm' };
  }
  const expected = sign(secret, `${parts[0]}.${parts[1]}`);
  const actual = Buffer.from(parts[2], 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: 'signature' };
  }
  const payload = decodeJwtPayload(token);
  if (
    payload === null ||
    typeof payload.sub !== 'string' ||
    typeof payload.exp !== 'number' ||
    typeof payload.iat !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  return { ok: true, claims: payload as JwtClaims };
}
