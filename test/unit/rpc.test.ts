import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type WebSocket from 'ws';
import { MemoryLogger } from '../../src/common/logger';
import { HttpTransport } from '../../src/trueconf/http';
import { RpcSocket, RpcSocketOptions } from '../../src/trueconf/rpc';
import type { RequestFrame } from '../../src/trueconf/types';
import { closedPort, InlineServer, InlineServerOptions, makeJwt, selfSignedTls, sendJson, startInlineServer, waitUntil } from './helpers/transport-servers';
import { rejection } from './helpers/rejection';

interface ClientFrame {
  type: number;
  id: number;
  method?: string;
  payload?: unknown;
}

describe('trueconf/rpc', () => {
  let server: InlineServer | undefined;
  let socket: RpcSocket | undefined;
  let logger: MemoryLogger;
  const plainTls = new HttpTransport().webSocketTlsOptions();

  beforeEach(() => {
    logger = new MemoryLogger();
  });

  afterEach(async () => {
    socket?.dispose();
    socket = undefined;
    await server?.close();
    server = undefined;
  });

  /** Start a server whose sockets answer requests with `answer` (undefined = stay silent). */
  async function open(
    answer: (frame: ClientFrame, ws: WebSocket) => unknown = () => ({ errorCode: 0 }),
    serverOptions: InlineServerOptions = {},
    socketOptions: Partial<RpcSocketOptions> = {},
  ): Promise<{ socket: RpcSocket; ws: WebSocket; frames: () => ClientFrame[] }> {
    server = await startInlineServer({
      ...serverOptions,
      onConnection: (ws) => {
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data)) as ClientFrame;
          if (frame.type !== 1) {
            return;
          }
          const payload = answer(frame, ws);
          if (payload !== undefined) {
            sendJson(ws, { type: 2, id: frame.id, payload });
          }
        });
      },
    });
    socket = await RpcSocket.open(`ws://127.0.0.1:${server.port}/websocket/chat_bot/`, { tls: plainTls, logger, ...socketOptions });
    await waitUntil(() => server!.sockets.length === 1, 'the server to see the socket');
    const inline = server;
    return { socket, ws: inline.sockets[0], frames: () => inline.frames[0] as ClientFrame[] };
  }

  describe('requests and responses', () => {
    it('offers json.v1 and numbers requests 1, 2, 3 on each socket', async () => {
      const { socket, ws, frames } = await open((f) => ({ errorCode: 0, echo: f.method }));
      assert.equal(ws.protocol, 'json.v1');
      await socket.request('auth', { token: 't' });
      await socket.request('getChats', { page: 1, count: 10 });
      await socket.request('getFileUploadLimits');
      assert.deepEqual(frames(), [
        { type: 1, id: 1, method: 'auth', payload: { token: 't' } },
        { type: 1, id: 2, method: 'getChats', payload: { page: 1, count: 10 } },
        { type: 1, id: 3, method: 'getFileUploadLimits' },
      ]);

      const second = await RpcSocket.open(`ws://127.0.0.1:${server!.port}/`, { tls: plainTls });
      try {
        await second.request('auth', {});
        await waitUntil(() => server!.frames[1]?.length === 1, 'the second socket to send');
        assert.equal((server!.frames[1][0] as ClientFrame).id, 1);
      } finally {
        second.dispose();
      }
    });

    it('matches answers that arrive out of order by id', async () => {
      const held: ClientFrame[] = [];
      const { socket, ws } = await open((f) => {
        held.push(f);
        if (held.length === 2) {
          sendJson(ws, { type: 2, id: held[1].id, payload: { name: held[1].method } });
          sendJson(ws, { type: 2, id: held[0].id, payload: { name: held[0].method } });
        }
        return undefined;
      });
      const [first, second] = await Promise.all([socket.request('first'), socket.request('second')]);
      assert.deepEqual([first, second], [{ name: 'first' }, { name: 'second' }]);
    });

    it('resolves with an array payload, and treats an absent errorCode as success', async () => {
      const { socket } = await open((f) => (f.method === 'getChats' ? [{ chatId: 'a' }, { chatId: 'b' }] : { result: true }));
      assert.deepEqual(await socket.request('getChats'), [{ chatId: 'a' }, { chatId: 'b' }]);
      assert.deepEqual(await socket.request('subscribeFileProgress'), { result: true });
    });

    it('rejects a non-zero errorCode with a typed error carrying the code and description', async () => {
      const { socket } = await open((f) =>
        f.method === 'getChatByID' ? { errorCode: 304, errorDescription: 'no such chat' } : { errorCode: 203 },
      );
      const notFound = await rejection(socket.request('getChatByID', { chatId: 'x' }));
      assert.equal(notFound.kind, 'api');
      assert.equal(notFound.details.code, 304);
      assert.equal(notFound.message, 'getChatByID failed: chat not found: no such chat (code 304)');
      assert.equal((await rejection(socket.request('sendMessage'))).kind, 'tokenExpired');
    });

    it('logs requests as "→ method #id" and answers as "← ... ok/errorCode", never the payload', async () => {
      const { socket } = await open((f) => (f.method === 'bad' ? { errorCode: 399 } : { downloadUrl: 'https://x/files?token=SECRETQUERY' }));
      await socket.request('auth', { token: 'SECRET-IN-PAYLOAD' });
      await rejection(socket.request('bad'));
      const text = logger.text;
      assert.match(text, /→ auth #1/);
      assert.match(text, /← auth #1 ok/);
      assert.match(text, /← bad #2 errorCode 399/);
      assert.ok(!text.includes('SECRET'), text);
    });
  });

  describe('server requests (notifications)', () => {
    it('acks every server request before any listener runs, including unknown methods and throwing listeners', async () => {
      const { socket, ws, frames } = await open((f) => (f.method === 'fromListener' ? {} : undefined));
      const seen: string[] = [];
      socket.onRequest((frame: RequestFrame) => {
        seen.push(frame.method);
        // Anything a listener sends must reach the server after the ack.
        void socket.request('fromListener', { after: frame.id });
        if (frame.method === 'sendMessage') {
          throw new Error('listener bug');
        }
      });
      sendJson(ws, { type: 1, id: 50, method: 'sendMessage', payload: { chatId: 'c' } });
      sendJson(ws, { type: 1, id: 51, method: 'somethingNew', payload: {} });
      sendJson(ws, { type: 1, id: 52, method: 'uploadFileProgress', payload: { fileId: 'f', progress: 1 } });
      await waitUntil(() => frames().length === 6, 'three acks and three listener requests');

      assert.deepEqual(
        frames().map((f) => (f.type === 2 ? `ack ${f.id}` : `${f.method} after ${(f.payload as { after: number }).after}`)),
        ['ack 50', 'fromListener after 50', 'ack 51', 'fromListener after 51', 'ack 52', 'fromListener after 52'],
      );
      assert.deepEqual(frames().filter((f) => f.type === 2), [{ type: 2, id: 50 }, { type: 2, id: 51 }, { type: 2, id: 52 }]);
      assert.deepEqual(seen, ['sendMessage', 'somethingNew', 'uploadFileProgress']);
      assert.match(logger.text, /listener failed: listener bug/);
    });

    it('acks a request that has an id but no method, without dispatching it', async () => {
      const { socket, ws, frames } = await open();
      const seen: unknown[] = [];
      socket.onRequest((frame) => seen.push(frame));
      sendJson(ws, { type: 1, id: 7, payload: {} });
      await waitUntil(() => frames().length === 1, 'the ack');
      assert.deepEqual(frames(), [{ type: 2, id: 7 }]);
      assert.deepEqual(seen, []);
    });
  });

  describe('frames that do not follow the protocol', () => {
    it('logs and survives non-JSON, non-objects, unknown types, unknown ids and id-less requests', async () => {
      const { socket, ws, frames } = await open();
      const jwt = makeJwt({ sub: 'alice', exp: 2_000_000_000 });
      const seen: unknown[] = [];
      socket.onRequest((frame) => seen.push(frame));
      ws.send(`{"broken": "${jwt}"`);
      ws.send('[1,2,3]');
      ws.send('"just a string"');
      sendJson(ws, { type: 7, id: 1 });
      sendJson(ws, { type: 2, id: 999, payload: {} });
      sendJson(ws, { type: 2, payload: {} });
      sendJson(ws, { type: 1, method: 'sendMessage' });
      sendJson(ws, { type: 1, id: -1, method: 'sendMessage' });
      ws.send(Buffer.from(`{"type":1,"id":3,"method":"x","payload":"${'y'.repeat(500)}"`));

      assert.deepEqual(await socket.request('stillWorks'), { errorCode: 0 });
      await waitUntil(() => logger.lines.filter((l) => l.level === 'warn').length === 9, 'nine warnings');
      assert.equal(socket.isOpen, true);
      assert.deepEqual(seen, []);
      assert.deepEqual(frames().map((f) => f.method ?? `ack ${f.id}`), ['stillWorks'], 'nothing acked that had no valid id');
      const text = logger.text;
      assert.match(text, /is not JSON/);
      assert.match(text, /has an unknown type/);
      assert.match(text, /answers no waiting request/);
      assert.match(text, /request without a valid id/);
      assert.match(text, /… \(\d+ chars\)/, 'long frames are truncated');
      assert.ok(!text.includes(jwt), 'a token inside a malformed frame is masked');
    });
  });

  describe('timeouts and cancellation', () => {
    it('rejects a request that gets no answer with timeout, and the socket stays usable', async () => {
      const { socket } = await open((f) => (f.method === 'slow' ? undefined : { ok: true }));
      const err = await rejection(socket.request('slow', {}, { timeoutMs: 50 }));
      assert.equal(err.kind, 'timeout');
      assert.equal(err.message, 'slow got no answer within 0.05 s');
      assert.equal(socket.pendingCount, 0);
      assert.deepEqual(await socket.request('fast'), { ok: true });
    });

    it('ignores (and logs) an answer that arrives after its request timed out', async () => {
      const { socket, ws, frames } = await open(() => undefined);
      await rejection(socket.request('slow', {}, { timeoutMs: 30 }));
      sendJson(ws, { type: 2, id: frames()[0].id, payload: {} });
      await waitUntil(() => /answers no waiting request/.test(logger.text), 'the late answer to be logged');
      assert.equal(socket.isOpen, true);
    });

    it('rejects with cancelled when the signal aborts, and does not send an already-aborted request', async () => {
      const { socket, frames } = await open(() => undefined);
      const controller = new AbortController();
      const pending = socket.request('slow', {}, { signal: controller.signal });
      await waitUntil(() => frames().length === 1, 'the request to be sent');
      controller.abort();
      assert.equal((await rejection(pending)).kind, 'cancelled');
      assert.equal(socket.pendingCount, 0);

      assert.equal((await rejection(socket.request('never', {}, { signal: AbortSignal.abort() }))).kind, 'cancelled');
      assert.deepEqual(frames().map((f) => f.method), ['slow']);
    });
  });

  describe('closing', () => {
    it('rejects pending requests with unreachable when the server drops the connection', async () => {
      const { socket, ws } = await open(() => undefined);
      const pending = socket.request('getChats');
      const alsoPending = socket.request('getChatByID');
      ws.terminate();
      const [a, b] = await Promise.all([rejection(pending), rejection(alsoPending)]);
      assert.equal(a.kind, 'unreachable');
      assert.equal(b.kind, 'unreachable');
      assert.equal((await socket.closed).kind, 'unreachable');
      assert.equal((await rejection(socket.request('afterwards'))).kind, 'unreachable');
    });

    it('rejects pending requests with closed on close(), sending a normal close frame', async () => {
      const { socket, ws } = await open(() => undefined);
      const serverSawClose = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      const pending = rejection(socket.request('getChats'));
      await socket.close();
      assert.equal((await pending).kind, 'closed');
      assert.equal(await serverSawClose, 1000);
    });

    it('reports a close whose reason mentions the connection limit as connectionLimit', async () => {
      const { socket, ws } = await open(() => undefined);
      const pending = socket.request('auth');
      ws.close(1008, 'too many connections');
      assert.equal((await rejection(pending)).kind, 'connectionLimit');
    });

    it('closes when a frame exceeds maxPayloadBytes', async () => {
      const { socket, ws } = await open(() => undefined, {}, { maxPayloadBytes: 1024 });
      sendJson(ws, { type: 1, id: 1, method: 'big', payload: 'x'.repeat(4096) });
      const reason = await socket.closed;
      assert.equal(reason.kind, 'unreachable');
      assert.match(reason.message, /Max payload size exceeded/);
    });
  });

  describe('heartbeat', () => {
    it('keeps a connection whose peer answers pings', async () => {
      let pings = 0;
      const { socket, ws } = await open(undefined, {}, { pingIntervalMs: 20, pongTimeoutMs: 50 });
      ws.on('ping', () => pings++);
      await waitUntil(() => pings >= 5, 'five pings');
      assert.equal(socket.isOpen, true);
    });

    it('drops a connection whose peer stops answering pings, rejecting what was pending', async () => {
      const { socket } = await open(() => undefined, { autoPong: false }, { pingIntervalMs: 20, pongTimeoutMs: 40 });
      const pending = socket.request('getChats', {}, { timeoutMs: 10_000 });
      const err = await rejection(pending);
      assert.equal(err.kind, 'unreachable');
      assert.match(err.message, /stopped answering \(no pong within 0\.04 s\)/);
      assert.equal(socket.isOpen, false);
    });
  });

  describe('opening', () => {
    const url = (s: InlineServer) => `${s.origin.replace(/^http/, 'ws')}/websocket/chat_bot/`;

    it('maps a refused upgrade (404 page) to notTrueConf', async () => {
      server = await startInlineServer({ refuseUpgrade: 404 });
      const err = await rejection(RpcSocket.open(url(server), { tls: plainTls }));
      assert.equal(err.kind, 'notTrueConf');
      assert.equal(err.details.status, 404);
      assert.match(err.message, /answered, but not as a TrueConf Server/);
    });

    it('maps a 200 answer to the upgrade (a web site) to notTrueConf', async () => {
      server = await startInlineServer({ refuseUpgrade: 200 });
      assert.equal((await rejection(RpcSocket.open(url(server), { tls: plainTls }))).kind, 'notTrueConf');
    });

    it('maps 503 and 429 to connectionLimit', async () => {
      for (const status of [503, 429]) {
        server = await startInlineServer({ refuseUpgrade: status });
        const err = await rejection(RpcSocket.open(url(server), { tls: plainTls }));
        assert.equal(err.kind, 'connectionLimit', String(status));
        assert.match(err.message, /too many connections/);
        await server.close();
        server = undefined;
      }
    });

    it('maps a refused TCP connection to unreachable', async () => {
      const err = await rejection(RpcSocket.open(`ws://127.0.0.1:${await closedPort()}/websocket/chat_bot/`, { tls: plainTls }));
      assert.equal(err.kind, 'unreachable');
      assert.match(err.message, /refused the connection/);
    });

    it('maps a handshake that never completes to timeout', async () => {
      // A plain TCP peer that accepts and says nothing.
      const accepted: net.Socket[] = [];
      const silent = net.createServer((conn) => accepted.push(conn));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const port = (silent.address() as { port: number }).port;
        const err = await rejection(RpcSocket.open(`ws://127.0.0.1:${port}/`, { tls: plainTls, handshakeTimeoutMs: 100 }));
        assert.equal(err.kind, 'timeout');
      } finally {
        accepted.forEach((conn) => conn.destroy());
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it('stops opening when the signal aborts', async () => {
      const controller = new AbortController();
      server = await startInlineServer();
      controller.abort();
      assert.equal((await rejection(RpcSocket.open(url(server), { tls: plainTls }, controller.signal))).kind, 'cancelled');
    });

    it('refuses a self-signed certificate by default and accepts it as ca', async () => {
      const tls = selfSignedTls();
      server = await startInlineServer({ tls });
      const err = await rejection(RpcSocket.open(url(server), { tls: plainTls }));
      assert.equal(err.kind, 'certificate');

      socket = await RpcSocket.open(url(server), { tls: new HttpTransport({ ca: tls.cert }).webSocketTlsOptions() });
      assert.equal(socket.isOpen, true);
    });
  });
});
