import * as assert from 'node:assert/strict';
import { isTrueConfError } from '../../src/trueconf/errors';
import { checkUpload, formatBytes, NO_UPLOAD_LIMITS, normaliseUploadLimits } from '../../src/trueconf/limits';
import type { UploadLimits } from '../../src/trueconf/types';

function limitMessage(limits: UploadLimits, name: string, size: number): string | undefined {
  try {
    checkUpload(limits, name, size);
    return undefined;
  } catch (err) {
    assert.ok(isTrueConfError(err, 'limit'), `expected a 'limit' error, got ${String(err)}`);
    return err.message;
  }
}

describe('upload limits', () => {
  describe('normaliseUploadLimits', () => {
    it('lower-cases extensions and drops leading dots and duplicates', () => {
      const limits = normaliseUploadLimits({ maxSize: 1000, extensions: { mode: 'block', list: ['.EXE', 'bat', '.Bat', ' .cmd '] } });
      assert.deepEqual(limits, { maxSize: 1000, extensions: { mode: 'block', list: ['exe', 'bat', 'cmd'] } });
    });

    it('reads nulls, missing fields and an empty list as "no limit"', () => {
      assert.deepEqual(normaliseUploadLimits({ maxSize: null, extensions: null }), NO_UPLOAD_LIMITS);
      assert.deepEqual(normaliseUploadLimits({}), NO_UPLOAD_LIMITS);
      assert.deepEqual(normaliseUploadLimits({ maxSize: 0, extensions: { mode: 'allow', list: [] } }), NO_UPLOAD_LIMITS);
    });

    it('rejects mistyped fields as a protocol error', () => {
      for (const bad of [null, [], { maxSize: '100' }, { extensions: { mode: 'deny', list: [] } }, { extensions: { mode: 'allow', list: [1] } }]) {
        assert.throws(() => normaliseUploadLimits(bad), (err) => isTrueConfError(err, 'protocol'), JSON.stringify(bad));
      }
    });
  });

  describe('checkUpload', () => {
    it('names the size limit with both sizes', () => {
      const limits: UploadLimits = { maxSize: 100 * 1024 * 1024, extensions: null };
      assert.equal(limitMessage(limits, 'big.iso', 2.1 * 1024 ** 3), '"big.iso" is 2.1 GB; this server accepts files up to 100 MB.');
      assert.equal(limitMessage(limits, 'ok.iso', 100 * 1024 * 1024), undefined);
    });

    it('shows exact byte counts when rounding would make the sizes look equal', () => {
      const limits: UploadLimits = { maxSize: 100 * 1024 * 1024, extensions: null };
      assert.equal(
        limitMessage(limits, 'edge.bin', 100 * 1024 * 1024 + 1),
        '"edge.bin" is 104,857,601 bytes; this server accepts files up to 104,857,600 bytes.',
      );
    });

    it('blocks listed extensions case-insensitively, including multi-part ones', () => {
      const limits = normaliseUploadLimits({ maxSize: null, extensions: { mode: 'block', list: ['.EXE', 'tar.gz'] } });
      assert.equal(limitMessage(limits, 'setup.Exe', 10), 'This server does not accept .exe files.');
      assert.equal(limitMessage(limits, 'src.tar.gz', 10), 'This server does not accept .tar.gz files.');
      assert.equal(limitMessage(limits, 'notes.txt', 10), undefined);
      assert.equal(limitMessage(limits, 'exe', 10), undefined, 'a name without a dot has no extension');
    });

    it('allows only listed extensions in allow mode', () => {
      const limits = normaliseUploadLimits({ maxSize: null, extensions: { mode: 'allow', list: ['png', '.JPG'] } });
      assert.equal(limitMessage(limits, 'photo.JPG', 10), undefined);
      assert.equal(limitMessage(limits, 'script.sh', 10), 'This server accepts only .png, .jpg files.');
      assert.equal(limitMessage(limits, 'Makefile', 10), 'This server accepts only .png, .jpg files.');
    });

    it('checks the size before the extension', () => {
      const limits = normaliseUploadLimits({ maxSize: 5, extensions: { mode: 'block', list: ['exe'] } });
      assert.match(limitMessage(limits, 'a.exe', 6) ?? '', /accepts files up to 5 bytes/);
    });
  });

  describe('formatBytes', () => {
    it('formats sizes for people', () => {
      assert.equal(formatBytes(0), '0 bytes');
      assert.equal(formatBytes(1), '1 byte');
      assert.equal(formatBytes(1023), '1,023 bytes');
      assert.equal(formatBytes(1536), '1.5 KB');
      assert.equal(formatBytes(100 * 1024 * 1024), '100 MB');
      assert.equal(formatBytes(1024 * 1024 - 1), '1 MB');
      assert.equal(formatBytes(5 * 1024 ** 4), '5 TB');
      assert.equal(formatBytes(3000 * 1024 ** 4), '3000 TB');
    });
  });
});
