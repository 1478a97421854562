/**
 * Message text rules of the Chatbot Connector (protocol.md §4.3): parse modes, the
 * HTML subset the server keeps, and the 4096-visible-character limit. Plus a small
 * extension → MIME type table for files whose upload carried no useful Content-Type.
 */
import { extname } from 'node:path';

export type ParseMode = 'text' | 'markdown' | 'html';
export const PARSE_MODES: readonly ParseMode[] = ['text', 'markdown', 'html'];
export const MAX_VISIBLE_CHARS = 4096;

const ALLOWED_TAGS = new Set(['b', 'i', 's', 'u', 'a']);
/** Link schemes that survive sanitizing; anything else leaves an empty href (protocol.md §4.3, [H]). */
const SAFE_SCHEME = /^(https?|mailto|trueconf):/i;

export type SanitizeResult = { ok: true; html: string } | { ok: false; reason: string };

/**
 * Keep `<b> <i> <s> <u> <a href>`, drop every other tag (keeping its text) and every
 * attribute except `href` on `<a>`. An `<a>` whose href is missing or has an unsupported
 * scheme ends up with an empty href, which the real server rejects with 399.
 */
export function sanitizeHtml(input: string): SanitizeResult {
  let failure: string | null = null;
  const html = input.replace(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b([^<>]*)>/g, (_m, slash: string, rawName: string, attrs: string) => {
    const name = rawName.toLowerCase();
    if (!ALLOWED_TAGS.has(name)) {
      return '';
    }
    if (slash || name !== 'a') {
      return `<${slash}${name}>`;
    }
    const m = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attrs);
    const href = decodeEntities((m?.[1] ?? m?.[2] ?? m?.[3] ?? '').trim());
    if (!SAFE_SCHEME.test(href)) {
      failure ??= `A link has an unsupported or empty href ("${href.slice(0, 60)}")`;
      return '<a href="">';
    }
    return `<a href="${href.replace(/"/g, '&quot;')}">`;
  });
  return failure === null ? { ok: true, html } : { ok: false, reason: failure };
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi, (_m, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) {
      return safeCodePoint(parseInt(lower.slice(2), 16));
    }
    if (lower.startsWith('#')) {
      return safeCodePoint(parseInt(lower.slice(1), 10));
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' } as Record<string, string>)[lower];
  });
}

function safeCodePoint(n: number): string {
  return Number.isFinite(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '\ufffd';
}

/**
 * Visible length in code points after removing markup, counting a link as
 * `label + " " + href` — the way [Py] measures it (protocol.md §4.3).
 */
export function visibleLength(text: string, mode: ParseMode): number {
  let visible = text;
  if (mode === 'html') {
    visible = text
      .replace(/<a\b[^<>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))[^<>]*>([\s\S]*?)<\/a>/gi,
        (_m, a?: string, b?: string, c?: string, label?: string) => `${label ?? ''} ${a ?? b ?? c ?? ''}`)
      .replace(/<\/?[a-zA-Z][^<>]*>/g, '');
    visible = decodeEntities(visible);
  } else if (mode === 'markdown') {
    visible = text
      .replace(/\[([^\]]*)\]\(([^)\s]*)\)/g, '$1 $2')
      .replace(/(\*\*|__|~~)(.+?)\1/g, '$2')
      .replace(/(\*|_)(\S(?:[\s\S]*?\S)?)\1/g, '$2');
  }
  return [...visible].length;
}

/** The first `max` code points of `text`. */
export function truncateCodePoints(text: string, max: number): string {
  const out: string[] = [];
  for (const ch of text) {
    if (out.length >= max) {
      break;
    }
    out.push(ch);
  }
  return out.join('');
}

const MIME_BY_EXT: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.ts': 'video/mp2t', // as in mime-db: clients must not judge text vs binary by MIME alone
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.html': 'text/html',
  '.css': 'text/css',
  '.csv': 'text/csv',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.mp4': 'video/mp4',
  '.mp3': 'audio/mpeg',
};

/** Guess a MIME type from a file name; `application/octet-stream` when unknown. */
export function guessMimeType(name: string): string {
  return MIME_BY_EXT[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** Lower-case extension without the dot ('' when none), for upload-limit checks. */
export function extensionOf(name: string): string {
  return extname(name).slice(1).toLowerCase();
}
