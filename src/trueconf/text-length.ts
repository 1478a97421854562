/**
 * TrueConf limits a text message and a file caption to 4096 *visible* characters
 * (protocol.md §4.3). Like python-trueconf-bot, count code points of the text a reader sees:
 * markup is not counted, and a link counts as its label, a space and its address. The count
 * is an approximation of the server's rule, which is not documented exactly.
 */
import { TrueConfError } from './errors';
import { MAX_TEXT_LENGTH, ParseMode } from './types';

export function visibleLength(text: string, parseMode: ParseMode = 'text'): number {
  switch (parseMode) {
    case 'markdown':
      return codePoints(visibleMarkdown(text));
    case 'html':
      return codePoints(visibleHtml(text));
    default:
      return codePoints(text);
  }
}

/** Throw TrueConfError('limit') when `text` is over the limit; `what` names it in the message. */
export function checkTextLength(text: string, parseMode: ParseMode | undefined, what: 'message' | 'caption'): void {
  const length = visibleLength(text, parseMode);
  if (length > MAX_TEXT_LENGTH) {
    throw new TrueConfError('limit', `The ${what} is ${length} characters long; TrueConf allows ${MAX_TEXT_LENGTH}.`);
  }
}

function codePoints(text: string): number {
  return [...text].length;
}

const MD_LINK = /\[([^\]]+)\]\(([^)\s]+)\)/g;
/** Emphasis markers (`**`, `__`, `~~`, `*`, `_`, `~`) that are not inside a word, like `snake_case`. */
const MD_MARKER = /(?<![\p{L}\p{N}])(\*\*|__|~~|[*_~])|(\*\*|__|~~|[*_~])(?![\p{L}\p{N}])/gu;
/** A quote marker at the start of a line. */
const MD_QUOTE = /^>\s?/gm;

function visibleMarkdown(text: string): string {
  return text
    .replace(MD_LINK, (_m, label: string, href: string) => `${label} ${href}`)
    .replace(MD_MARKER, '')
    .replace(MD_QUOTE, '');
}

const HTML_ANCHOR = /<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi;
const HTML_HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;
const HTML_BR = /<br\s*\/?>/gi;
const HTML_TAG = /<\/?[a-z][^>]*>/gi;
const HTML_ENTITY = /&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos|nbsp));/gi;
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function visibleHtml(text: string): string {
  return text
    .replace(HTML_ANCHOR, (_m, attrs: string, label: string) => {
      const href = HTML_HREF.exec(attrs);
      const address = href ? (href[1] ?? href[2] ?? href[3]) : '';
      return address ? `${label} ${address}` : label;
    })
    .replace(HTML_BR, '\n')
    .replace(HTML_TAG, '')
    .replace(HTML_ENTITY, (entity, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
      if (name !== undefined) {
        return NAMED_ENTITIES[name.toLowerCase()];
      }
      const codePoint = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity;
    });
}
