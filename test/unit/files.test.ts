import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from '../../src/common/event';
import type { RpcChannel } from '../../src/trueconf/channel';
import { apiError, isTrueConfError } from '../../src/trueconf/errors';
import { FileApi, SendFileProgress } from '../../src/trueconf/files';
import { NO_UPLOAD_LIMITS } from '../../src/trueconf/limits';
import { onFileMessage } from '../../src/trueconf/messages';
import type { IncomingFile } from '../../src/trueconf/types';
import { FileSource, fileSourceFromBuffer, fileSourceFromPath, uploadBytes } from '../../src/trueconf/upload';
import type { FakeTrueConfServer } from '../fake-server';
import { FileSession, openSession } from './helpers/file-session';
import { sha256File, strayFiles, writeRandomFile } from './helpers/files-on-disk';

function requests(server: FakeTrueConfServer, method: string): unknown[] {
  return server.log.requests.filter((r) => r.method === method).map((r) => r.payload);
}

function fileMessages(server: FakeTrueConfServer, chatId: string) {
  return server.chatMessages(chatId).filter((m) => typeof m.content.fileId === 'string');
}

/** A source that counts how often it was opened: a refused file must not even be read. */
function countingSource(name: string, size: number): FileSource & { opened: number } {
  const source = {
    name,
    size,
    opened: 0,
    open: () => {
      source.opened++;
      return Readable.from([Buffer.alloc(size)]);
    },
  };
  return source;
}

function isNonDecreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v >= values[i - 1]);
}

