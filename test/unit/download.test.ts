import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../src/common/logger';
import { downloadToFile } from '../../src/trueconf/download';
import { isTrueConfError } from '../../src/trueconf/errors';
import { HttpTransport } from '../../src/trueconf/http';
import { strayFiles } from './helpers/files-on-disk';
import { cutAfter, scriptedServer, ScriptedServer, serve } from './helpers/scripted-http';

describe('downloadToFile', () => {
  const body = randomBytes(256 * 1024);
  let dir: string;
  let dest: string;
  let http: HttpTransport;
  let server: ScriptedServer | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueconf-download-'));
    dest = join(dir, 'data.bin');
    http = new HttpTransport();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the body and reports progress up to the total', async () => {
    server = await scriptedServer([serve(body)]);
    const progress: Array<[number, number | undefined]> = [];
    const result = await downloadToFile(http, server.url, dest, { expectedSize: body.length, onProgress: (n, t) => progress.push([n, t]) });
    assert.equal(result.bytes, body.length);
    assert.ok((await readFile(dest)).equals(body));
    assert.deepEqual(progress.at(-1), [body.length, body.length]);
    assert.ok(progress.every(([n], i) => i === 0 || n >= progress[i - 1][0]), 'progress never goes back');
    assert.deepEqual(await strayFiles(dir, 'data.bin'), []);
  });

  it('resumes with Range and If-Range after the connection drops, when the server accepts ranges', async () => {
    const headers = { 'Accept-Ranges': 'bytes', ETag: '"v1"' };
    let stored!: () => void;
    const someStored = new Promise<void>((resolve) => (stored = resolve));
    server = await scriptedServer([cutAfter(body, 100_000, headers, someStored), serve(body, headers)]);
    const logger = new MemoryLogger();
    await downloadToFile(http, server.url, dest, { expectedSize: body.length, logger, onProgress: () => stored() });
    assert.ok((await readFile(dest)).equals(body));
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0].range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1].range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 100_000, `resumed at ${resumedAt}`);
    assert.equal(server.requests[1]['if-range'], '"v1"');
    assert.match(logger.text, /stopped early: the connection was lost after \d+ bytes; resuming at byte \d+/);
    assert.doesNotMatch(logger.text, /secret/, 'the URL query never reaches the log');
  });

  it('starts over when the server does not accept ranges', async () => {
    server = await scriptedServer([cutAfter(body, 100_000), serve(body)]);
    await downloadToFile(http, server.url, dest, { expectedSize: body.length });
    assert.ok((await readFile(dest)).equals(body));
    assert.equal(server.requests[1].range, undefined);
  });

  it('gives up with a clear error when the download stops early twice, leaving no file behind', async () => {
    server = await scriptedServer([cutAfter(body, 100_000), cutAfter(body, 50_000)]);
    await assert.rejects(
      downloadToFile(http, server.url, dest, { expectedSize: body.length }),
      (err) => isTrueConfError(err, 'download') && /^The download of "data\.bin" stopped early twice: .*Try again later\.$/.test(err.message),
    );
    assert.equal(server.requests.length, 2);
    assert.deepEqual(await strayFiles(dir), []);
  });

  it('retries a complete response that is shorter than the expected size', async () => {
    server = await scriptedServer([serve(body.subarray(0, 1000)), serve(body)]);
    await downloadToFile(http, server.url, dest, { expectedSize: body.length });
    assert.ok((await readFile(dest)).equals(body));
    assert.equal(server.requests.length, 2);
  });

  it('refuses a partial answer for a different offset instead of splicing it in', async () => {
    const wrongRange = serve(body, { 'Accept-Ranges': 'bytes' });
    server = await scriptedServer([
      cutAfter(body, 100_000, { 'Accept-Ranges': 'bytes' }),
      (req, res) => {
        req.headers.range = 'bytes=10-';
        wrongRange(req, res);
      },
    ]);
    await assert.rejects(downloadToFile(http, server.url, dest, { expectedSize: body.length }), (err) =>
      isTrueConfError(err, 'download') && /unexpected part/.test(err.message),
    );
    assert.deepEqual(await strayFiles(dir), []);
  });

  it('stops a body without Content-Length once it passes the cap', async () => {
    server = await scriptedServer([
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // chunked: size unknown up front
        res.write(body);
        res.write(body);
        res.end(body);
      },
    ]);
    await assert.rejects(
      downloadToFile(http, server.url, dest, { maxBytes: 300 * 1024 }),
      (err) => isTrueConfError(err, 'download') && err.message === '"data.bin" is larger than the download limit of 300 KB.',
    );
    assert.deepEqual(await strayFiles(dir), []);
  });

  it('refuses before reading the body when Content-Length is over the cap', async () => {
    server = await scriptedServer([serve(body)]);
    await assert.rejects(downloadToFile(http, server.url, dest, { maxBytes: 1000 }), /larger than the download limit of 1,000 bytes/);
    assert.equal(existsSync(dest), false);
  });

  it('explains expired links and other HTTP errors without showing the URL', async () => {
    server = await scriptedServer([(_q, res) => res.writeHead(404).end('gone'), (_q, res) => res.writeHead(500).end()]);
    await assert.rejects(downloadToFile(http, server.url, dest), (err) =>
      isTrueConfError(err, 'download') && err.message === 'The server answered HTTP 404 for "data.bin" — the link may have expired.',
    );
    await assert.rejects(downloadToFile(http, server.url, dest), (err) =>
      isTrueConfError(err, 'download') && err.message === 'The download of "data.bin" failed: the server answered HTTP 500.',
    );
  });

  it('refuses a web page in place of the file, but accepts an HTML file', async () => {
    const page = Buffer.from('<html>Sign in</html>');
    const asHtml = serve(page, { 'Content-Type': 'text/html; charset=utf-8' });
    server = await scriptedServer([asHtml, asHtml, asHtml]);
    await assert.rejects(downloadToFile(http, server.url, dest), (err) =>
      isTrueConfError(err, 'download') && /returned a web page instead of "data\.bin" — the link may have expired/.test(err.message),
    );
    await downloadToFile(http, server.url, join(dir, 'page.html'));
    await downloadToFile(http, server.url, join(dir, 'page'), { expectedMimeType: 'text/html' });
    assert.deepEqual((await strayFiles(dir)).sort(), ['page', 'page.html']);
  });

  it('reports a destination that cannot be written, without contacting the server twice', async () => {
    server = await scriptedServer([serve(body)]);
    await assert.rejects(downloadToFile(http, server.url, join(dir, 'missing-folder', 'data.bin')), (err) =>
      isTrueConfError(err, 'download') && /^Could not save "data\.bin": ENOENT/.test(err.message),
    );
    assert.equal(server.requests.length, 1);
  });

  it('stops at once when cancelled, leaving no file behind', async () => {
    const controller = new AbortController();
    server = await scriptedServer([
      (_req, res) => {
        res.writeHead(200, { 'Content-Length': String(body.length * 4) });
        res.write(body); // and never finish
      },
    ]);
    const download = downloadToFile(http, server.url, dest, {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(download, (err) => isTrueConfError(err, 'cancelled'));
    assert.deepEqual(await strayFiles(dir), []);
  });
});
