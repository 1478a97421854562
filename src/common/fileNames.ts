/**
 * File names that come from other people (chat attachments) are hostile input: they may name
 * a path (`../../x`, `/etc/passwd`, `C:\x`), a Windows device (`CON`, `nul.txt`), carry control
 * or bidirectional-override characters, or be too long for the file system. Everything that
 * writes such a file to disk goes through `sanitiseFileName`, and then `resolveInside` checks
 * that the final path really is inside the directory it was meant for.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** The most UTF-8 bytes a sanitised name keeps: below every common file system's 255-byte limit. */
export const MAX_FILE_NAME_BYTES = 200;
/** An extension longer than this is not kept whole when a long name is shortened. */
const MAX_KEPT_EXTENSION_BYTES = 24;

// C0 and C1 control characters, DEL.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;
// Characters Windows refuses in names (the separators are handled before this).
const RESERVED_CHARS = /[<>:"|?*]/g;
// Bidirectional overrides and isolates (a name can pose as `photo.png` while ending in `.exe`),
// zero-width characters and the byte-order mark.
const INVISIBLE_CHARS = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
// Device names Windows reserves with any extension: `con`, `nul.txt`, `com1.tar.gz`, `lpt¹`.
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

/**
 * A name that is safe to create inside a directory on Windows, macOS and Linux, and still looks
 * like what the sender meant: directories in the name are dropped (the last segment is kept),
 * unsafe characters become `_`, trailing dots and spaces go, device names get a `_` prefix and
 * long names are shortened keeping their extension. Returns `fallback` when nothing usable is left.
 */
export function sanitiseFileName(name: unknown, fallback = 'file'): string {
  if (typeof name !== 'string') {
    return fallback;
  }
  const segments = name.normalize('NFC').split(/[/\\]+/).filter((s) => s.length > 0);
  let result = (segments.at(-1) ?? '')
    .replace(INVISIBLE_CHARS, '')
    .replace(CONTROL_CHARS, '_')
    .replace(RESERVED_CHARS, '_')
    .trim()
    .replace(/[. ]+$/, '');
  if (/^\.*$/.test(result)) {
    return fallback;
  }
  if (WINDOWS_DEVICE.test(result)) {
    result = `_${result}`;
  }
  return truncateName(result, MAX_FILE_NAME_BYTES);
}

/** Shorten to at most `maxBytes` UTF-8 bytes, cutting between code points and keeping a short extension. */
export function truncateName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) {
    return name;
  }
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot) : '';
  const keep = Buffer.byteLength(extension) <= MAX_KEPT_EXTENSION_BYTES ? extension : '';
  const stem = keep ? name.slice(0, dot) : name;
  const budget = maxBytes - Buffer.byteLength(keep);
  let out = '';
  let used = 0;
  for (const ch of stem) {
    const size = Buffer.byteLength(ch);
    if (used + size > budget) {
      break;
    }
    out += ch;
    used += size;
  }
  return out.replace(/[. ]+$/, '') + keep;
}

/** True when `candidate` is strictly inside `dir` once both are resolved (not `dir` itself, not a sibling). */
export function isPathInside(dir: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(dir), path.resolve(candidate));
  return relative.length > 0 && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
}

export class UnsafePathError extends Error {
  constructor(readonly dir: string, readonly name: string) {
    super(`Refusing to use "${name}": it would leave ${dir}.`);
    this.name = 'UnsafePathError';
  }
}

/** Join already-sanitised segments onto `dir`; throws UnsafePathError unless the result stays inside `dir`. */
export function resolveInside(dir: string, ...segments: string[]): string {
  const target = path.resolve(dir, ...segments);
  if (!isPathInside(dir, target)) {
    throw new UnsafePathError(dir, segments.join('/'));
  }
  return target;
}

/**
 * A directory name for an opaque server id. Ids that are plain tokens (hex, UUIDs) are used as
 * they are, so the cache is easy to inspect; anything else is hashed, so two different hostile
 * ids can never share a directory the way two sanitised names could.
 */
export function idToDirectoryName(id: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(id) && !WINDOWS_DEVICE.test(id)) {
    return id;
  }
  return `id-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}