for (const dialect of ['seed', 'live'] as const) {
  describe(`FileApi, ${dialect} dialect`, () => {
    let s: FileSession;
    let chatId: string;

    beforeEach(async () => {
      s = await openSession({ dialect });
      chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    });

    afterEach(async () => {
      await s.close();
    });

    describe('sendFile', () => {
      it('creates a task with size and name, uploads the bytes with the task id in a header, and posts the file once', async () => {
        const name = 'report 2024 «final».bin';
        const data = randomBytes(300_000);
        await writeFile(join(s.dir, name), data);
        const source = await fileSourceFromPath(join(s.dir, name), { mimeType: 'application/pdf' });

        const sent = await s.files.sendFile({ chatId, source });

        assert.deepEqual(requests(s.server, 'uploadFile'), [{ fileSize: 300_000, fileName: name }]);
        assert.equal(s.server.log.uploads.length, 1);
        const [upload] = s.server.log.uploads;
        assert.equal(upload.status, 200);
        assert.ok(upload.taskId, 'the server read the task id');
        assert.equal(upload.headers['upload-task-id'], upload.taskId);
        assert.equal(upload.headers.authorization, undefined, 'no Authorization header');
        assert.equal(upload.fileName, name, 'the UTF-8 name arrives intact');
        assert.equal(upload.contentType, 'application/pdf');
        const post = s.server.log.http.filter((h) => h.method === 'POST' && h.path === '/bridge/api/client/v1/files');
        assert.equal(post.length, 1);
        assert.equal(post[0].query, '', 'the task id is never in the URL');
        assert.deepEqual(requests(s.server, 'sendFile'), [{ chatId, content: { temporalFileId: upload.temporalFileId } }]);

        const posted = fileMessages(s.server, chatId);
        assert.equal(posted.length, 1);
        assert.equal(posted[0].messageId, sent.messageId);
        assert.equal(posted[0].content.fileId, sent.fileId);
        assert.equal(sent.chatId, chatId);
        assert.equal(typeof sent.timestamp, 'number');
        assert.equal(sent.captionMessageId, undefined);
        assert.ok(s.server.fileBytes(sent.fileId).equals(data), 'the server stored exactly the source bytes');
      });

      it('sends a caption, which the server posts as its own message before the file', async () => {
        const sent = await s.files.sendFile({
          chatId,
          source: fileSourceFromBuffer('notes.txt', Buffer.from('hello'), 'text/plain'),
          caption: { text: 'Notes from <b>today</b>', parseMode: 'html' },
        });
        assert.ok(sent.captionMessageId);
        assert.deepEqual((requests(s.server, 'sendFile')[0] as { content: unknown }).content, {
          temporalFileId: s.server.log.uploads[0].temporalFileId,
          caption: { text: 'Notes from <b>today</b>', parseMode: 'html' },
        });
        const messages = s.server.chatMessages(chatId);
        assert.deepEqual(
          messages.map((m) => m.messageId),
          [sent.captionMessageId, sent.messageId],
        );
        assert.equal(messages[0].content.text, 'Notes from <b>today</b>');
      });

      it('uploads a preview under a name different from the file’s', async () => {
        const sent = await s.files.sendFile({
          chatId,
          source: fileSourceFromBuffer('shot.png', Buffer.from('png bytes'), 'image/png'),
          preview: fileSourceFromBuffer('shot.png', Buffer.from('webp'), 'image/webp'),
        });
        assert.deepEqual(s.server.log.uploads[0].preview, { fileName: 'preview-shot.png', contentType: 'image/webp', bytes: 4 });
        const info = await s.files.getFileInfo(sent.fileId);
        assert.deepEqual(
          info.previews.map((p) => [p.size, p.mimeType]),
          [[4, 'image/webp']],
        );
      });

      it('refuses a caption over 4096 characters before anything is sent', async () => {
        const source = countingSource('a.txt', 10);
        await assert.rejects(s.files.sendFile({ chatId, source, caption: { text: 'x'.repeat(4097) } }), (err) =>
          isTrueConfError(err, 'limit') && err.message === 'The caption is 4097 characters long; TrueConf allows 4096.',
        );
        assert.equal(source.opened, 0);
        assert.deepEqual(requests(s.server, 'uploadFile'), []);
      });

      it('reports the phases in order and upload progress that only grows and ends at the size', async () => {
        const size = 2 * 1024 * 1024;
        await writeRandomFile(join(s.dir, 'big.bin'), size);
        const seen: SendFileProgress[] = [];
        await s.files.sendFile({ chatId, source: await fileSourceFromPath(join(s.dir, 'big.bin')), onProgress: (p) => seen.push(p) });

        const phases = seen.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
        assert.deepEqual(phases, ['preparing', 'uploading', 'sending']);
        const uploading = seen.filter((p) => p.phase === 'uploading').map((p) => p.sent);
        assert.ok(uploading.length > 2, 'several progress reports while uploading');
        assert.ok(isNonDecreasing(uploading));
        assert.equal(uploading.at(-1), size);
        assert.ok(seen.every((p) => p.total === size));
      });

      it('follows limits the server pushes, refusing a file before reading it or contacting the server', async () => {
        const changed = once(s.files.onDidChangeLimits);
        s.server.setUploadLimits({ maxSize: 1024, extensions: { mode: 'block', list: ['.EXE'] } });
        assert.deepEqual(await changed, { maxSize: 1024, extensions: { mode: 'block', list: ['exe'] } });
        assert.deepEqual(s.files.limits, { maxSize: 1024, extensions: { mode: 'block', list: ['exe'] } });

        const big = countingSource('big.bin', 4096);
        await assert.rejects(s.files.sendFile({ chatId, source: big }), (err) =>
          isTrueConfError(err, 'limit') && err.message === '"big.bin" is 4 KB; this server accepts files up to 1 KB.',
        );
        const exe = countingSource('setup.exe', 10);
        await assert.rejects(s.files.sendFile({ chatId, source: exe }), (err) =>
          isTrueConfError(err, 'limit') && err.message === 'This server does not accept .exe files.',
        );
        assert.equal(big.opened + exe.opened, 0, 'the files were never read');
        assert.deepEqual(requests(s.server, 'getFileUploadLimits'), [], 'the push was enough');
        assert.deepEqual(requests(s.server, 'uploadFile'), []);
        assert.deepEqual(s.server.log.uploads, []);
      });

      it('asks for the limits when none were pushed, once', async () => {
        s.server.options.uploadLimits = { maxSize: null, extensions: { mode: 'allow', list: ['png', 'jpg'] } };
        assert.equal(s.files.limits, undefined);
        const script = countingSource('build.sh', 10);
        await assert.rejects(s.files.sendFile({ chatId, source: script }), (err) =>
          isTrueConfError(err, 'limit') && err.message === 'This server accepts only .png, .jpg files.',
        );
        await s.files.sendFile({ chatId, source: fileSourceFromBuffer('shot.PNG', Buffer.from('png')) });
        assert.equal(requests(s.server, 'getFileUploadLimits').length, 1);
        assert.equal(script.opened, 0);
        assert.equal(fileMessages(s.server, chatId).length, 1);
      });

      it('stops the upload when cancelled: the server gets no complete body and no file is posted', async () => {
        const size = 16 * 1024 * 1024;
        await writeRandomFile(join(s.dir, 'cancel.bin'), size);
        const controller = new AbortController();
        let sentAtAbort = 0;
        const sending = s.files.sendFile({
          chatId,
          source: await fileSourceFromPath(join(s.dir, 'cancel.bin')),
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'uploading' && p.sent >= 1024 * 1024 && !controller.signal.aborted) {
              sentAtAbort = p.sent;
              controller.abort();
            }
          },
        });
        await assert.rejects(sending, (err) => isTrueConfError(err, 'cancelled'));
        assert.ok(sentAtAbort > 0 && sentAtAbort < size, 'cancelled mid-stream');
        const upload = await s.server.waitFor(() => s.server.log.uploads.find((u) => u.error !== undefined));
        assert.equal(upload.status, 0);
        assert.equal(upload.temporalFileId, undefined);
        assert.ok(upload.bytes < size);
        assert.deepEqual(requests(s.server, 'sendFile'), []);
      });

      it('reports an upload cut off by the server as interrupted and retryable, and posts nothing', async () => {
        s.server.faults.closeMidUpload(64 * 1024);
        await writeRandomFile(join(s.dir, 'cut.bin'), 1024 * 1024);
        await assert.rejects(s.files.sendFile({ chatId, source: await fileSourceFromPath(join(s.dir, 'cut.bin')) }), (err) =>
          isTrueConfError(err, 'unreachable') && /^The upload of "cut\.bin" was interrupted; you can send it again\./.test(err.message),
        );
        assert.deepEqual(requests(s.server, 'sendFile'), []);
        assert.ok(s.server.log.uploads.every((u) => u.status !== 200));
      });

      it('shows the server’s own reason when it refuses the upload', async () => {
        await assert.rejects(uploadBytes(s.http, s.endpoints, 'no-such-task', fileSourceFromBuffer('a.txt', Buffer.from('a'))), (err) => {
          const reason = s.server.log.uploads[0].error;
          return isTrueConfError(err, 'uploadRejected') && err.message === `The server refused the upload: ${reason} (error 310)` && err.details.status === 400;
        });
      });

      it('refuses a file that changed size after it was measured, and posts nothing', async () => {
        const source: FileSource = { name: 'growing.log', size: 1000, open: () => Readable.from([Buffer.alloc(1000), Buffer.alloc(500)]) };
        await assert.rejects(s.files.sendFile({ chatId, source }), (err) =>
          isTrueConfError(err, 'uploadRejected') && err.message.startsWith('"growing.log" grew while it was being sent'),
        );
        assert.deepEqual(requests(s.server, 'sendFile'), []);
        assert.ok(s.server.log.uploads.every((u) => u.status !== 200));
      });

      it('does not send again when the connection drops after sendFile went out, and says the outcome is unknown', async () => {
        s.server.faults.omitResponses('sendFile');
        const sending = s.files.sendFile({ chatId, source: fileSourceFromBuffer('once.txt', Buffer.from('once')) });
        await s.server.waitFor(() => requests(s.server, 'sendFile').length === 1);
        const reconnected = once(s.channel.onDidAuthenticate);
        s.server.faults.dropAllSockets();
        await assert.rejects(sending, (err) =>
          isTrueConfError(err, 'unreachable') && /the file may or may not have been sent; check the chat/.test(err.message),
        );
        await reconnected;
        await s.channel.request('getUserDisplayName', { userId: s.server.userId('bob') });
        assert.equal(requests(s.server, 'sendFile').length, 1);
      });
    });

    describe('getFileInfo and waitUntilReady', () => {
      it('normalises the file info of this dialect', async () => {
        const data = randomBytes(1000);
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'photo.jpg', data, mimeType: 'image/jpeg' });
        const info = await s.files.getFileInfo(fileId);
        assert.equal(info.fileId, fileId);
        assert.equal(info.name, 'photo.jpg');
        assert.equal(info.size, 1000);
        assert.equal(info.mimeType, 'image/jpeg');
        assert.equal(info.readyState, 2);
        assert.match(info.downloadUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\//);
        assert.deepEqual(info.previews, []);

        const withPreview = await s.server.sendFile('bob', chatId, {
          name: 'pic.png',
          data,
          preview: { name: 'pic-preview.webp', data: Buffer.from('webp'), mimeType: 'image/webp' },
        });
        const previews = (await s.files.getFileInfo(withPreview.fileId)).previews;
        assert.equal(previews.length, 1);
        assert.equal(previews[0].name, 'pic-preview.webp');
        assert.equal(previews[0].size, 4);
      });

      it('follows the upload progress of a file still arriving, then returns it ready; listeners are released', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'slow.bin', data: randomBytes(50_000), uploadMs: 600 });
        const progress: number[] = [];
        const info = await s.files.waitUntilReady(fileId, { onProgress: (bytes, total) => (assert.equal(total, 50_000), progress.push(bytes)) });
        assert.equal(info.readyState, 2);
        assert.ok(info.downloadUrl);
        assert.ok(progress.length >= 2, `progress events: ${progress.join(', ')}`);
        assert.ok(isNonDecreasing(progress));
        assert.equal(progress.at(-1), 50_000);
        const methods = s.server.log.requests.map((r) => r.method).filter((m) => m.endsWith('FileProgress'));
        assert.deepEqual(methods, ['subscribeFileProgress', 'unsubscribeFileProgress']);
        assert.equal(s.channel.listenerCount('uploadFileProgress') + s.channel.listenerCount('uploadingProgress'), 0);
      });

      it('returns a ready file without subscribing', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'done.txt', data: Buffer.from('done') });
        assert.equal((await s.files.waitUntilReady(fileId)).readyState, 2);
        assert.deepEqual(requests(s.server, 'subscribeFileProgress'), []);
      });

      it('reports a file the server no longer has', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'gone.pdf', data: Buffer.from('x'), notAvailable: true });
        await assert.rejects(s.files.waitUntilReady(fileId), (err) =>
          isTrueConfError(err, 'fileNotReady') && err.message === '"gone.pdf" is no longer available on the server.',
        );
        assert.deepEqual(requests(s.server, 'subscribeFileProgress'), []);
      });

      it('stops waiting when cancelled, unsubscribes and releases its listeners', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'long.bin', data: randomBytes(10_000), uploadMs: 20_000 });
        const controller = new AbortController();
        const waiting = s.files.waitUntilReady(fileId, { signal: controller.signal });
        await s.server.waitFor(() => requests(s.server, 'subscribeFileProgress').length === 1);
        controller.abort();
        await assert.rejects(waiting, (err) => isTrueConfError(err, 'cancelled'));
        await s.server.waitFor(() => requests(s.server, 'unsubscribeFileProgress').length === 1);
        assert.equal(s.channel.listenerCount('uploadFileProgress') + s.channel.listenerCount('uploadingProgress'), 0);
      });

      it('gives up when the upload makes no progress for timeoutMs', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'stuck.bin', data: randomBytes(10_000), uploadMs: 60_000 });
        await assert.rejects(s.files.waitUntilReady(fileId, { timeoutMs: 300 }), (err) =>
          isTrueConfError(err, 'fileNotReady') && /"stuck\.bin" is still being uploaded by its sender/.test(err.message),
        );
        await s.server.waitFor(() => requests(s.server, 'unsubscribeFileProgress').length === 1);
      });

      it('subscribes again after a reconnect while waiting', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'reconnect.bin', data: randomBytes(20_000), uploadMs: 1500 });
        let dropped = false;
        const info = await s.files.waitUntilReady(fileId, {
          onProgress: () => {
            if (!dropped) {
              dropped = true;
              s.server.faults.dropAllSockets();
            }
          },
        });
        assert.equal(info.readyState, 2);
        assert.ok(dropped);
        assert.equal(requests(s.server, 'subscribeFileProgress').length, 2);
      });
    });

    describe('download', () => {
      it('downloads a file byte for byte, leaving nothing else in the folder', async () => {
        const data = randomBytes(1024 * 1024 + 7);
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'data.bin', data });
        const dest = join(s.dir, 'data.bin');
        const info = await s.files.download(fileId, dest);
        assert.equal(info.fileId, fileId);
        assert.ok((await readFile(dest)).equals(data));
        assert.deepEqual(await strayFiles(s.dir, 'data.bin'), []);
        assert.deepEqual(
          s.server.log.downloads.map((d) => [d.fileId, d.status]),
          [[fileId, 200]],
        );
      });

      it('waits for the sender to finish uploading, then downloads', async () => {
        const data = randomBytes(40_000);
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'late.bin', data, uploadMs: 500 });
        const phases: string[] = [];
        await s.files.download(fileId, join(s.dir, 'late.bin'), { onProgress: (p) => phases.push(p.phase) });
        assert.ok((await readFile(join(s.dir, 'late.bin'))).equals(data));
        assert.deepEqual(
          phases.filter((p, i) => p !== phases[i - 1]),
          ['waiting', 'downloading'],
        );
      });

      it('refuses a web page served in place of the file', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'doc.pdf', data: Buffer.from('%PDF') });
        s.server.faults.downloadReturnsHtml(true);
        await assert.rejects(s.files.download(fileId, join(s.dir, 'doc.pdf')), (err) =>
          isTrueConfError(err, 'download') && /the server returned a web page instead of "doc\.pdf" — the link may have expired/i.test(err.message),
        );
        assert.deepEqual(await strayFiles(s.dir), []);
      });

      it('continues after the connection drops mid-download and still gets every byte', async () => {
        const data = randomBytes(2 * 1024 * 1024);
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'resume.bin', data });
        s.server.faults.closeMidDownload(300_000);
        await s.files.download(fileId, join(s.dir, 'resume.bin'));
        assert.ok((await readFile(join(s.dir, 'resume.bin'))).equals(data));
        const downloads = s.server.log.downloads;
        assert.equal(downloads.length, 2);
        const resumedAt = Number(/^bytes=(\d+)-$/.exec(downloads[1].range ?? '')?.[1] ?? 0);
        if (resumedAt > 0) {
          assert.equal(downloads[1].status, 206);
          assert.ok(resumedAt <= 300_000);
          assert.equal(resumedAt + downloads[1].bytes, data.length, 'the second request fetched only the rest');
        } else {
          assert.equal(downloads[1].bytes, data.length);
        }
        assert.deepEqual(await strayFiles(s.dir, 'resume.bin'), []);
      });

      it('refuses a file over maxBytes without downloading any of it', async () => {
        const { fileId } = await s.server.sendFile('bob', chatId, { name: 'cap.bin', data: randomBytes(10_000) });
        await assert.rejects(s.files.download(fileId, join(s.dir, 'cap.bin'), { maxBytes: 5000 }), (err) =>
          isTrueConfError(err, 'download') && err.message === '"cap.bin" is larger than the download limit of 4.9 KB.',
        );
        assert.deepEqual(s.server.log.downloads, []);
      });
    });

    it('onFileMessage reports file messages only', async () => {
      const received: IncomingFile[] = [];
      const subscription = onFileMessage(s.channel, (file) => received.push(file));
      await s.server.sendText('bob', chatId, 'a text first');
      const { fileId, messageId } = await s.server.sendFile('bob', chatId, { name: 'a.txt', data: Buffer.from('abc'), mimeType: 'text/plain' });
      await s.server.waitFor(() => received.length > 0);
      subscription.dispose();
      assert.equal(received.length, 1);
      const [file] = received;
      assert.equal(file.fileId, fileId);
      assert.equal(file.messageId, messageId);
      assert.equal(file.chatId, chatId);
      assert.equal(file.authorId, s.server.userId('bob'));
      assert.equal(file.name, 'a.txt');
      assert.equal(file.size, 3);
      assert.equal(file.mimeType, 'text/plain');
      assert.equal(file.readyState, dialect === 'live' ? 2 : undefined, 'readyState comes with the live dialect only');
    });
  });
}

