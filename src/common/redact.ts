/**
 * Scrubbing of secrets from anything that may be logged or shown.
 *
 * - URLs lose their query and fragment (download URLs carry a credential in the query).
 * - JSON-ish `"token"`, `"password"`, `"access_token"` values are masked.
 * - JWT-shaped strings are masked wherever they appear.
 * - Registered secrets (the password, the current token) are masked literally.
 */
const JWT_RE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const URL_QUERY_RE = /\b(https?|wss?):\/\/[^\s"'<>]+/gi;
const SECRET_FIELD_RE = /("?(?:access_token|token|password|secret|authorization)"?\s*[:=]\s*)("[^"]*"|[^\s,}&]+)/gi;

export const MASK = '***';

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remember a literal secret (password, token) so it is masked wherever it shows up. */
  addSecret(secret: string | undefined): void {
    if (secret && secret.length >= 3) {
      this.secrets.add(secret);
    }
  }

  removeSecret(secret: string | undefined): void {
    if (secret) {
      this.secrets.delete(secret);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      out = out.split(s).join(MASK);
    }
    return redactPatterns(out);
  }
}

export function redactPatterns(text: string): string {
  return text
    .replace(JWT_RE, MASK)
    .replace(URL_QUERY_RE, (url) => redactUrl(url))
    .replace(SECRET_FIELD_RE, (_m, key: string) => `${key}${MASK}`);
}

/** `https://host/path?token=abc#x` → `https://host/path?***`. Unparseable input is cut at `?`. */
export function redactUrl(url: string): string {
  const q = url.search(/[?#]/);
  if (q < 0) {
    return url;
  }
  return `${url.slice(0, q)}?${MASK}`;
}
