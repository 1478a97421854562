import * as assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isTrueConfError } from '../../src/trueconf/errors';
import { parseServerAddress } from '../../src/trueconf/endpoints';
import { HttpTransport } from '../../src/trueconf/http';
import { fileSourceFromBuffer, previewFileName, uploadBytes } from '../../src/trueconf/upload';
import { Handler, scriptedServer, ScriptedServer } from './helpers/scripted-http';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Read the request, keep it, and answer with `status` and `body`. */
function answer(status: number, body: string, contentType = 'application/json', received?: Buffer[]): Handler {
  return (req, res) => {
    void readBody(req).then((bytes) => {
      received?.push(bytes);
      res.writeHead(status, { 'Content-Type': contentType }).end(body);
    });
  };
}

describe('uploadBytes', () => {
  let server: ScriptedServer | undefined;
  const http = new HttpTransport();
  const source = fileSourceFromBuffer('a b.txt', Buffer.from('hello'), 'text/plain');

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  after(() => http.close());

  function endpoints() {
    return parseServerAddress(new URL((server as ScriptedServer).url).origin);
  }

  it('posts a multipart body with an exact Content-Length, the task id header and no credentials', async () => {
    const received: Buffer[] = [];
    server = await scriptedServer([answer(200, '{"temporalFileId":"tmp-1"}', 'application/json', received)]);
    const preview = fileSourceFromBuffer('a b.txt', Buffer.from('WEBP'), 'image/webp');
    assert.equal(await uploadBytes(http, endpoints(), 'task-9', source, { preview }), 'tmp-1');

    const [headers] = server.requests;
    const [body] = received;
    assert.equal(headers['upload-task-id'], 'task-9');
    assert.equal(headers['content-length'], String(body.length));
    assert.equal(headers['transfer-encoding'], undefined);
    assert.equal(headers.authorization, undefined);
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(headers['content-type'] ?? '')?.[1];
    assert.ok(boundary);
    const text = body.toString();
    assert.ok(text.includes('name="file"; filename="a b.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'), text);
    assert.ok(text.includes('name="preview"; filename="preview-a b.txt"\r\nContent-Type: image/webp\r\n\r\nWEBP\r\n'), text);
    assert.ok(text.endsWith(`--${boundary}--\r\n`));
  });

  it('names a preview differently from its file', () => {
    assert.equal(previewFileName('a.png', 'a.png'), 'preview-a.png');
    assert.equal(previewFileName('a.png', ''), 'preview-a.png');
    assert.equal(previewFileName('a.png', 'thumb.webp'), 'thumb.webp');
  });

  it('shows the server’s description and code when it refuses the upload', async () => {
    server = await scriptedServer([answer(400, '{"error":310,"error_description":"No upload task ID provided"}')]);
    await assert.rejects(uploadBytes(http, endpoints(), 'task', source), (err) =>
      isTrueConfError(err, 'uploadRejected') &&
      err.message === 'The server refused the upload: No upload task ID provided (error 310)' &&
      err.details.status === 400 &&
      err.details.code === 310,
    );
  });

  it('falls back to the HTTP status when a proxy refuses the upload with a web page', async () => {
    server = await scriptedServer([answer(413, '<html><body>Request Entity Too Large</body></html>', 'text/html')]);
    await assert.rejects(uploadBytes(http, endpoints(), 'task', source), (err) =>
      isTrueConfError(err, 'uploadRejected') && err.message === 'The server refused the upload (HTTP 413)',
    );
  });

  it('treats a success without a temporalFileId as a protocol error', async () => {
    server = await scriptedServer([answer(200, '{"ok":true}'), answer(200, 'not json', 'text/plain')]);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(uploadBytes(http, endpoints(), 'task', source), (err) =>
        isTrueConfError(err, 'protocol') && /did not return a file id/.test(err.message),
      );
    }
  });

  it('does not start when already cancelled', async () => {
    server = await scriptedServer([]);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(uploadBytes(http, endpoints(), 'task', source, { signal: controller.signal }), (err) => isTrueConfError(err, 'cancelled'));
    assert.equal(server.requests.length, 0);
  });

  it('reports a file that cannot be read', async () => {
    server = await scriptedServer([answer(200, '{"temporalFileId":"x"}')]);
    const missing = { name: 'gone.txt', size: 3, open: () => createReadStream('/nonexistent/gone.txt') };
    await assert.rejects(uploadBytes(http, endpoints(), 'task', missing), (err) =>
      isTrueConfError(err, 'uploadRejected') && /^Could not read "gone\.txt": ENOENT/.test(err.message),
    );
  });
});
