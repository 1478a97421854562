import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  idToDirectoryName,
  isPathInside,
  MAX_FILE_NAME_BYTES,
  resolveInside,
  sanitiseFileName,
  truncateName,
  UnsafePathError,
} from '../../src/common/fileNames';

describe('common/fileNames', () => {
  const cacheDir = path.join(os.tmpdir(), 'trueconf-cache-test', 'files');

  /** Where the cache would write a file with this name (the cache's own path construction). */
  const cachePath = (fileId: string, name: string) => resolveInside(resolveInside(cacheDir, idToDirectoryName(fileId)), sanitiseFileName(name));

  const hostile = [
    '../../x',
    '..\\..\\x',
    '/etc/passwd',
    'C:\\x',
    'C:\\Windows\\System32\\drivers\\etc\\hosts',
    'C:x',
    '\\\\server\\share\\x.txt',
    '.',
    '..',
    '...',
    '',
    '   ',
    'CON',
    'con',
    'nul.txt',
    'COM1.tar.gz',
    'lpt9',
    'AUX ',
    'PRN.',
    'a\u0000b.txt',
    'line\nbreak.txt',
    'tab\there',
    'bell\u0007.txt',
    'photo\u202Egnp.exe',
    'name with trailing dots...',
    'trailing spaces   ',
    'ends.with. . .',
    'a<b>c:d"e|f?g*h.txt',
    'x'.repeat(5000),
    'я'.repeat(300) + '.txt',
    '😀'.repeat(200) + '.png',
    'dir/',
    '../',
    '..\\',
    'a/../../b',
    '%2e%2e%2fx',
  ];

  for (const name of hostile) {
    it(`keeps ${JSON.stringify(name.length > 40 ? name.slice(0, 40) + '…' : name)} inside the cache`, () => {
      const safe = sanitiseFileName(name);
      assert.ok(safe.length > 0);
      assert.ok(!/[/\\]/.test(safe), safe);
      assert.ok(!/[\u0000-\u001f\u007f]/.test(safe), safe);
      assert.ok(!/[<>:"|?*]/.test(safe), safe);
      assert.ok(safe !== '.' && safe !== '..');
      assert.ok(!/[. ]$/.test(safe), `trailing dot or space in ${safe}`);
      assert.ok(!/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(safe), `reserved device name ${safe}`);
      assert.ok(Buffer.byteLength(safe) <= MAX_FILE_NAME_BYTES, `${Buffer.byteLength(safe)} bytes`);
      const target = cachePath('e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5', name);
      assert.ok(isPathInside(cacheDir, target), target);
      assert.equal(path.dirname(path.dirname(target)), path.resolve(cacheDir));
    });
  }

  it('keeps ordinary names as they are', () => {
    for (const name of ['report.pdf', 'notes.md', '.bashrc', 'Отчёт 2025.docx', 'a b (1).txt', 'photo.JPG', 'archive.tar.gz']) {
      assert.equal(sanitiseFileName(name), name);
    }
  });

  it('keeps the last segment of a path-like name', () => {
    assert.equal(sanitiseFileName('../../etc/passwd'), 'passwd');
    assert.equal(sanitiseFileName('C:\\Users\\bob\\report.pdf'), 'report.pdf');
    assert.equal(sanitiseFileName('dir/'), 'dir');
  });

  it('uses the fallback when nothing usable is left', () => {
    for (const name of ['', '.', '..', '../', '   ', '. .', undefined, null, 42]) {
      assert.equal(sanitiseFileName(name), 'file');
    }
    assert.equal(sanitiseFileName('..', 'download'), 'download');
  });

  it('prefixes Windows device names, with or without an extension', () => {
    assert.equal(sanitiseFileName('CON'), '_CON');
    assert.equal(sanitiseFileName('nul.txt'), '_nul.txt');
    assert.equal(sanitiseFileName('com1.tar.gz'), '_com1.tar.gz');
    assert.equal(sanitiseFileName('console.log'), 'console.log');
    assert.equal(sanitiseFileName('nullable.ts'), 'nullable.ts');
  });

  it('replaces control and reserved characters, drops invisible direction overrides', () => {
    assert.equal(sanitiseFileName('a\u0000b.txt'), 'a_b.txt');
    assert.equal(sanitiseFileName('a:b?.txt'), 'a_b_.txt');
    assert.equal(sanitiseFileName('photo\u202Egnp.exe'), 'photognp.exe');
  });

  it('shortens long names between code points and keeps the extension', () => {
    const long = sanitiseFileName('😀'.repeat(200) + '.png');
    assert.ok(long.endsWith('.png'));
    assert.ok(!long.includes('\uFFFD'));
    assert.equal([...long.slice(0, -4)].every((ch) => ch === '😀'), true);
    assert.equal(truncateName('abcdef.txt', 8), 'abcd.txt');
    assert.equal(truncateName('abcdef', 3), 'abc');
    assert.equal(truncateName('short.txt', 100), 'short.txt');
  });

  it('refuses paths that leave the directory', () => {
    assert.throws(() => resolveInside(cacheDir, '..', 'x'), UnsafePathError);
    assert.throws(() => resolveInside(cacheDir, '/etc/passwd'), UnsafePathError);
    assert.throws(() => resolveInside(cacheDir, '.'), UnsafePathError);
    assert.ok(isPathInside(cacheDir, path.join(cacheDir, '..foo')));
    assert.ok(!isPathInside(cacheDir, cacheDir));
    assert.ok(!isPathInside(cacheDir, `${cacheDir}-sibling/x`));
  });

  it('uses plain ids as directory names and hashes anything else', () => {
    assert.equal(idToDirectoryName('e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5'), 'e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5');
    assert.equal(idToDirectoryName('c8c3eee8-9ad0-4638-9692-ad16391a4256'), 'c8c3eee8-9ad0-4638-9692-ad16391a4256');
    const hostileIds = ['..', '../x', '/abs', 'CON', 'a b', 'x'.repeat(300), ''];
    const dirs = hostileIds.map(idToDirectoryName);
    for (const dir of dirs) {
      assert.match(dir, /^id-[0-9a-f]{40}$/);
      assert.ok(isPathInside(cacheDir, resolveInside(cacheDir, dir)));
    }
    assert.equal(new Set(dirs).size, hostileIds.length, 'different ids never share a directory');
  });
});
