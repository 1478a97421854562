/**
 * The server's file upload limits (protocol.md §4.6 getFileUploadLimits): a maximum size and an
 * allow- or block-list of extensions, both set by the server's administrator. Checking them before
 * the upload starts saves sending bytes the server would refuse, and names the rule that applies.
 */
import { TrueConfError } from './errors';
import type { UploadLimits } from './types';
import { asObject, protocolError, readOptionalNumber } from './validate';

/** Limits that allow everything: what servers older than 5.5.3 (no getFileUploadLimits) enforce client-side. */
export const NO_UPLOAD_LIMITS: UploadLimits = Object.freeze({ maxSize: null, extensions: null });

const CONTEXT = 'getFileUploadLimits';

/**
 * Normalise the server's limits. Extensions lose a leading dot and are lower-cased; a missing,
 * null or non-positive `maxSize` and a missing, null or empty extension list mean "no limit".
 * Throws TrueConfError('protocol') when fields have the wrong types.
 */
export function normaliseUploadLimits(payload: unknown): UploadLimits {
  const obj = asObject(payload, CONTEXT);
  const maxSize = readOptionalNumber(obj, 'maxSize', CONTEXT);
  return {
    maxSize: maxSize !== undefined && maxSize > 0 ? maxSize : null,
    extensions: normaliseExtensionRule(obj.extensions),
  };
}

function normaliseExtensionRule(value: unknown): UploadLimits['extensions'] {
  if (value === undefined || value === null) {
    return null;
  }
  const rule = asObject(value, CONTEXT, '"extensions"');
  if (rule.mode !== 'allow' && rule.mode !== 'block') {
    throw protocolError(CONTEXT, '"extensions.mode" should be "allow" or "block"');
  }
  if (!Array.isArray(rule.list) || !rule.list.every((e) => typeof e === 'string')) {
    throw protocolError(CONTEXT, '"extensions.list" should be a list of strings');
  }
  const list = [...new Set((rule.list as string[]).map(normaliseExtension).filter((e) => e.length > 0))];
  return list.length > 0 ? { mode: rule.mode, list } : null;
}

/** `.PNG` → `png`; `tar.gz` stays `tar.gz`. */
function normaliseExtension(extension: string): string {
  return extension.trim().replace(/^\.+/, '').toLowerCase();
}

/**
 * Throw TrueConfError('limit') when the server would refuse this file, with a message that
 * names the rule. Extensions are matched as name suffixes, so a rule for `tar.gz` works too.
 */
export function checkUpload(limits: UploadLimits, fileName: string, size: number): void {
  if (limits.maxSize !== null && size > limits.maxSize) {
    throw new TrueConfError('limit', describeTooLarge(fileName, size, limits.maxSize));
  }
  const rule = limits.extensions;
  if (rule === null) {
    return;
  }
  const lowerName = fileName.toLowerCase();
  const matched = rule.list.find((ext) => lowerName.endsWith(`.${ext}`));
  if (rule.mode === 'block' && matched !== undefined) {
    throw new TrueConfError('limit', `This server does not accept .${matched} files.`);
  }
  if (rule.mode === 'allow' && matched === undefined) {
    throw new TrueConfError('limit', `This server accepts only ${rule.list.map((e) => `.${e}`).join(', ')} files.`);
  }
}

function describeTooLarge(fileName: string, size: number, maxSize: number): string {
  let sizeText = formatBytes(size);
  let maxText = formatBytes(maxSize);
  if (sizeText === maxText) {
    // Rounding made them look equal ("100 MB; … up to 100 MB"): show the exact counts.
    sizeText = formatExactBytes(size);
    maxText = formatExactBytes(maxSize);
  }
  return `"${fileName}" is ${sizeText}; this server accepts files up to ${maxText}.`;
}

const UNITS = ['KB', 'MB', 'GB', 'TB'];

/** A size for people: `512 bytes`, `1.5 KB`, `100 MB`, `2.1 GB` (binary multiples, one decimal). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return formatExactBytes(bytes);
  }
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = Math.round(value * 10) / 10;
  // 1023.96 KB rounds to "1024 KB"; say "1 MB" instead.
  if (rounded >= 1024 && unit < UNITS.length - 1) {
    return `1 ${UNITS[unit + 1]}`;
  }
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${UNITS[unit]}`;
}

function formatExactBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}`;
}
