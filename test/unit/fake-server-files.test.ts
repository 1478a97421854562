/**
 * The fake server's file flows, exactly as the seed page describes them (upload task,
 * multipart POST with Upload-Task-Id, sendFile, getFileInfo, progress subscription,
 * capability download URLs), in both dialects (protocol.md §0), plus the streaming
 * multipart parser. Raw sockets only — not the project's client.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { FakeTrueConfServer, MultipartParser, makePng, crc32, parseRange, receiveMultipart } from '../fake-server';
import type { Dialect } from '../fake-server';
import { RawClient, buildMultipart, httpRequest, requestToken, uploadParts } from '../fake-server/raw-client';

async function signIn(server: FakeTrueConfServer, login: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const res = await requestToken(server.url, login, `${login}-pass`);
  const client = await RawClient.connect(server.wsUrl);
  const answer = await client.auth(res.json<{ access_token: string }>().access_token, extra);
  assert.equal(answer.errorCode, 0);
  return client;
}

type Obj = Record<string, unknown>;
const errorCode = (p: unknown): unknown => (p as Obj).errorCode;

async function newTask(client: RawClient, fileSize: number, fileName: string): Promise<string> {
  const answer = await client.call<{ uploadTaskId: string }>('uploadFile', { fileSize, fileName });
  assert.match(answer.uploadTaskId, /^[0-9a-f-]{36}$/, JSON.stringify(answer));
  return answer.uploadTaskId;
}

async function uploadBytes(server: FakeTrueConfServer, client: RawClient, name: string, data: Buffer, type = 'text/plain'): Promise<string> {
  const task = await newTask(client, data.length, name);
  const res = await uploadParts(server.url, task, [{ name: 'file', filename: name, contentType: type, data }]);
  assert.equal(res.status, 200, res.body.toString());
  return res.json<{ temporalFileId: string }>().temporalFileId;
}

describe('fake server: sending files (seed page, protocol.md §4.5)', () => {
  let server: FakeTrueConfServer;
  let alice: RawClient;
  let bob: RawClient;
  let chatId: string;
  beforeEach(async () => {
    server = await FakeTrueConfServer.start();
    chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    alice = await signIn(server, 'alice');
    bob = await signIn(server, 'bob');
  });
  afterEach(async () => {
    await server.stop();
  });

  it('happy path: task → multipart POST with Upload-Task-Id → sendFile → ready file at the recipient', async () => {
    const data = Buffer.from('console.log("hi");\n');
    const task = await newTask(alice, data.length, 'hi.js');
    const uploadEvent = new Promise<Obj>((resolve) => server.once('upload', resolve));
    const res = await uploadParts(server.url, task, [{ name: 'file', filename: 'hi.js', contentType: 'text/javascript', data }]);
    assert.equal(res.status, 200);
    assert.equal(res.headers.server, 'TrueConf Bridge');
    const { temporalFileId } = res.json<{ temporalFileId: string }>();
    assert.match(temporalFileId, /^[0-9a-f-]{36}$/);
    const logged = await uploadEvent;
    assert.equal(logged.taskId, task);
    assert.equal(logged.fileName, 'hi.js');
    assert.equal(logged.contentType, 'text/javascript');
    assert.equal(logged.bytes, data.length);
    assert.equal((logged.headers as Obj)['upload-task-id'], task);

    const sent = await alice.call<{ chatId: string; messageId: string; timestamp: number; fileId: string }>('sendFile', {
      chatId,
      content: { temporalFileId },
    });
    assert.equal(sent.chatId, chatId);
    assert.match(sent.fileId, /^[0-9a-f]{40}$/);
    assert.equal('captionMessageId' in sent, false);
    const env = (await bob.notification('sendMessage')).payload as Obj;
    assert.equal(env.type, 202);
    assert.deepEqual(env.content, { name: 'hi.js', mimeType: 'text/javascript', size: data.length, fileId: sent.fileId, readyState: 2 });
    assert.deepEqual(server.fileBytes(sent.fileId), data);
    assert.equal(server.chatMessages(chatId)[0].fileBytesPath, server.filePath(sent.fileId));
    const info = await bob.call<Obj>('getFileInfo', { fileId: sent.fileId });
    assert.equal(info.readyState, 2);
    assert.equal(info.fileId, sent.fileId);
    const dl = await httpRequest(info.downloadUrl as string);
    assert.deepEqual(dl.body, data);
  });

  it('rejects uploads the seed way: 400 {"error": 310, ...}', async () => {
    const data = Buffer.from('abc');
    const part = [{ name: 'file', filename: 'a.txt', contentType: 'text/plain', data }];
    const missing = await uploadParts(server.url, null, part);
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json(), { error: 310, error_description: 'No upload task ID provided' });
    assert.equal((await uploadParts(server.url, 'f00', part)).json().error, 310);

    const task = await newTask(alice, 3, 'a.txt');
    const notMultipart = await httpRequest(`${server.url}/bridge/api/client/v1/files`, {
      method: 'POST',
      headers: { 'Upload-Task-Id': task, 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(notMultipart.status, 400);
    assert.equal((await uploadParts(server.url, task, part)).status, 200);
    const reused = await uploadParts(server.url, task, part);
    assert.equal(reused.status, 400);
    assert.match(String(reused.json().error_description), /already been used/);

    const sized = await newTask(alice, 10, 'a.txt');
    const mismatch = await uploadParts(server.url, sized, part);
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.json(), { error: 310, error_description: 'File size does not match the upload task' });
    assert.equal((await uploadParts(server.url, sized, [{ ...part[0], data: Buffer.alloc(10) }])).status, 400, 'a failed task is unusable');

    const noFile = await newTask(alice, 3, 'a.txt');
    assert.equal((await uploadParts(server.url, noFile, [{ name: 'other', filename: 'a.txt', data }])).status, 400);
    const samePreview = await newTask(alice, 3, 'a.png');
    const preview = await uploadParts(server.url, samePreview, [
      { name: 'file', filename: 'a.png', contentType: 'image/png', data },
      { name: 'preview', filename: 'a.png', contentType: 'image/webp', data: Buffer.from('p') },
    ]);
    assert.equal(preview.status, 400);
    assert.match(String(preview.json().error_description), /preview/);
  });

  it('uploadFile: fileName required (5.5.3+), limits → 310 naming the limit', async () => {
    assert.equal(errorCode(await alice.call('uploadFile', { fileSize: 10 })), 399);
    assert.equal(errorCode(await alice.call('uploadFile', { fileSize: -1, fileName: 'a' })), 399);
    server.options.requireFileName = false;
    assert.equal(errorCode(await alice.call('uploadFile', { fileSize: 10 })), 0);
    server.setUploadLimits({ maxSize: 100, extensions: { mode: 'block', list: ['.EXE'] } });
    const big = await alice.call('uploadFile', { fileSize: 101, fileName: 'a.txt' });
    assert.equal(big.errorCode, 310);
    assert.match(String(big.errorDescription), /100 bytes/);
    const exe = await alice.call('uploadFile', { fileSize: 1, fileName: 'setup.exe' });
    assert.equal(exe.errorCode, 310);
    assert.match(String(exe.errorDescription), /exe/);
    server.setUploadLimits({ maxSize: null, extensions: { mode: 'allow', list: ['png'] } });
    assert.equal(errorCode(await alice.call('uploadFile', { fileSize: 1, fileName: 'a.txt' })), 310);
    assert.equal(errorCode(await alice.call('uploadFile', { fileSize: 1, fileName: 'a.PNG' })), 0);
  });

  it('temporalFileId is single-use and bound to its uploader (308); 304/305 for chats', async () => {
    const tmp = await uploadBytes(server, alice, 'n.txt', Buffer.from('note'));
    const foreign = server.createChat({ type: 2, title: 'not alice', participants: ['bob'] });
    assert.equal(errorCode(await alice.call('sendFile', { chatId: 'nope', content: { temporalFileId: tmp } })), 304);
    assert.equal(errorCode(await alice.call('sendFile', { chatId: foreign, content: { temporalFileId: tmp } })), 305);
    assert.equal(errorCode(await bob.call('sendFile', { chatId, content: { temporalFileId: tmp } })), 308);
    assert.equal(errorCode(await alice.call('sendFile', { chatId, content: { temporalFileId: tmp } })), 0);
    assert.equal(errorCode(await alice.call('sendFile', { chatId, content: { temporalFileId: tmp } })), 308);
    assert.equal(errorCode(await alice.call('sendFile', { chatId, content: {} })), 399);
  });

  it('a caption becomes its own text message, delivered before the file', async () => {
    const tmp = await uploadBytes(server, alice, 'r.md', Buffer.from('# R'), 'text/markdown');
    const sent = await alice.call<Obj>('sendFile', { chatId, content: { temporalFileId: tmp, caption: { text: 'see this', parseMode: 'text' } } });
    assert.match(String(sent.captionMessageId), /^[0-9a-f-]{36}$/);
    await server.waitFor(() => bob.notifications('sendMessage').length === 2);
    const [first, second] = bob.notifications('sendMessage').map((f) => f.payload as Obj);
    assert.equal(first.type, 200);
    assert.equal(first.messageId, sent.captionMessageId);
    assert.equal(second.type, 202);
    assert.equal(second.messageId, sent.messageId);
  });

  it('a preview part (different name) shows up in getFileInfo.previews', async () => {
    const png = makePng(4, 4);
    const task = await newTask(alice, png.length, 'pic.png');
    const res = await uploadParts(server.url, task, [
      { name: 'file', filename: 'pic.png', contentType: 'image/png', data: png },
      { name: 'preview', filename: 'preview-1.webp', contentType: 'image/webp', data: Buffer.from('webp') },
    ]);
    const sent = await alice.call<Obj>('sendFile', { chatId, content: { temporalFileId: res.json().temporalFileId } });
    const info = await bob.call<{ previews: Array<Obj> }>('getFileInfo', { fileId: sent.fileId });
    assert.equal(info.previews.length, 1);
    assert.equal(info.previews[0].mimeType, 'image/webp');
    assert.deepEqual((await httpRequest(info.previews[0].downloadUrl as string)).body, Buffer.from('webp'));
  });

  it('closeMidUpload destroys the connection; the task is then unusable', async () => {
    const data = Buffer.alloc(200_000, 7);
    const task = await newTask(alice, data.length, 'big.bin');
    server.faults.closeMidUpload(50_000);
    await assert.rejects(uploadParts(server.url, task, [{ name: 'file', filename: 'big.bin', data }]));
    await server.waitFor(() => server.log.uploads.some((u) => u.taskId === task && u.status === 0 && u.error));
    const retry = await uploadParts(server.url, task, [{ name: 'file', filename: 'big.bin', data }]);
    assert.equal(retry.status, 400);
    assert.match(String(retry.json().error_description), /create a new upload task/);
  });

  it('dropAllSockets kills an upload in flight', async () => {
    const size = 4 * 1024 * 1024;
    const task = await newTask(alice, size, 'slow.bin');
    const { body, contentType } = buildMultipart([{ name: 'file', filename: 'slow.bin', data: Buffer.alloc(size) }]);
    const failed = new Promise<Error>((resolve) => {
      const req = http.request(`${server.url}/bridge/api/client/v1/files`, {
        method: 'POST',
        headers: { 'Content-Type': contentType, 'Content-Length': body.length, 'Upload-Task-Id': task },
      });
      req.on('error', resolve);
      req.on('response', () => resolve(new Error('answered')));
      req.write(body.subarray(0, 1000));
    });
    await server.waitFor(() => server.log.uploads.some((u) => u.taskId === task));
    server.faults.dropAllSockets();
    assert.notEqual((await failed).message, 'answered');
  });

  it('streams a large upload with dashes that tease the boundary search to disk, byte for byte', async function () {
    this.timeout(15000);
    const size = 48 * 1024 * 1024;
    const task = await newTask(alice, size, 'large.bin');
    const boundary = '----flatmem';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="large.bin"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x2d); // dashes, to tease the boundary search
    const hash = createHash('sha256');
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent === 0) {
          this.push(head);
        }
        if (sent >= size) {
          this.push(tail);
          this.push(null);
          return;
        }
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        hash.update(piece);
        sent += piece.length;
        this.push(piece);
      },
    });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.url}/bridge/api/client/v1/files`, {
        method: 'POST',
        headers: {
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': head.length + size + tail.length,
          'Upload-Task-Id': task,
        },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      source.pipe(req);
    });
    assert.equal(answer.status, 200, answer.body);
    const entry = server.log.uploads.find((u) => u.taskId === task);
    assert.equal(entry?.bytes, size);
    const onDisk = createHash('sha256');
    await new Promise<void>((resolve, reject) =>
      createReadStream(entry?.path ?? '')
        .on('data', (c) => onDisk.update(c))
        .on('end', resolve)
        .on('error', reject),
    );
    assert.equal(onDisk.digest('hex'), hash.digest('hex'));
  });
});

for (const dialect of ['live', 'seed'] as Dialect[]) {
  describe(`fake server: incoming files, ${dialect} dialect (protocol.md §0, §4.6)`, () => {
    let server: FakeTrueConfServer;
    let bob: RawClient;
    let chatId: string;
    const progressMethod = dialect === 'seed' ? 'uploadingProgress' : 'uploadFileProgress';
    const idField = dialect === 'seed' ? 'infoHash' : 'fileId';
    beforeEach(async () => {
      server = await FakeTrueConfServer.start({ dialect });
      chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      bob = await signIn(server, 'bob');
    });
    afterEach(() => server.stop());

    it('the file message arrives before the bytes; progress events end at size; then ready', async () => {
      const data = Buffer.from('x'.repeat(1000));
      const { fileId, messageId, ready } = await server.sendFile('alice', chatId, { name: 'build.log', data, uploadMs: 200 });
      const env = (await bob.notification('sendMessage')).payload as Obj;
      assert.equal(env.messageId, messageId);
      assert.equal(env.type, dialect === 'seed' ? 2 : 202);
      const content = env.content as Obj;
      assert.equal(content.fileId, fileId);
      assert.equal(content.readyState, dialect === 'seed' ? undefined : 1);
      const info = await bob.call<Obj>('getFileInfo', { fileId });
      assert.equal(info.readyState, 1);
      assert.equal(info.downloadUrl, null);
      assert.equal(info[idField], fileId);
      assert.equal(dialect === 'seed' ? 'fileId' in info : 'infoHash' in info, false);
      assert.deepEqual((await bob.call('subscribeFileProgress', { fileId })).result, true);
      const final = await bob.notification(progressMethod, (p) => p.progress === 1000, 3000);
      const events = bob.notifications(progressMethod).map((f) => (f.payload as { progress: number }).progress);
      assert.ok(events.length >= 2, `events: ${events.join(',')}`);
      assert.deepEqual([...events].sort((a, b) => a - b), events);
      assert.deepEqual(final.payload, { fileId, progress: 1000 });
      await ready;
      const done = await bob.call<Obj>('getFileInfo', { fileId });
      assert.equal(done.readyState, 2);
      assert.match(String(done.downloadUrl), new RegExp(`/bridge/api/client/v1/files/${fileId}\\?token=[0-9a-f]{32}$`));
      assert.deepEqual((await httpRequest(done.downloadUrl as string)).body, data);
      assert.deepEqual(server.unackedNotifications(), []);
    });

    it('a ready file gets exactly one final event on subscribe', async () => {
      const { fileId } = await server.sendFile('alice', chatId, { name: 'a.txt', data: Buffer.from('12345') });
      await bob.notification('sendMessage');
      await bob.call('subscribeFileProgress', { fileId });
      await bob.notification(progressMethod);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(bob.notifications(progressMethod).map((f) => f.payload), [{ fileId, progress: 5 }]);
    });

    it('progressBeforeSubscribeAnswer pushes the first event before the answer', async () => {
      server.options.progressBeforeSubscribeAnswer = true;
      const { fileId } = await server.sendFile('alice', chatId, { name: 'a.txt', data: Buffer.from('12345') });
      const answer = await bob.request('subscribeFileProgress', { fileId });
      const eventAt = bob.received.findIndex((f) => f.method === progressMethod);
      assert.ok(eventAt >= 0 && eventAt < bob.received.indexOf(answer));
    });

    it('readyLagMs keeps readyState 1 after the final event; unsubscribe stops events', async () => {
      server.options.readyLagMs = 150;
      const { fileId, ready } = await server.sendFile('alice', chatId, { name: 'a.txt', data: Buffer.alloc(100), uploadMs: 50 });
      await bob.call('subscribeFileProgress', { fileId });
      await bob.notification(progressMethod, (p) => p.progress === 100);
      assert.equal((await bob.call<Obj>('getFileInfo', { fileId })).readyState, 1);
      await ready;
      assert.equal((await bob.call<Obj>('getFileInfo', { fileId })).readyState, 2);

      const slow = await server.sendFile('alice', chatId, { name: 'b.txt', data: Buffer.alloc(100), uploadMs: 300 });
      await bob.call('subscribeFileProgress', { fileId: slow.fileId });
      await bob.notification(progressMethod, (p) => p.fileId === slow.fileId);
      assert.deepEqual((await bob.call('unsubscribeFileProgress', { fileId: slow.fileId })).result, true);
      const count = bob.notifications(progressMethod).length;
      await slow.ready;
      assert.equal(bob.notifications(progressMethod).length, count);
    });

    it('getFileInfo: 308 unknown, 305 outside the caller\'s chats, readyState 0 for a lost file', async () => {
      assert.equal(errorCode(await bob.call('getFileInfo', { fileId: 'f'.repeat(40) })), 308);
      assert.equal(errorCode(await bob.call('subscribeFileProgress', { fileId: 'f'.repeat(40) })), 308);
      const other = server.createChat({ type: 1, participants: ['alice', 'carol'] });
      const hidden = await server.sendFile('alice', other, { name: 'secret.txt', data: Buffer.from('s') });
      assert.equal(errorCode(await bob.call('getFileInfo', { fileId: hidden.fileId })), 305);
      const lost = await server.sendFile('alice', chatId, { name: 'lost.txt', data: Buffer.from('l'), notAvailable: true });
      const info = await bob.call<Obj>('getFileInfo', { fileId: lost.fileId });
      assert.equal(info.readyState, 0);
      assert.equal(info.downloadUrl, null);
    });
  });
}

describe('fake server: downloads (protocol.md §5)', () => {
  let server: FakeTrueConfServer;
  let bob: RawClient;
  let chatId: string;
  const data = Buffer.from('0123456789abcdefghij');
  let fileId: string;
  let url: string;
  beforeEach(async () => {
    server = await FakeTrueConfServer.start();
    chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    bob = await signIn(server, 'bob');
    fileId = (await server.sendFile('alice', chatId, { name: 'alpha.txt', data, mimeType: 'text/plain' })).fileId;
    url = (await bob.call<{ downloadUrl: string }>('getFileInfo', { fileId })).downloadUrl;
  });
  afterEach(() => server.stop());

  it('capability URL: right token → 200 with type and length; wrong or no token → 403; HEAD', async () => {
    const ok = await httpRequest(url);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['content-type'], 'text/plain');
    assert.equal(ok.headers['content-length'], String(data.length));
    assert.deepEqual(ok.body, data);
    assert.equal((await httpRequest(url.replace(/token=\w+/, 'token=0000'))).status, 403);
    assert.equal((await httpRequest(url.replace(/\?.*$/, ''))).status, 403);
    const head = await httpRequest(url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(data.length));
    const other = (await server.sendFile('alice', chatId, { name: 'b.txt', data: Buffer.from('b') })).fileId;
    const otherUrl = (await bob.call<{ downloadUrl: string }>('getFileInfo', { fileId: other })).downloadUrl;
    assert.notEqual(new URL(otherUrl).searchParams.get('token'), new URL(url).searchParams.get('token'));
    assert.deepEqual(
      server.log.downloads.slice(0, 4).map((d) => d.status),
      [200, 403, 403, 200],
    );
    assert.equal(server.log.http.filter((h) => h.path.endsWith(fileId)).length, 4);
  });

  it('honours Range (206, suffix, 416) so a download can resume', async () => {
    const part = await httpRequest(url, { headers: { Range: 'bytes=5-9' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 5-9/${data.length}`);
    assert.equal(part.body.toString(), '56789');
    const rest = await httpRequest(url, { headers: { Range: 'bytes=15-' } });
    assert.equal(rest.body.toString(), 'fghij');
    assert.equal((await httpRequest(url, { headers: { Range: 'bytes=-3' } })).body.toString(), 'hij');
    assert.equal((await httpRequest(url, { headers: { Range: 'bytes=99-' } })).status, 416);
    assert.equal((await httpRequest(url, { headers: { Range: 'bytes=0-1', 'If-Range': '"other"' } })).status, 200);
    assert.deepEqual(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('items=0-1', 10), null);
  });

  it('closeMidDownload cuts the body after N bytes; a Range request resumes', async () => {
    server.faults.closeMidDownload(8);
    const received: Buffer[] = [];
    const error = await new Promise<Error | null>((resolve) => {
      http.get(url, (res) => {
        res.on('data', (c: Buffer) => received.push(c));
        res.on('error', resolve);
        res.on('aborted', () => resolve(new Error('aborted')));
        res.on('end', () => resolve(null));
        res.on('close', () => resolve(new Error('closed')));
      });
    });
    assert.ok(error, 'the response must not end normally');
    const got = Buffer.concat(received);
    assert.equal(got.toString(), '01234567');
    const rest = await httpRequest(url, { headers: { Range: `bytes=${got.length}-` } });
    assert.deepEqual(Buffer.concat([got, rest.body]), data);
  });

  it('downloadReturnsHtml and downloadHost', async () => {
    server.faults.downloadReturnsHtml(true);
    const html = await httpRequest(url);
    assert.equal(html.status, 200);
    assert.match(String(html.headers['content-type']), /text\/html/);
    assert.equal(html.body.toString(), '<html>login</html>');
    server.faults.clear();
    server.options.downloadHost = 'files.internal:8443';
    const rewritten = (await bob.call<{ downloadUrl: string }>('getFileInfo', { fileId })).downloadUrl;
    const u = new URL(rewritten);
    assert.equal(u.host, 'files.internal:8443');
    const local = new URL(server.url);
    u.host = local.host;
    assert.deepEqual((await httpRequest(u.toString())).body, data);
  });

  it('a file still uploading is not downloadable yet (409); a lost one is 404', async () => {
    const slow = await server.sendFile('alice', chatId, { name: 's.txt', data: Buffer.from('slow'), uploadMs: 5000 });
    assert.equal(server.fileState(slow.fileId).readyState, 1);
    assert.equal((await httpRequest(server.downloadUrlFor(slow.fileId))).status, 409);
    const lost = await server.sendFile('alice', chatId, { name: 'l.txt', data: Buffer.from('l'), notAvailable: true });
    assert.equal((await httpRequest(server.downloadUrlFor(lost.fileId))).status, 404);
  });
});

describe('fake server: streaming multipart parser', () => {
  function collect(boundary: string, body: Buffer, chunkSize: number): Promise<Array<{ name: string; filename?: string; data: string }>> {
    const parts: Array<{ name: string; filename?: string; data: string; chunks: Buffer[] }> = [];
    const parser = new MultipartParser(boundary, (info) => {
      const part = { name: info.name, filename: info.filename, data: '', chunks: [] as Buffer[] };
      parts.push(part);
      return { write: (c) => void part.chunks.push(Buffer.from(c)), end: () => void (part.data = Buffer.concat(part.chunks).toString('latin1')) };
    });
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += chunkSize) {
      chunks.push(body.subarray(i, i + chunkSize));
    }
    return new Promise((resolve, reject) => {
      parser.on('finish', () => resolve(parts.map(({ name, filename, data }) => ({ name, filename, data }))));
      parser.on('error', reject);
      Readable.from(chunks).pipe(parser);
    });
  }

  it('parses the same body identically at every chunk size, with near-boundary bytes in the data', async () => {
    const tricky = '--abc\r\n--ab\r\n-\r\n--abcd'.replace('--abcd', '--abX');
    const body = Buffer.from(
      'preamble to ignore\r\n' +
        '--abc\r\nContent-Disposition: form-data; name="file"; filename="q\\"uote%22d.txt"\r\nContent-Type: text/plain\r\n\r\n' +
        `${tricky}\r\n` +
        '--abc  \r\nContent-Disposition: form-data; name="note"\r\n\r\n\r\n' +
        '--abc\r\nContent-Disposition: form-data; name="u"; filename*=UTF-8\'\'%D0%BF.txt\r\n\r\nпривет\r\n' +
        '--abc--\r\nepilogue',
      'utf8',
    );
    const expected = [
      { name: 'file', filename: 'q"uote"d.txt', data: tricky },
      { name: 'note', filename: undefined, data: '' },
      { name: 'u', filename: 'п.txt', data: Buffer.from('привет').toString('latin1') },
    ];
    for (const size of [1, 2, 3, 7, 64, body.length]) {
      assert.deepEqual(await collect('abc', body, size), expected, `chunk size ${size}`);
    }
  });

  it('fails on a body without its closing boundary', async () => {
    await assert.rejects(collect('abc', Buffer.from('--abc\r\nContent-Disposition: form-data; name="a"\r\n\r\nxyz'), 4), /closing boundary/);
  });

  it('receiveMultipart drains the rest after a malformed part so the server can answer', async () => {
    const dir = tmpdir();
    const source = Readable.from([Buffer.from('--b\r\nBroken header line\r\n\r\nxx\r\n--b--\r\n'), Buffer.alloc(1000)]);
    let drained = false;
    source.on('end', () => (drained = true));
    await assert.rejects(receiveMultipart(source, 'b', { dir }), /Malformed part header/);
    await new Promise((r) => setImmediate(r));
    assert.ok(drained);
  });

  it('makePng writes a valid PNG (signature, chunk CRCs)', () => {
    const png = makePng(3, 2);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    let at = 8;
    const types: string[] = [];
    while (at < png.length) {
      const len = png.readUInt32BE(at);
      const typeAndData = png.subarray(at + 4, at + 8 + len);
      types.push(typeAndData.subarray(0, 4).toString('latin1'));
      assert.equal(png.readUInt32BE(at + 8 + len), crc32(typeAndData));
      at += 12 + len;
    }
    assert.deepEqual(types, ['IHDR', 'IDAT', 'IEND']);
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });
});
