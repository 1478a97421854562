/**
 * Pure rules behind "send to a chat": what a sent file is called, how a selection becomes a
 * file or a message, and in which order the chat picker lists chats. No `vscode` here: the
 * commands hand in plain ranges, texts and chat records, and the unit tests do the same.
 */
import { sanitiseFileName } from './fileNames';

// ---------------------------------------------------------------------------------------------
// Languages

/** VS Code language id → the file extension a file in that language usually has (no dot). */
const LANGUAGE_EXTENSIONS: Readonly<Record<string, string>> = {
  bat: 'bat',
  c: 'c',
  clojure: 'clj',
  coffeescript: 'coffee',
  cpp: 'cpp',
  csharp: 'cs',
  css: 'css',
  cuda: 'cu',
  dart: 'dart',
  diff: 'diff',
  dockerfile: 'dockerfile',
  elixir: 'ex',
  erlang: 'erl',
  fsharp: 'fs',
  go: 'go',
  graphql: 'graphql',
  groovy: 'groovy',
  haskell: 'hs',
  html: 'html',
  ini: 'ini',
  java: 'java',
  javascript: 'js',
  javascriptreact: 'jsx',
  json: 'json',
  jsonc: 'jsonc',
  jsonl: 'jsonl',
  julia: 'jl',
  kotlin: 'kt',
  latex: 'tex',
  less: 'less',
  lua: 'lua',
  makefile: 'mk',
  markdown: 'md',
  'objective-c': 'm',
  'objective-cpp': 'mm',
  ocaml: 'ml',
  perl: 'pl',
  php: 'php',
  plaintext: 'txt',
  powershell: 'ps1',
  properties: 'properties',
  proto: 'proto',
  python: 'py',
  r: 'r',
  razor: 'cshtml',
  ruby: 'rb',
  rust: 'rs',
  scala: 'scala',
  scss: 'scss',
  shellscript: 'sh',
  sql: 'sql',
  svelte: 'svelte',
  swift: 'swift',
  terraform: 'tf',
  toml: 'toml',
  typescript: 'ts',
  typescriptreact: 'tsx',
  vb: 'vb',
  vue: 'vue',
  xml: 'xml',
  xsl: 'xsl',
  yaml: 'yaml',
  zig: 'zig',
};

export const FALLBACK_EXTENSION = 'txt';

/** `typescript` → `ts`; an unknown language → `txt`. */
export function extensionForLanguage(languageId: string): string {
  return LANGUAGE_EXTENSIONS[languageId] ?? FALLBACK_EXTENSION;
}

/** How a language writes a one-line comment: a prefix, or an opening and closing pair. */
export interface CommentSyntax {
  start: string;
  end?: string;
}

const HASH: CommentSyntax = { start: '#' };
const SLASHES: CommentSyntax = { start: '//' };
const DASHES: CommentSyntax = { start: '--' };
const BLOCK: CommentSyntax = { start: '/*', end: '*/' };
const MARKUP: CommentSyntax = { start: '<!--', end: '-->' };

const COMMENT_SYNTAX: Readonly<Record<string, CommentSyntax>> = {
  c: SLASHES,
  cpp: SLASHES,
  csharp: SLASHES,
  cuda: SLASHES,
  dart: SLASHES,
  fsharp: SLASHES,
  go: SLASHES,
  groovy: SLASHES,
  java: SLASHES,
  javascript: SLASHES,
  javascriptreact: SLASHES,
  jsonc: SLASHES,
  json: SLASHES,
  kotlin: SLASHES,
  less: SLASHES,
  'objective-c': SLASHES,
  'objective-cpp': SLASHES,
  php: SLASHES,
  proto: SLASHES,
  rust: SLASHES,
  scala: SLASHES,
  scss: SLASHES,
  swift: SLASHES,
  typescript: SLASHES,
  typescriptreact: SLASHES,
  zig: SLASHES,
  css: BLOCK,
  haskell: DASHES,
  lua: DASHES,
  sql: DASHES,
  html: MARKUP,
  markdown: MARKUP,
  svelte: MARKUP,
  vue: MARKUP,
  xml: MARKUP,
  xsl: MARKUP,
  ocaml: { start: '(*', end: '*)' },
  clojure: { start: ';' },
  ini: { start: ';' },
  latex: { start: '%' },
  erlang: { start: '%' },
  bat: { start: 'REM' },
  vb: { start: "'" },
};

/** The comment syntax used for the marker lines of a multi-range selection; `#` when unknown. */
export function commentSyntaxFor(languageId: string): CommentSyntax {
  return COMMENT_SYNTAX[languageId] ?? HASH;
}

// ---------------------------------------------------------------------------------------------
// File names

