import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { isTrueConfError } from '../../src/trueconf/errors';
import { createMultipartBody, escapeQuoted, MultipartFilePart } from '../../src/trueconf/multipart';

function part(field: string, fileName: string, data: Buffer | Buffer[], contentType = 'application/octet-stream', size?: number): MultipartFilePart {
  const chunks = Array.isArray(data) ? data : [data];
  return {
    field,
    fileName,
    contentType,
    size: size ?? chunks.reduce((n, c) => n + c.length, 0),
    open: () => Readable.from(chunks),
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

describe('multipart body', () => {
  it('lays out the file and preview parts exactly, with a Content-Length that matches', async () => {
    const body = createMultipartBody(
      [part('file', 'some_image.png', Buffer.from('PNGDATA'), 'image/png'), part('preview', 'thumb.webp', Buffer.from('WEBP'), 'image/webp')],
      { boundary: 'XyZ' },
    );
    const bytes = await readAll(body.stream);
    const expected =
      '--XyZ\r\n' +
      'Content-Disposition: form-data; name="file"; filename="some_image.png"\r\n' +
      'Content-Type: image/png\r\n\r\n' +
      'PNGDATA\r\n' +
      '--XyZ\r\n' +
      'Content-Disposition: form-data; name="preview"; filename="thumb.webp"\r\n' +
      'Content-Type: image/webp\r\n\r\n' +
      'WEBP\r\n' +
      '--XyZ--\r\n';
    assert.equal(bytes.toString('latin1'), expected);
    assert.equal(body.contentLength, bytes.length);
    assert.equal(body.contentType, 'multipart/form-data; boundary=XyZ');
  });

  it('keeps UTF-8 names and escapes quotes and line breaks; Content-Length counts UTF-8 bytes', async () => {
    const name = 'отчёт "Q3"\r\nX-Evil: 1.txt';
    const body = createMultipartBody([part('file', name, Buffer.from('abc'))], { boundary: 'b' });
    const bytes = await readAll(body.stream);
    const text = bytes.toString('utf8');
    assert.ok(text.includes('filename="отчёт %22Q3%22%0D%0AX-Evil: 1.txt"'), text);
    assert.ok(!text.includes('\r\nX-Evil'), 'a name cannot inject a header');
    assert.equal(body.contentLength, bytes.length);
    assert.equal(escapeQuoted('a"b\nc\rd'), 'a%22b%0Ac%0Dd');
  });

  it('strips line breaks from a part content type and falls back to application/octet-stream', async () => {
    const body = createMultipartBody([part('file', 'a', Buffer.from('1'), 'text/plain\r\nX: y'), part('preview', 'b', Buffer.from('2'), '  ')], {
      boundary: 'b',
    });
    const text = (await readAll(body.stream)).toString();
    assert.ok(text.includes('Content-Type: text/plainX: y\r\n'), text);
    assert.ok(text.includes('Content-Type: application/octet-stream\r\n'), text);
  });

  it('uses a random boundary that does not repeat', () => {
    const a = createMultipartBody([part('file', 'a', Buffer.from('1'))]);
    const b = createMultipartBody([part('file', 'a', Buffer.from('1'))]);
    assert.match(a.contentType, /^multipart\/form-data; boundary=----TrueConfShare[0-9a-f]{32}$/);
    assert.notEqual(a.contentType, b.contentType);
    a.stream.destroy();
    b.stream.destroy();
  });

  it('reports each chunk of part bytes as it is read', async () => {
    const seen: Array<[string, number]> = [];
    const body = createMultipartBody([part('file', 'a', [Buffer.alloc(3), Buffer.alloc(5)]), part('preview', 'p', Buffer.alloc(2))], {
      onPartBytes: (field, n) => seen.push([field, n]),
    });
    await readAll(body.stream);
    assert.deepEqual(seen, [
      ['file', 3],
      ['file', 5],
      ['preview', 2],
    ]);
  });

  for (const [label, declared, how] of [
    ['grew', 4, /"log.txt" grew while it was being sent \(it was 4 bytes when the upload started\)/],
    ['shrank', 20, /"log.txt" shrank while it was being sent \(it was 20 bytes/],
  ] as const) {
    it(`fails the body when the source ${label} since its size was taken`, async () => {
      const body = createMultipartBody([part('file', 'log.txt', [Buffer.alloc(5), Buffer.alloc(5)], 'text/plain', declared)]);
      await assert.rejects(readAll(body.stream), (err) => isTrueConfError(err, 'uploadRejected') && how.test(err.message));
      assert.ok(isTrueConfError(body.sourceError(), 'uploadRejected'));
    });
  }

  it('records a read error of the source as the body failure', async () => {
    const failing: MultipartFilePart = {
      field: 'file',
      fileName: 'gone.txt',
      contentType: 'text/plain',
      size: 10,
      open: () =>
        new Readable({
          read() {
            this.destroy(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }));
          },
        }),
    };
    const body = createMultipartBody([failing]);
    await assert.rejects(readAll(body.stream), /ENOENT/);
    assert.match(String(body.sourceError()), /ENOENT/);
  });

  it('has no source error when the consumer stops reading early', async () => {
    const body = createMultipartBody([part('file', 'a', [Buffer.alloc(70_000), Buffer.alloc(70_000)])]);
    for await (const chunk of body.stream) {
      assert.ok(chunk);
      break;
    }
    assert.equal(body.sourceError(), undefined);
  });
});
