import * as assert from 'node:assert/strict';
import { isTrueConfError } from '../../src/trueconf/errors';
import { parseFileInfo } from '../../src/trueconf/files';

/** The seed page's getFileInfo answer. */
function seedInfo(): Record<string, unknown> {
  return {
    name: 'AirHelp_Logo.webp',
    size: 3446,
    mimeType: 'image/webp',
    downloadUrl: 'https://10.111.15.116/bridge/api/client/v1/files?file_id=e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5',
    readyState: 2,
    previews: [
      {
        name: 'preview-2278f47b821f72e4a44ab6b980180518.webp',
        mimeType: 'image/webp',
        size: 1264,
        downloadUrl: 'https://10.111.15.116/bridge/api/client/v1/files/preview?file_id=e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5',
      },
    ],
    infoHash: 'e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5',
  };
}

describe('parseFileInfo', () => {
  it('reads the seed page example, taking the id from infoHash', () => {
    const info = parseFileInfo(seedInfo());
    assert.equal(info.fileId, 'e09dbd63a16bd8cd7bddda7193c1c4ff0d2f6de5');
    assert.equal(info.readyState, 2);
    assert.equal(info.downloadUrl, seedInfo().downloadUrl);
    assert.deepEqual(info.previews, seedInfo().previews);
  });

  it('prefers fileId when a newer server sends it', () => {
    assert.equal(parseFileInfo({ ...seedInfo(), fileId: 'new-id', infoHash: undefined }).fileId, 'new-id');
    assert.equal(parseFileInfo({ ...seedInfo(), fileId: 'new-id' }).fileId, 'new-id');
  });

  it('has no download link and no previews while the file is not ready', () => {
    const info = parseFileInfo({ ...seedInfo(), readyState: 1, downloadUrl: null, previews: null });
    assert.equal(info.downloadUrl, null);
    assert.deepEqual(info.previews, []);
    assert.equal(parseFileInfo({ ...seedInfo(), readyState: 1 }).downloadUrl, null, 'a link for a file not ready is not offered');
  });

  it('treats missing previews as none and skips previews without a link', () => {
    const withoutPreviews = seedInfo();
    delete withoutPreviews.previews;
    assert.deepEqual(parseFileInfo(withoutPreviews).previews, []);
    const preview = { name: 'p.webp', size: 1, mimeType: 'image/webp', downloadUrl: null };
    assert.deepEqual(parseFileInfo({ ...seedInfo(), previews: [preview] }).previews, []);
  });

  it('defaults a missing MIME type', () => {
    const info = seedInfo();
    delete info.mimeType;
    assert.equal(parseFileInfo(info).mimeType, 'application/octet-stream');
  });

  it('rejects mistyped answers as protocol errors', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['no id', { ...seedInfo(), infoHash: undefined }],
      ['numeric id', { ...seedInfo(), fileId: 42 }],
      ['size as text', { ...seedInfo(), size: '3446' }],
      ['fractional size', { ...seedInfo(), size: 1.5 }],
      ['no readyState', { ...seedInfo(), readyState: undefined }],
      ['unknown readyState', { ...seedInfo(), readyState: 3 }],
      ['numeric URL', { ...seedInfo(), downloadUrl: 7 }],
      ['previews not a list', { ...seedInfo(), previews: {} }],
      ['preview without name', { ...seedInfo(), previews: [{ size: 1, downloadUrl: 'https://x/p' }] }],
    ];
    for (const [label, payload] of cases) {
      assert.throws(() => parseFileInfo(payload), (err) => isTrueConfError(err, 'protocol') && err.message.startsWith('The server sent an unexpected answer to getFileInfo'), label);
    }
    assert.throws(() => parseFileInfo([]), (err) => isTrueConfError(err, 'protocol'));
  });
});
