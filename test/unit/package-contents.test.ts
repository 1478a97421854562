/**
 * What the .vsix would contain, as `vsce ls --no-dependencies` lists it (through vsce's API, so
 * nothing is built): the bundle, the icons, the walkthrough pages, the manifest with its
 * translations, the l10n bundles and the three documents — and never sources, tests,
 * node_modules, source maps or screenshots.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, PackageManager } from '@vscode/vsce';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Paths that must never ship, each with why. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/^src\//, 'TypeScript sources (the bundle in dist/ is what runs)'],
  [/^test\//, 'tests'],
  [/^bench\//, 'benchmarks'],
  [/^scripts\//, 'build and test scripts'],
  [/^out\//, 'compiled tests'],
  [/(^|\/)node_modules\//, 'node_modules (esbuild bundles the dependencies)'],
  [/\.map$/, 'source maps'],
  [/(^|\/)screenshots?\//, 'screenshots (README links them from the repository)'],
  [/\.png$/i, 'images other than the icons (screenshots)'],
  [/\.ts$/, 'TypeScript files'],
  [/^\.|\/\./, 'dot files (.vscode, .github, .vscodeignore, .sandbox …)'],
  [/\.vsix$/, 'other packages'],
  [/^test-results\//, 'test results'],
];

/** Every `%key%` value in the manifest's JSON, and every string value that names a file in media/. */
function manifestMediaPaths(manifest: unknown, nls: Record<string, string>[]): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      const key = /^%(.+)%$/.exec(value)?.[1];
      const texts = key ? nls.map((bundle) => bundle[key]).filter((t): t is string => typeof t === 'string') : [value];
      for (const text of texts) {
        if (/^(\.\/)?media\/[^\s]+\.(svg|md|png)$/.test(text)) {
          found.add(text.replace(/^\.\//, ''));
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) {
      Object.values(value).forEach(visit);
    }
  };
  visit(manifest);
  return [...found].sort();
}

function readJson<T>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, relative), 'utf8')) as T;
}

describe('the .vsix contents (vsce ls --no-dependencies)', function () {
  this.timeout(30_000);
  let files: string[];

  before(async () => {
    files = (await listFiles({ cwd: repoRoot, packageManager: PackageManager.None })).map((f) => f.replace(/\\/g, '/')).sort();
  });

  it('contains no sources, tests, node_modules, source maps or screenshots', () => {
    const offending = files.flatMap((file) => FORBIDDEN.filter(([pattern]) => pattern.test(file)).map(([, why]) => `${file} — ${why}`));
    assert.deepEqual(offending, [], `files that must not be in the .vsix:\n  ${offending.join('\n  ')}`);
  });

  it('contains only the bundle, media, manifest, translations and the three documents', () => {
    const allowed = [
      /^dist\/extension\.js$/,
      /^media\/[^/]+\.svg$/,
      /^media\/walkthrough\/[^/]+\.md$/,
      /^package\.json$/,
      /^package\.nls(\.[a-z-]+)?\.json$/,
      /^l10n\/bundle\.l10n(\.[a-z-]+)?\.json$/,
      /^(README|CHANGELOG)\.md$/,
      /^LICENSE(\.md|\.txt)?$/,
    ];
    const unexpected = files.filter((file) => !allowed.some((pattern) => pattern.test(file)));
    assert.deepEqual(unexpected, [], 'files outside the list .vscodeignore keeps');
  });

  it('contains the manifest, its translations, the l10n bundles and the documents', () => {
    const required = ['package.json', 'package.nls.json', 'package.nls.ru.json', 'l10n/bundle.l10n.json', 'l10n/bundle.l10n.ru.json', 'README.md', 'CHANGELOG.md', 'LICENSE'];
    assert.deepEqual(
      required.filter((file) => !files.includes(file)),
      [],
      'files the extension needs at run time or on its Marketplace page',
    );
  });

  it('contains the bundle named by "main" (when it has been built)', function () {
    const main = readJson<{ main: string }>('package.json').main.replace(/^\.\//, '');
    if (!fs.existsSync(path.join(repoRoot, main))) {
      this.skip(); // `vsce ls` lists only what exists; `npm run package` builds it first
    }
    assert.ok(files.includes(main), `${main} is in the .vsix`);
  });

  it('contains every icon and walkthrough page the manifest names, in every language', () => {
    const manifest = readJson<unknown>('package.json');
    const nls = ['package.nls.json', 'package.nls.ru.json'].map((file) => readJson<Record<string, string>>(file));
    const referenced = manifestMediaPaths(manifest, nls);
    assert.ok(referenced.some((p) => p.endsWith('.md')), 'the manifest names the walkthrough pages');
    assert.deepEqual(
      referenced.filter((file) => !files.includes(file)),
      [],
      'media the manifest names but the .vsix lacks',
    );
  });
});
