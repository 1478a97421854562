/**
 * Bad input from the network, on a signed-in client: each case is logged (without secrets) and
 * survived — the same client answers a normal request afterwards.
 *
 * Covered elsewhere and not repeated here (RpcSocket level, rpc.test.ts): non-JSON, non-objects,
 * type 7, unknown ids and id-less requests ("logs and survives non-JSON, …"); acks for unknown
 * methods ("acks every server request before any listener runs, …"); closing on an oversize frame
 * ("closes when a frame exceeds maxPayloadBytes"). Downloads that return a web page or stop early:
 * files.test.ts ("refuses a web page served in place of the file", "continues after the
 * connection drops mid-download and still gets every byte") and download.test.ts.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { once } from '../../src/common/event';
import { MemoryLogger } from '../../src/common/logger';
import { ConnectionState, TrueConfClient } from '../../src/trueconf/client';
import { onFileMessage } from '../../src/trueconf/messages';
import type { IncomingFile } from '../../src/trueconf/types';
import { FakeTrueConfServer } from '../fake-server';
import { FileSession, openSession } from './helpers/file-session';
import { strayFiles } from './helpers/files-on-disk';
import { startMiniTrueConf, MiniTrueConf } from './helpers/mini-trueconf';
import { rejection } from './helpers/rejection';
import { answerNextWith } from './helpers/scripted-answers';
import { waitUntil } from './helpers/transport-servers';

const BACKOFF = { initialMs: 20, maxMs: 100, jitterMs: 0 };

/** The reason part of each "Ignored a frame … that <reason>: <frame>" warning. */
function ignoredReasons(logger: MemoryLogger): string[] {
  return logger.lines.flatMap((l) => {
    const match = /^Ignored a frame from \S+ that (.+?): /.exec(l.text);
    return l.level === 'warn' && match ? [match[1]] : [];
  });
}

