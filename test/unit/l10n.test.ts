/**
 * Every user-facing string is translated, and no translation is left behind:
 * - runtime strings: each `vscode.l10n.t('…')` in src/ is a key of l10n/bundle.l10n.json (English)
 *   and l10n/bundle.l10n.ru.json (Russian), and neither bundle has keys src/ no longer uses;
 * - the manifest: each `%key%` in package.json is in package.nls.json and package.nls.ru.json,
 *   and neither has keys package.json no longer uses;
 * - a translation keeps its placeholders (`{0}`), command links and setting links.
 *
 * To add a string: write `vscode.l10n.t('English text', …args)` in src/, then run
 * `npx @vscode/l10n-dev export --outDir ./l10n ./src` and add the Russian text to
 * l10n/bundle.l10n.ru.json (CONTRIBUTING.md).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getL10nJson } from '@vscode/l10n-dev';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const TRANSLATIONS = ['ru'];

function readJson<T>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, relative), 'utf8')) as T;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return sourceFiles(full);
    }
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The value of a JS string literal's body (between its quotes). */
function unescape(body: string): string {
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/gs, (_, esc: string) => {
    switch (esc[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'u':
      case 'x':
        return String.fromCodePoint(parseInt(esc.replace(/^u\{?|^x|\}$/g, ''), 16));
      default:
        return esc;
    }
  });
}

/**
 * Each `l10n.t(` call in `text`: the message when its first argument is a string literal
 * ('…', "…" or `…` without `${}`, escapes allowed), or the start of the call when it is not.
 */