/** `server.ts` → `{stem: 'server', extension: 'ts'}`; `.gitignore` and `Makefile` have no extension. */
export function splitFileName(fileName: string): { stem: string; extension: string } {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0 || dot === fileName.length - 1) {
    return { stem: fileName, extension: '' };
  }
  return { stem: fileName.slice(0, dot), extension: fileName.slice(dot + 1) };
}

/** The last segment of a slash-separated path (URI paths use `/` on every platform). */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * The name an untitled document is sent under: VS Code calls it `Untitled-1`; it goes as
 * `untitled-1.ts` for TypeScript. A name the user already gave (an untitled document with an
 * associated path, `notes.md`) keeps its extension.
 */
export function untitledFileName(name: string, languageId: string): string {
  const base = sanitiseFileName(name, 'untitled');
  if (/^untitled-\d+$/i.test(base)) {
    return `${base.toLowerCase()}.${extensionForLanguage(languageId)}`;
  }
  return splitFileName(base).extension ? base : `${base}.${extensionForLanguage(languageId)}`;
}

/** Extension → MIME type, for the types a chat client shows or opens in a particular way. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  json: 'application/json',
  xml: 'application/xml',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  csv: 'text/csv',
  md: 'text/markdown',
  txt: 'text/plain',
  log: 'text/plain',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/**
 * The MIME type a file is uploaded with. Known binary and document types get theirs; anything
 * else is `text/plain` when it is known to be text (`isText`), else `application/octet-stream`.
 */
export function mimeTypeForFileName(fileName: string, isText = false): string {
  const known = MIME_TYPES[splitFileName(fileName).extension.toLowerCase()];
  return known ?? (isText ? 'text/plain' : 'application/octet-stream');
}

/** A range of 1-based line numbers, both ends included. */
export interface LineRange {
  first: number;
  last: number;
}

/** `{10, 24}` → `10-24`; a single line → `10`. */
export function formatLineRange(range: LineRange): string {
  return range.first === range.last ? `${range.first}` : `${range.first}-${range.last}`;
}

/**
 * The file a selection is sent as: `server.ts` lines 10–24 → `server.L10-24.ts`. A name with no
 * extension borrows one from the language, so the recipient's editor still knows what it is.
 */
export function selectionFileName(fileName: string, span: LineRange, languageId: string): string {
  const { stem, extension } = splitFileName(fileName);
  return `${stem}.L${formatLineRange(span)}.${extension || extensionForLanguage(languageId)}`;
}

// ---------------------------------------------------------------------------------------------
// Selections

/** One selection as VS Code reports it: 0-based positions, `end` exclusive of its character. */
export interface SelectionSpan {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
  /** The selected text. */
  text: string;
}

/**
 * The 1-based lines a selection covers. A selection of whole lines ends at column 0 of the
 * next line; that next line is not part of it.
 */
export function selectionLines(span: Omit<SelectionSpan, 'text'>): LineRange {
  const startLine = Math.min(span.startLine, span.endLine);
  let endLine = Math.max(span.startLine, span.endLine);
  const endCharacter = span.startLine <= span.endLine ? span.endCharacter : span.startCharacter;
  if (endLine > startLine && endCharacter === 0) {
    endLine--;
  }
  return { first: startLine + 1, last: endLine + 1 };
}

/** A selection turned into what is sent. */
export interface AssembledSelection {
  /** The text to send: the selection itself, or several with a marker line before each. */
  text: string;
  /** Each non-empty selection's lines, in document order. */
  ranges: LineRange[];
  /** From the first selection's first line to the last one's last line. */
  span: LineRange;
}

/**
 * Put the selections of an editor together, in document order whatever order they were made
 * in. Empty selections (bare cursors) are left out; undefined when nothing is selected.
 * One selection is sent as is; several each get a marker line such as `// lines 10-24` in the
 * language's comment syntax, joined with `eol`.
 */
export function assembleSelection(spans: readonly SelectionSpan[], languageId: string, eol = '\n'): AssembledSelection | undefined {
  const chosen = spans
    .filter((s) => s.text.length > 0)
    .map((s) => ({ span: s, lines: selectionLines(s) }))
    .sort((a, b) => a.span.startLine - b.span.startLine || a.span.startCharacter - b.span.startCharacter);
  if (chosen.length === 0) {
    return undefined;
  }
  const ranges = chosen.map((c) => c.lines);
  const span = { first: ranges[0].first, last: Math.max(...ranges.map((r) => r.last)) };
  if (chosen.length === 1) {
    return { text: chosen[0].span.text, ranges, span };
  }
  const syntax = commentSyntaxFor(languageId);
  const blocks = chosen.map((c) => `${markerLine(c.lines, syntax)}${eol}${stripFinalEol(c.span.text)}`);
  return { text: blocks.join(eol) + eol, ranges, span };
}

