// Installs extensions into a VS Code extensions folder the way VS Code lays them out:
// `<extensionsDir>/<publisher>.<name>-<version>/` holding the extension's package.json.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function folderName(manifest) {
  return `${manifest.publisher}.${manifest.name}-${manifest.version}`.toLowerCase();
}

/** Removes other versions of the same extension, so exactly one is installed. */
function removeOtherVersions(extensionsDir, manifest) {
  const prefix = `${manifest.publisher}.${manifest.name}-`.toLowerCase();
  for (const entry of fs.readdirSync(extensionsDir)) {
    if (entry.toLowerCase().startsWith(prefix)) {
      fs.rmSync(path.join(extensionsDir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * Unpacks a .vsix (a zip whose `extension/` folder is the extension) into `extensionsDir`.
 * Returns `{ id, dir }` with id `publisher.name`.
 */
export function installVsix(vsixPath, extensionsDir) {
  fs.mkdirSync(extensionsDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(extensionsDir, '.unpack-'));
  try {
    const unzip = spawnSync('unzip', ['-q', vsixPath, 'extension/*', '-d', staging], { encoding: 'utf8' });
    if (unzip.error?.code === 'ENOENT') {
      throw new Error('`unzip` is missing: install the Debian package unzip (apt-get install -y unzip)');
    }
    if (unzip.status !== 0) {
      throw new Error(`unzip ${vsixPath} failed: ${unzip.stderr.trim()}`);
    }
    const unpacked = path.join(staging, 'extension');
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8'));
    removeOtherVersions(extensionsDir, manifest);
    const dir = path.join(extensionsDir, folderName(manifest));
    fs.renameSync(unpacked, dir);
    return { id: `${manifest.publisher}.${manifest.name}`, dir };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Installs an extension given as a manifest plus files (name → contents) into `extensionsDir`.
 * Returns `{ id, dir }`.
 */
export function installExtensionFiles(manifest, files, extensionsDir) {
  fs.mkdirSync(extensionsDir, { recursive: true });
  removeOtherVersions(extensionsDir, manifest);
  const dir = path.join(extensionsDir, folderName(manifest));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [name, contents] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), contents);
  }
  return { id: `${manifest.publisher}.${manifest.name}`, dir };
}

/**
 * Lets VS Code run in `locale` (`--locale ru`) without downloading its language pack: installs a
 * language pack extension that translates nothing and registers it in
 * `<userDataDir>/languagepacks.json`, as VS Code does for an installed one. VS Code's own UI stays
 * in English (every message falls back to it), but the language is `locale`: extensions get
 * `vscode.env.language === locale` and their package.nls.<locale>.json and
 * l10n/bundle.l10n.<locale>.json, exactly as for a user with the real language pack.
 * Call it before code-server starts. Returns `{ id, dir }` of the stub extension.
 */
export function installEmptyLanguagePack(locale, extensionsDir, userDataDir) {
  const manifest = {
    name: `empty-language-pack-${locale.toLowerCase()}`,
    publisher: 'trueconf-share-tests',
    version: '1.0.0',
    displayName: `Empty language pack (${locale}) for tests`,
    engines: { vscode: '*' },
    categories: ['Language Packs'],
    contributes: {
      localizations: [{ languageId: locale, languageName: locale, translations: [{ id: 'vscode', path: './translations/main.i18n.json' }] }],
    },
  };
  const installed = installExtensionFiles(manifest, { 'translations/main.i18n.json': `${JSON.stringify({ version: '1.0.0', contents: {} })}\n` }, extensionsDir);
  const registry = path.join(userDataDir, 'languagepacks.json');
  const packs = fs.existsSync(registry) ? JSON.parse(fs.readFileSync(registry, 'utf8')) : {};
  packs[locale] = {
    hash: `empty-${manifest.version}`,
    extensions: [{ extensionIdentifier: { id: installed.id }, version: manifest.version }],
    translations: { vscode: path.join(installed.dir, 'translations', 'main.i18n.json') },
    label: locale,
  };
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.writeFileSync(registry, `${JSON.stringify(packs, null, 2)}\n`);
  return installed;
}