function l10nCalls(text: string): Array<{ message?: string; call: string }> {
  const calls: Array<{ message?: string; call: string }> = [];
  const call = /\bl10n\.t\(\s*/g;
  for (let match = call.exec(text); match; match = call.exec(text)) {
    const rest = text.slice(match.index + match[0].length);
    const literal = /^(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\$]|\\.|\$(?!\{))*)`)/s.exec(rest);
    const body = literal ? (literal[1] ?? literal[2] ?? literal[3]) : undefined;
    calls.push({ message: body === undefined ? undefined : unescape(body), call: text.slice(match.index, match.index + 60).split('\n')[0] });
  }
  return calls;
}

/** `{0}`, `{1}` … in a message, sorted. */
function placeholders(text: string): string[] {
  return (text.match(/\{\d+\}/g) ?? []).sort();
}

/** Markdown link targets (`command:…`, URLs) and `#setting.links#` in a text, sorted. */
function links(text: string): string[] {
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  const settings = text.match(/#[a-z][\w.]*#/gi) ?? [];
  return [...targets, ...settings].sort();
}

function keyDifference(expected: Iterable<string>, actual: Iterable<string>): { missing: string[]; stale: string[] } {
  const want = new Set(expected);
  const have = new Set(actual);
  return { missing: [...want].filter((k) => !have.has(k)).sort(), stale: [...have].filter((k) => !want.has(k)).sort() };
}

function assertSameMeaning(english: Record<string, unknown>, translated: Record<string, unknown>, file: string): void {
  const problems: string[] = [];
  for (const [key, source] of Object.entries(english)) {
    const text = translated[key];
    if (typeof text !== 'string' || text.trim() === '') {
      problems.push(`${JSON.stringify(key)}: no translation`);
      continue;
    }
    const en = typeof source === 'string' ? source : key;
    if (placeholders(en).join() !== placeholders(text).join()) {
      problems.push(`${JSON.stringify(key)}: placeholders ${placeholders(en).join(' ')} became ${placeholders(text).join(' ') || 'none'}`);
    }
    if (links(en).join() !== links(text).join()) {
      problems.push(`${JSON.stringify(key)}: links ${links(en).join(' ')} became ${links(text).join(' ') || 'none'}`);
    }
  }
  assert.deepEqual(problems, [], `${file} changes what the English text refers to`);
}

describe('localization', () => {
  describe('runtime strings (vscode.l10n.t → l10n/bundle.l10n*.json)', function () {
    this.timeout(30_000);
    const files = sourceFiles(path.join(repoRoot, 'src'));
    let exported: Record<string, unknown>;

    before(async () => {
      exported = await getL10nJson(files.map((file) => ({ contents: fs.readFileSync(file, 'utf8'), extension: path.extname(file) })));
    });

    it('calls l10n.t with a string literal, so the strings can be extracted', () => {
      const dynamic = files.flatMap((file) =>
        l10nCalls(fs.readFileSync(file, 'utf8'))
          .filter((c) => c.message === undefined)
          .map((c) => `${path.relative(repoRoot, file)}: ${c.call}`),
      );
      assert.deepEqual(dynamic, [], 'l10n.t calls whose message is not a string literal');
      assert.ok(files.some((file) => l10nCalls(fs.readFileSync(file, 'utf8')).length > 0), 'src/ uses vscode.l10n.t');
    });

    it('extracts every literal (the export and a plain scan of src/ agree)', () => {
      const scanned = new Set(files.flatMap((file) => l10nCalls(fs.readFileSync(file, 'utf8')).flatMap((c) => (c.message === undefined ? [] : [c.message]))));
      assert.deepEqual(keyDifference(scanned, Object.keys(exported)), { missing: [], stale: [] });
    });

    it('has every string of src/ in l10n/bundle.l10n.json, and nothing else', () => {
      const bundle = readJson<Record<string, string>>('l10n/bundle.l10n.json');
      assert.deepEqual(
        keyDifference(Object.keys(exported), Object.keys(bundle)),
        { missing: [], stale: [] },
        'l10n/bundle.l10n.json is out of date: run `npx @vscode/l10n-dev export --outDir ./l10n ./src`',
      );
      const changed = Object.entries(bundle).filter(([key, value]) => value !== key);
      assert.deepEqual(changed, [], 'English bundle values are their keys');
    });

    for (const language of TRANSLATIONS) {
      const file = `l10n/bundle.l10n.${language}.json`;
      it(`translates every string in ${file}, and nothing else`, () => {
        const translated = readJson<Record<string, string>>(file);
        assert.deepEqual(keyDifference(Object.keys(exported), Object.keys(translated)), { missing: [], stale: [] }, `keys of ${file}`);
        assertSameMeaning(exported, translated, file);
      });
    }
  });

  describe('the manifest (package.json %key% → package.nls*.json)', () => {
    const manifest = readJson<Record<string, unknown>>('package.json');
    const english = readJson<Record<string, string>>('package.nls.json');

    /** Every string value of the manifest, with where it is. */
    function strings(value: unknown, where: string): Array<{ where: string; text: string }> {
      if (typeof value === 'string') {
        return [{ where, text: value }];
      }
      if (Array.isArray(value)) {
        return value.flatMap((v, i) => strings(v, `${where}[${i}]`));
      }
      if (typeof value === 'object' && value !== null) {
        return Object.entries(value).flatMap(([k, v]) => strings(v, `${where}.${k}`));
      }
      return [];
    }
    const keysUsed = new Set(strings(manifest, '').flatMap(({ text }) => /^%([\w.-]+)%$/.exec(text)?.[1] ?? []));

    it('has every %key% of package.json in package.nls.json, and nothing else', () => {
      assert.deepEqual(keyDifference(keysUsed, Object.keys(english)), { missing: [], stale: [] });
    });

    for (const language of TRANSLATIONS) {
      const file = `package.nls.${language}.json`;
      it(`translates every key in ${file}, and nothing else`, () => {
        const translated = readJson<Record<string, string>>(file);
        assert.deepEqual(keyDifference(keysUsed, Object.keys(translated)), { missing: [], stale: [] }, `keys of ${file}`);
        assertSameMeaning(english, translated, file);
      });
    }

    it('leaves no user-facing text of contributes in package.json itself', () => {
      const userFacing =
        /^\.contributes\.(commands\[\d+\]\.(title|category|shortTitle)|viewsContainers\.\w+\[\d+\]\.title|views\.\w+\[\d+\]\.(name|contextualTitle)|viewsWelcome\[\d+\]\.contents|configuration\.(title|properties\.[^.]+(\.[^.]+)*\.(description|markdownDescription|enumDescriptions\[\d+\]|markdownEnumDescriptions\[\d+\]|deprecationMessage))|walkthroughs\[\d+\]\.(title|description|steps\[\d+\]\.(title|description)))$/;
      const literal = strings(manifest.contributes, '.contributes').filter(({ where, text }) => userFacing.test(where) && !/^%[\w.-]+%$/.test(text));
      assert.deepEqual(literal, [], 'texts to move to package.nls.json as %key% references');
    });
  });
});