/** `// lines 10-24`, `<!-- line 3 -->`. */
export function markerLine(range: LineRange, syntax: CommentSyntax): string {
  const what = range.first === range.last ? `line ${range.first}` : `lines ${formatLineRange(range)}`;
  return syntax.end ? `${syntax.start} ${what} ${syntax.end}` : `${syntax.start} ${what}`;
}

function stripFinalEol(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** The caption naming where a selection came from: `src/server.ts:10-24,40-41`. */
export function selectionCaption(relativePath: string, ranges: readonly LineRange[]): string {
  return `${relativePath}:${ranges.map(formatLineRange).join(',')}`;
}

/** A selection sent as a text message: where it came from, then the code. */
export function selectionMessage(relativePath: string, selection: AssembledSelection): string {
  return `${selectionCaption(relativePath, selection.ranges)}\n${stripFinalEol(selection.text)}`;
}

// ---------------------------------------------------------------------------------------------
// TrueConf IDs

const LOGIN = /^[\p{L}\p{N}._-]+$/u;
const DOMAIN = /^[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*(:\d{1,5})?$/u;

/** A TrueConf ID as typed: `login` or `login@domain`. */
export function isValidTrueConfId(text: string): boolean {
  const value = text.trim();
  const at = value.indexOf('@');
  if (at < 0) {
    return LOGIN.test(value);
  }
  return LOGIN.test(value.slice(0, at)) && DOMAIN.test(value.slice(at + 1));
}

/** `ivan` → `ivan@video.example.com`, taking the domain from the signed-in user's own id. */
export function completeTrueConfId(text: string, ownUserId: string | undefined): string {
  const value = text.trim();
  if (value.includes('@') || !ownUserId) {
    return value;
  }
  const at = ownUserId.indexOf('@');
  if (at < 0) {
    return value;
  }
  const domain = ownUserId.slice(at + 1).replace(/\/.*$/, '');
  return domain ? `${value}@${domain}` : value;
}

// ---------------------------------------------------------------------------------------------
// Chat picker order

/** The chat types the picker tells apart (protocol.md §4.7). */
export const PickerChatType = { P2P: 1, Group: 2, System: 3, Favorites: 5, Channel: 6 } as const;

/** What the picker needs to know about a chat. */
export interface ChatSummary {
  chatId: string;
  title: string | null;
  chatType: number;
  /** Time of the last message, Unix milliseconds. */
  lastActivity?: number;
}

/** A chat this workspace sent to, most recent first in the stored list. */
export interface RecentChat {
  chatId: string;
  title: string;
  chatType: number;
  usedAt: number;
}

export interface OrderedChats {
  recent: ChatSummary[];
  others: ChatSummary[];
}

/**
 * The picker's order: chats recently used from this workspace first (most recent first), then
 * every other chat by last activity, newest first; chats without activity last, by title.
 * System chats are left out (nobody can post there). The Favorites chat has no title of its own;
 * it sorts like any other chat. A recent chat missing from `chats` is kept (from the stored
 * record) while the list is still unknown, and dropped once the list is known (`listComplete`).
 */
export function orderChats(chats: readonly ChatSummary[], recent: readonly RecentChat[], listComplete: boolean): OrderedChats {
  const sendable = chats.filter((c) => c.chatType !== PickerChatType.System);
  const byId = new Map(sendable.map((c) => [c.chatId, c]));
  const recentIds = new Set<string>();
  const recentChats: ChatSummary[] = [];
  for (const r of [...recent].sort((a, b) => b.usedAt - a.usedAt)) {
    if (recentIds.has(r.chatId)) {
      continue;
    }
    const known = byId.get(r.chatId);
    if (known) {
      recentChats.push(known);
    } else if (!listComplete) {
      recentChats.push({ chatId: r.chatId, title: r.title, chatType: r.chatType });
    } else {
      continue;
    }
    recentIds.add(r.chatId);
  }
  const others = sendable.filter((c) => !recentIds.has(c.chatId)).sort(compareByActivity);
  return { recent: recentChats, others };
}

function compareByActivity(a: ChatSummary, b: ChatSummary): number {
  const ta = a.lastActivity ?? -Infinity;
  const tb = b.lastActivity ?? -Infinity;
  if (ta !== tb) {
    return tb - ta;
  }
  return (a.title ?? '').localeCompare(b.title ?? '');
}

/** Put `chat` at the front of the recent list, keeping at most `max` entries. */
export function rememberRecent(recent: readonly RecentChat[], chat: RecentChat, max: number): RecentChat[] {
  return [chat, ...recent.filter((r) => r.chatId !== chat.chatId)].slice(0, max);
}