describe('robustness: bad input from the network', () => {
  describe('on a signed-in client (fake server)', () => {
    let s: FileSession;
    let chatId: string;

    beforeEach(async () => {
      s = await openSession();
      chatId = s.server.createChat({ type: 1, participants: ['alice', 'bob'] });
    });

    afterEach(async () => {
      await s.close();
      assert.ok(!s.logger.text.includes('alice-pass'), 'the password leaked into the log');
    });

    const authsSinceSetUp = () => s.server.log.requests.filter((r) => r.method === 'auth').length;

    it('logs and survives frames of unknown types (0, 3, "x"), broken JSON and answers to unknown ids, on the same connection', async () => {
      const frames = [
        '{"type":0,"id":11,"method":"sendMessage","payload":{}}',
        '{"type":3,"id":12,"payload":{}}',
        '{"type":"x","id":13,"method":"sendMessage"}',
        '{"type":1,"id":14,"method":',
        'not json at all',
        '[{"type":1,"id":15,"method":"sendMessage"}]',
        '{"type":2,"id":424242,"payload":{"errorCode":0}}',
        '{"type":2,"id":"abc","payload":{}}',
      ];
      for (const frame of frames) {
        s.server.faults.sendRaw(frame, 'alice');
      }
      const chats = await s.chats.getChats({ page: 1, count: 10 });
      assert.ok(chats.some((c) => c.chatId === chatId), 'a normal request still works');
      await waitUntil(() => ignoredReasons(s.logger).length === frames.length, 'a warning for each frame');
      assert.deepEqual(ignoredReasons(s.logger), [
        'has an unknown type',
        'has an unknown type',
        'has an unknown type',
        'is not JSON',
        'is not JSON',
        'is not a JSON object',
        'answers no waiting request',
        'answers no waiting request',
      ]);
      assert.deepEqual(
        s.server.log.acks.filter((a) => a.id >= 11 && a.id <= 15),
        [],
        'only requests (type 1) are acked',
      );
      assert.equal(authsSinceSetUp(), 0, 'no reconnect: the same connection carried on');
      assert.equal(s.server.connectionCount(), 1);
    });

    it('acks server requests with an unknown method (and a non-string one), logs them, and keeps working', async () => {
      s.server.faults.sendRaw(JSON.stringify({ type: 1, id: 31337, method: 'brandNewPush', payload: { what: 'unknown' } }), 'alice');
      s.server.faults.sendRaw(JSON.stringify({ type: 1, id: 31338, method: 42, payload: {} }), 'alice');
      await s.server.waitFor(() => s.server.log.acks.some((a) => a.id === 31338));
      assert.deepEqual(
        s.server.log.acks.filter((a) => a.id >= 31337).map((a) => a.id),
        [31337, 31338],
      );
      assert.match(s.logger.text, /⇐ brandNewPush #31337 \(acked\)/);
      assert.deepEqual(ignoredReasons(s.logger), ['is a request without a method (acked, not dispatched)']);
      assert.ok(Array.isArray(await s.chats.getChats({ page: 1, count: 10 })));
      assert.equal(authsSinceSetUp(), 0);
    });

    it('turns a getFileInfo answer with a mistyped size or name into a protocol error for that request only', async () => {
      const { fileId } = await s.server.sendFile('bob', chatId, { name: 'twelve.txt', data: Buffer.from('hello world!') });
      const raw = (await s.channel.request('getFileInfo', { fileId })) as Record<string, unknown>;
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['size as text', { size: '12' }, '"size" should be a number'],
        ['name as a number', { name: 5 }, '"name" should be a string'],
      ];
      for (const [label, patch, problem] of cases) {
        const meanwhile = s.chats.getChats({ page: 1, count: 10 });
        const err = await rejection(answerNextWith(s.server, 'getFileInfo', { ...raw, ...patch }, () => s.files.getFileInfo(fileId)));
        assert.equal(err.kind, 'protocol', label);
        assert.equal(err.message, `The server sent an unexpected answer to getFileInfo: ${problem}.`, label);
        assert.ok(Array.isArray(await meanwhile), `${label}: a request in flight at the same time is unaffected`);
        const info = await s.files.getFileInfo(fileId);
        assert.deepEqual([info.name, info.size], ['twelve.txt', 12], `${label}: the next answer is read normally`);
      }
      assert.equal(authsSinceSetUp(), 0);
    });

    it('skips and logs a sendMessage notification whose content (or whole payload) is not an object; later file messages are still parsed', async () => {
      const received: IncomingFile[] = [];
      const subscription = onFileMessage(s.channel, (file) => received.push(file), s.logger);
      const envelope = (type: number, content: unknown) => ({
        messageId: `m-${type}`,
        chatId,
        timestamp: Date.now(),
        author: { id: s.server.userId('bob'), type: 1 },
        box: { id: 1, position: '0' },
        type,
        isEdited: false,
        content,
      });
      s.server.faults.sendRaw(JSON.stringify({ type: 1, id: 5001, method: 'sendMessage', payload: envelope(202, 'report.pdf') }), 'alice');
      s.server.faults.sendRaw(JSON.stringify({ type: 1, id: 5002, method: 'sendMessage', payload: envelope(2, ['report.pdf']) }), 'alice');
      s.server.faults.sendRaw(JSON.stringify({ type: 1, id: 5003, method: 'sendMessage', payload: 'report.pdf' }), 'alice');
      const { fileId } = await s.server.sendFile('bob', chatId, { name: 'later.txt', data: Buffer.from('abc') });
      await waitUntil(() => received.length === 1, 'the later file message');
      subscription.dispose();
      assert.equal(received[0].fileId, fileId);
      assert.equal(received[0].name, 'later.txt');
      const warnings = s.logger.lines.filter((l) => l.level === 'warn').map((l) => l.text);
      assert.deepEqual(warnings, [
        'Ignored a file message: The server sent an unexpected answer to a file message: "content" should be an object.',
        'Ignored a file message: The server sent an unexpected answer to a file message: "content" should be an object.',
        'Ignored a sendMessage notification whose payload is not a message (string).',
      ]);
      assert.deepEqual(
        s.server.log.acks.filter((a) => a.id >= 5001 && a.id <= 5003).map((a) => a.id),
        [5001, 5002, 5003],
      );
    });

    it('refuses a download that brings more bytes than getFileInfo announced: download error, no file left', async () => {
      const data = randomBytes(50_000);
      const { fileId } = await s.server.sendFile('bob', chatId, { name: 'more.bin', data });
      const raw = (await s.channel.request('getFileInfo', { fileId })) as Record<string, unknown>;
      const err = await rejection(answerNextWith(s.server, 'getFileInfo', { ...raw, size: 49_000 }, () => s.files.download(fileId, join(s.dir, 'more.bin'))));
      assert.equal(err.kind, 'download');
      assert.equal(err.message, 'The server sent more than the 49000 bytes "more.bin" should have.');
      assert.deepEqual(await strayFiles(s.dir), []);
    });

    it('refuses a download that brings fewer bytes than getFileInfo announced, after one resume, naming both sizes; no file left', async () => {
      const data = randomBytes(50_000);
      const { fileId } = await s.server.sendFile('bob', chatId, { name: 'less.bin', data });
      const raw = (await s.channel.request('getFileInfo', { fileId })) as Record<string, unknown>;
      const err = await rejection(answerNextWith(s.server, 'getFileInfo', { ...raw, size: 51_000 }, () => s.files.download(fileId, join(s.dir, 'less.bin'))));
      assert.equal(err.kind, 'download');
      assert.equal(err.message, 'The server has only 50000 bytes of "less.bin", not the 51000 it announced.');
      assert.deepEqual(
        s.server.log.downloads.map((d) => [d.status, d.range]),
        [
          [200, undefined],
          [416, 'bytes=50000-'],
        ],
        'one resume, then a clear error instead of a loop',
      );
      assert.deepEqual(await strayFiles(s.dir), []);
    });

    it('keeps a megabyte-long errorDescription out of the error message, and the connection working', async () => {
      const description = `wrong payload: ${'x'.repeat(1_000_000)}`;
      const err = await rejection(
        answerNextWith(s.server, 'getChats', { errorCode: 399, errorDescription: description }, () => s.channel.request('getChats', { page: 1, count: 10 })),
      );
      assert.equal(err.kind, 'api');
      assert.ok(err.message.length < 400, `the message is ${err.message.length} characters long`);
      // The run of x at the cut could be half a secret, so it is dropped rather than shown.
      assert.equal(err.message, 'getChats failed: wrong payload: wrong payload: … (1000015 chars) (code 399)');
      assert.ok(Array.isArray(await s.chats.getChats({ page: 1, count: 10 })));
    });

    it('logs a quarter-megabyte frame of token-like text quickly: redaction never runs over the whole frame', async () => {
      // JWT-shaped runs make the secret patterns quadratic: redacting this whole frame took ~15 s.
      const frame = 'eyJ-'.repeat(65_536);
      const started = Date.now();
      s.server.faults.sendRaw(frame, 'alice');
      assert.ok(Array.isArray(await s.chats.getChats({ page: 1, count: 10 })));
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 5000, `the frame held the client up for ${elapsed} ms`);
      assert.deepEqual(ignoredReasons(s.logger), ['is not JSON']);
      assert.match(s.logger.text, /… \(262144 chars\)/);
    });
  });

  describe('frames that drop the connection', () => {
    let logger: MemoryLogger;
    let client: TrueConfClient | undefined;
    let server: FakeTrueConfServer | undefined;
    let mini: MiniTrueConf | undefined;

    beforeEach(() => {
      logger = new MemoryLogger();
    });

    afterEach(async () => {
      await client?.close();
      await server?.stop();
      await mini?.close();
      client = undefined;
      server = undefined;
      mini = undefined;
    });

    function recordStates(c: TrueConfClient): ConnectionState[] {
      const states: ConnectionState[] = [];
      c.onDidChangeState((state) => states.push(state));
      return states;
    }

    it('drops a connection whose frame exceeds maxPayloadBytes (1009), reports it and reconnects: the request in flight fails, the next succeeds', async () => {
      server = await FakeTrueConfServer.start();
      client = new TrueConfClient({ server: server.url, username: 'alice', password: 'alice-pass', logger, backoff: BACKOFF, maxPayloadBytes: 64 * 1024 });
      const states = recordStates(client);
      await client.connect();
      const fake = server;
      fake.faults.omitResponses('getChats', 1);
      const inFlight = rejection(client.request('getChats', { page: 1, count: 10 }));
      await fake.waitFor(() => fake.log.requests.some((r) => r.method === 'getChats'));
      const serverSawClose = new Promise<{ code: number }>((resolve) => fake.once('close', resolve));
      const reconnected = once(client.onDidAuthenticate, (e) => e.reconnected, AbortSignal.timeout(5000));

      fake.faults.sendRaw(JSON.stringify({ type: 1, id: 77, method: 'sendMessage', payload: { text: 'x'.repeat(100_000) } }), 'alice');

      const err = await inFlight;
      assert.equal(err.kind, 'unreachable');
      assert.match(err.message, /Max payload size exceeded/);
      assert.equal((await serverSawClose).code, 1009);
      await reconnected;
      const reported = states.find((st) => st.kind === 'reconnecting');
      assert.ok(reported?.kind === 'reconnecting' && /Max payload size exceeded/.test(reported.lastError.message), 'the state says why');
      assert.match(logger.text, /WebSocket error from 127\.0\.0\.1:\d+: Max payload size exceeded/);
      assert.ok(Array.isArray(await client.request('getChats', { page: 1, count: 10 })));
      assert.equal(fake.connectionCount(), 1);
    });

    it('drops a connection whose text frame is not UTF-8 (1007), reports it and reconnects; the next request succeeds', async () => {
      mini = await startMiniTrueConf();
      client = new TrueConfClient({ server: mini.url, username: 'alice', password: 'alice-pass', logger, backoff: BACKOFF });
      const states = recordStates(client);
      await client.connect();
      const reconnected = once(client.onDidAuthenticate, (e) => e.reconnected, AbortSignal.timeout(5000));
      const serverSawClose = new Promise<number>((resolve) => mini!.server.sockets[0].once('close', (code) => resolve(code)));
      mini.server.sockets[0].send(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
      assert.equal(await serverSawClose, 1007);
      await reconnected;
      const reported = states.find((st) => st.kind === 'reconnecting');
      assert.ok(reported?.kind === 'reconnecting' && /invalid UTF-8 sequence/.test(reported.lastError.message), 'the state says why');
      assert.match(logger.text, /WebSocket error from 127\.0\.0\.1:\d+: Invalid WebSocket frame: invalid UTF-8 sequence/);
      assert.deepEqual(await client.request('getChats', { page: 1, count: 10 }), { errorCode: 0 });
      assert.equal(mini.server.sockets.length, 2);
    });
  });
});