describe('FileApi with special servers', () => {
  let s: FileSession | undefined;

  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('catches the final progress event when it arrives before the subscribe answer', async () => {
    // During the READY lag the file is complete but still reported as uploading: subscribing then
    // gets the single final event ahead of the answer, and nothing after it.
    s = await openSession({ progressBeforeSubscribeAnswer: true, readyLagMs: 1500 });
    const chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const { fileId } = await s.server.sendFile('bob', chatId, { name: 'early.bin', data: randomBytes(10_000), uploadMs: 100 });
    await s.server.waitFor(() => s?.server.fileState(fileId).progress === 10_000);
    const progress: number[] = [];
    const info = await s.files.waitUntilReady(fileId, { timeoutMs: 1000, onProgress: (bytes) => progress.push(bytes) });
    assert.equal(info.readyState, 2);
    assert.deepEqual(progress, [10_000]);
  });

  it('waits out a READY flip that lags the last progress event', async () => {
    s = await openSession({ readyLagMs: 1200 });
    const chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const { fileId } = await s.server.sendFile('bob', chatId, { name: 'lag.bin', data: randomBytes(10_000), uploadMs: 200 });
    const info = await s.files.waitUntilReady(fileId);
    assert.equal(info.readyState, 2);
    const after = s.server.log.requests.map((r) => r.method);
    const unsubscribeAt = after.indexOf('unsubscribeFileProgress');
    assert.ok(after.slice(unsubscribeAt).filter((m) => m === 'getFileInfo').length >= 2, 'polled getFileInfo until READY');
  });

  it('fetches download links that name another host from the configured server', async () => {
    s = await openSession({ downloadHost: '127.0.0.1:1' });
    const chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const data = randomBytes(5000);
    const { fileId } = await s.server.sendFile('bob', chatId, { name: 'moved.bin', data });
    assert.match((await s.files.getFileInfo(fileId)).downloadUrl ?? '', /^http:\/\/127\.0\.0\.1:1\//);
    await s.files.download(fileId, join(s.dir, 'moved.bin'));
    assert.ok((await readFile(join(s.dir, 'moved.bin'))).equals(data));
    assert.equal(s.server.log.downloads.length, 1, 'the request arrived at the configured server');
  });

  it('uses download links as given when rewriting is turned off', async () => {
    s = await openSession({ downloadHost: '127.0.0.1:1' }, { rewriteDownloadHost: false });
    const chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const { fileId } = await s.server.sendFile('bob', chatId, { name: 'moved.bin', data: randomBytes(10) });
    await assert.rejects(s.files.download(fileId, join(s.dir, 'moved.bin')), (err) => isTrueConfError(err, 'unreachable'));
    assert.deepEqual(s.server.log.downloads, []);
  });

  it('treats a server without getFileUploadLimits as having no limits', async () => {
    s = await openSession();
    const channel = s.channel;
    const oldServer: RpcChannel = {
      request: (method, payload, options) =>
        method === 'getFileUploadLimits' ? Promise.reject(apiError(method, 307, 'Unknown message')) : channel.request(method, payload, options),
      onNotification: (method, listener) => channel.onNotification(method, listener),
      onDidAuthenticate: channel.onDidAuthenticate,
    };
    const files = new FileApi(oldServer, s.http, s.endpoints, s.logger);
    const chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const sent = await files.sendFile({ chatId, source: fileSourceFromBuffer('any.exe', Buffer.from('MZ')) });
    assert.deepEqual(files.limits, NO_UPLOAD_LIMITS);
    assert.ok(s.server.fileBytes(sent.fileId).equals(Buffer.from('MZ')));
    files.dispose();
  });

  it('sends and receives a 200 MB file byte for byte (memory is measured by npm run bench)', async function () {
    this.timeout(120_000);
    s = await openSession();
    const chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const size = 200 * 1024 * 1024;
    const sourcePath = join(s.dir, 'big-source.bin');
    const sourceHash = await writeRandomFile(sourcePath, size);

    const sent = await s.files.sendFile({ chatId, source: await fileSourceFromPath(sourcePath) });
    assert.equal(await sha256File(s.server.filePath(sent.fileId)), sourceHash, 'the upload arrived intact');

    const { fileId } = await s.server.sendFile('bob', chatId, { name: 'big.bin', data: sourcePath });
    const dest = join(s.dir, 'big-download.bin');
    await s.files.download(fileId, dest);
    assert.equal(await sha256File(dest), sourceHash, 'the download arrived intact');

    assert.deepEqual(await strayFiles(s.dir, 'big-source.bin', 'big-download.bin'), []);
  });
});

