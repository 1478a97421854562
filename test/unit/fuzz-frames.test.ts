/**
 * Storms of generated frames (seeded, so every run sends the same ones): the client must neither
 * crash nor leak, must ack exactly the frames the protocol says to ack, and must keep working.
 */
import * as assert from 'node:assert/strict';
import { getEventListeners, setMaxListeners } from 'node:events';
import type WebSocket from 'ws';
import { MemoryLogger } from '../../src/common/logger';
import { ChatApi } from '../../src/trueconf/chats';
import { ConnectionState, TrueConfClient } from '../../src/trueconf/client';
import { TrueConfError } from '../../src/trueconf/errors';
import { FileApi } from '../../src/trueconf/files';
import { HttpTransport } from '../../src/trueconf/http';
import { onFileMessage } from '../../src/trueconf/messages';
import { RpcSocket } from '../../src/trueconf/rpc';
import { FakeTrueConfServer } from '../fake-server';
import { Expectation, expectation, FrameFuzzer, FuzzFrame } from './helpers/frame-fuzzer';
import { clientCounts, fileApiCounts, ProcessTraps, socketCounts, trapProcessErrors } from './helpers/leak-probes';
import { rejection } from './helpers/rejection';
import { InlineServer, sendJson, startInlineServer, waitUntil } from './helpers/transport-servers';

const SENTINEL_ID = 4_000_000_000;

/** What RpcSocket writes for each kind of frame it ignores (rpc.ts `ignore`). */
const IGNORED = {
  notJson: 'is not JSON',
  notObject: 'is not a JSON object',
  unknownType: 'has an unknown type',
  requestWithoutId: 'is a request without a valid id',
  requestWithoutMethod: 'is a request without a method (acked, not dispatched)',
  unmatchedResponse: 'answers no waiting request',
} as const;

type Tally = Record<keyof typeof IGNORED, number>;

function ignoredCount(logger: MemoryLogger, what: string): number {
  return logger.lines.filter((l) => l.level === 'warn' && l.text.includes(` that ${what}: `)).length;
}

/** Count a frame under what the client should do with it; returns the id it must ack, if any. */
function account(e: Expectation, tally: Tally): number | undefined {
  switch (e.kind) {
    case 'notJson':
    case 'notObject':
    case 'unknownType':
    case 'requestWithoutId':
      tally[e.kind]++;
      return undefined;
    case 'request':
      if (!e.dispatched) {
        tally.requestWithoutMethod++;
      }
      return e.id;
    case 'response':
      tally.unmatchedResponse++; // corrected by the number of requests the storm answered
      return undefined;
  }
}

describe('fuzz: frames from the server', function () {
  // The storms take 1–3 s here; the margin is for a busy machine.
  this.timeout(60_000);

  let traps: ProcessTraps;

  beforeEach(() => {
    traps = trapProcessErrors();
  });

  afterEach(() => {
    traps.dispose();
  });

  describe('RpcSocket, over a real WebSocket', () => {
    let server: InlineServer | undefined;
    let socket: RpcSocket | undefined;

    afterEach(async () => {
      socket?.dispose();
      socket = undefined;
      await server?.close();
      server = undefined;
    });

    it('survives 10,000 generated frames: acks exactly the valid requests, settles every request, leaks no listener, keeps working', async () => {
      const FRAMES = 10_000;
      const acks: number[] = [];
      const probeIds: number[] = [];
      const unanswered = new Set<number>();
      server = await startInlineServer({
        onConnection: (ws) => {
          ws.on('message', (data) => {
            const frame = JSON.parse(String(data)) as { type: number; id: number; method?: string };
            if (frame.type === 2) {
              acks.push(frame.id);
            } else if (frame.method === 'probe') {
              probeIds.push(frame.id);
              unanswered.add(frame.id);
            } else {
              sendJson(ws, { type: 2, id: frame.id, payload: { ok: true } });
            }
          });
        },
      });
      const logger = new MemoryLogger();
      socket = await RpcSocket.open(`ws://127.0.0.1:${server.port}/websocket/chat_bot/`, {
        tls: new HttpTransport().webSocketTlsOptions(),
        logger,
        requestTimeoutMs: 120_000,
      });
      await waitUntil(() => server!.sockets.length === 1, 'the server to see the socket');
      const ws: WebSocket = server.sockets[0];
      const rpc = socket;
      const baseline = socketCounts(rpc);

      let dispatched = 0;
      const listener = rpc.onRequest((frame) => {
        dispatched++;
        if (dispatched % 7 === 0) {
          throw new Error('a listener bug');
        }
        JSON.stringify(frame.payload); // deep payloads make this throw RangeError: that is the listener's problem, not the socket's
      });
      const shared = new AbortController();
      setMaxListeners(0, shared.signal); // one abort listener per request in flight is expected; they must all be gone at the end
      let settledProbes = 0;
      const outcomes: Array<Promise<unknown>> = [];
      const probe = (n: number) =>
        outcomes.push(
          rpc.request('probe', { n }, { signal: shared.signal }).then(
            (value) => {
              settledProbes++;
              return value;
            },
            (err: unknown) => {
              settledProbes++;
              return err instanceof TrueConfError ? err : new Error(`not a TrueConfError: ${String(err)}`);
            },
          ),
        );

      const fuzzer = new FrameFuzzer(0x7e57c0de, () => [...unanswered], (id) => unanswered.delete(id));
      const tally: Tally = { notJson: 0, notObject: 0, unknownType: 0, requestWithoutId: 0, requestWithoutMethod: 0, unmatchedResponse: 0 };
      const expectedAcks: number[] = [];
      let expectedDispatches = 0;
      const kinds = new Map<string, number>();
      const deliver = (frame: FuzzFrame) => {
        kinds.set(frame.kind, (kinds.get(frame.kind) ?? 0) + 1);
        const e = expectation(frame);
        const ackId = account(e, tally);
        if (ackId !== undefined) {
          expectedAcks.push(ackId);
        }
        if (e.kind === 'request' && e.dispatched) {
          expectedDispatches++;
        }
        ws.send(frame.data, { binary: frame.binary });
      };

      for (let i = 0; i < FRAMES; i++) {
        // A few quarter-megabyte runs of token-like text: redacting one whole took ~15 s before.
        deliver(i % 2500 === 1250 ? { kind: 'redos', binary: false, data: 'eyJ-'.repeat(65_536) } : fuzzer.next());
        if (i % 40 === 0) {
          probe(i);
        }
        if (i % 250 === 249) {
          await waitUntil(() => acks.length >= expectedAcks.length, `the acks of the first ${i + 1} frames`, 20_000);
        }
      }
      // Frames are handled in order: once the sentinel is acked, every frame before it has been.
      deliver({ kind: 'sentinel', binary: false, data: JSON.stringify({ type: 1, id: SENTINEL_ID, method: 'sentinel' }) });
      await waitUntil(() => acks.includes(SENTINEL_ID), 'the sentinel ack', 20_000);

      assert.ok((kinds.get('request') ?? 0) > 1500 && (kinds.get('response') ?? 0) > 1000 && (kinds.get('binary-garbage') ?? 0) > 200, JSON.stringify([...kinds]));
      assert.equal(acks.length, expectedAcks.length, 'one ack per request frame with a valid id');
      assert.deepEqual(acks, expectedAcks, 'acks in order, ids as sent');
      assert.equal(dispatched, expectedDispatches, 'every acked request with a method reached the listener');
      const answeredByStorm = settledProbes;
      assert.ok(answeredByStorm > 10, `the storm answered ${answeredByStorm} of the client's requests`);
      tally.unmatchedResponse -= answeredByStorm;
      for (const key of Object.keys(IGNORED) as Array<keyof Tally>) {
        assert.equal(ignoredCount(logger, IGNORED[key]), tally[key], `warnings for frames that ${IGNORED[key]}`);
      }
      assert.match(logger.text, /A notification listener failed: a listener bug/);

      // Answer whatever the storm left waiting; answers to requests already settled are ignored.
      for (const id of probeIds) {
        sendJson(ws, { type: 2, id, payload: { errorCode: 0 } });
      }
      const settled = await Promise.all(outcomes);
      assert.equal(settled.length, 250);
      const oddities = settled.filter((o) => o instanceof Error && !(o instanceof TrueConfError));
      assert.deepEqual(oddities, [], 'every failed request failed with a TrueConfError');
      assert.equal(rpc.pendingCount, 0);
      assert.equal(getEventListeners(shared.signal, 'abort').length, 0, 'no abort listener left on the shared signal');

      listener.dispose();
      assert.deepEqual(socketCounts(rpc), baseline, 'listeners back to where they started');
      assert.equal(rpc.isOpen, true);
      assert.deepEqual(await rpc.request('final'), { ok: true }, 'a normal request still works');
      assert.deepEqual(traps.problems, []);
    });
  });

  describe('TrueConfClient with the file and chat listeners, through the fake server', () => {
    let server: FakeTrueConfServer;
    let client: TrueConfClient;

    afterEach(async () => {
      await client?.close();
      await server?.stop();
    });

    it('survives 3,000 generated text frames on a signed-in client: no reconnect, no leak, limits stay well-formed, requests work', async () => {
      const FRAMES = 3_000;
      server = await FakeTrueConfServer.start();
      const logger = new MemoryLogger();
      client = new TrueConfClient({ server: server.url, username: 'alice', password: 'alice-pass', logger, requestTimeoutMs: 20_000 });
      const states: ConnectionState[] = [];
      client.onDidChangeState((s) => states.push(s));
      await client.connect();
      const files = new FileApi(client, client.http, client.endpoints, logger);
      const chats = new ChatApi(client, logger);
      const received: unknown[] = [];
      const fileMessages = onFileMessage(client, (file) => received.push(file), logger);
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      await files.getFileUploadLimits();
      const baseline = { ...clientCounts(client), ...fileApiCounts(files) };

      // A file still arriving, so progress listeners are attached during the storm.
      const { fileId } = await server.sendFile('bob', chatId, { name: 'slow.bin', data: Buffer.alloc(4096), uploadMs: 60_000 });
      const stopWaiting = new AbortController();
      const waiting = rejection(files.waitUntilReady(fileId, { signal: stopWaiting.signal }));
      // Let the subscription be answered first: a storm answer under its id would end the wait early.
      await server.waitFor(() => server.log.requests.some((r) => r.method === 'subscribeFileProgress'));
      await client.request('getUserDisplayName', { userId: server.userId('bob') });

      const fuzzer = new FrameFuzzer(0xbadc0de, () => []);
      const expectedAcks = new Map<number, number>();
      let sent = 0;
      while (sent < FRAMES) {
        const frame = fuzzer.next();
        if (frame.binary) {
          continue; // the fake server sends text only; binary frames are the RpcSocket storm's
        }
        const e = expectation(frame);
        if (e.kind === 'request') {
          expectedAcks.set(e.id, (expectedAcks.get(e.id) ?? 0) + 1);
        }
        server.faults.sendRaw(frame.data as string, 'alice');
        sent++;
        if (sent % 100 === 0) {
          await client.request('getUserDisplayName', { userId: server.userId('bob') }).catch(() => undefined);
        }
      }
      server.faults.sendRaw(JSON.stringify({ type: 1, id: SENTINEL_ID, method: 'sentinel' }), 'alice');
      await server.waitFor(() => server.log.acks.some((a) => a.id === SENTINEL_ID), 20_000);

      const acked = new Map<number, number>();
      for (const { id } of server.log.acks) {
        acked.set(id, (acked.get(id) ?? 0) + 1);
      }
      const missing = [...expectedAcks].filter(([id, n]) => (acked.get(id) ?? 0) < n);
      assert.deepEqual(missing, [], 'every request frame with a valid id was acked');
      assert.deepEqual(
        states.map((s) => s.kind),
        ['connecting', 'connected'],
        'the storm never cost the connection',
      );
      assert.equal(server.log.requests.filter((r) => r.method === 'auth').length, 1);

      stopWaiting.abort();
      assert.equal((await waiting).kind, 'cancelled');
      fileMessages.dispose();
      await waitUntil(() => clientCounts(client)['socket.pending'] === 0, 'unsubscribeFileProgress to be answered');
      const afterwards = { ...clientCounts(client), ...fileApiCounts(files) };
      delete afterwards['client.on(sendMessage)'];
      const before = { ...baseline };
      delete before['client.on(sendMessage)'];
      assert.deepEqual(afterwards, before, 'listeners back to where they started');
      assert.equal(clientCounts(client)['client.on(sendMessage)'], undefined, 'the file message listener is gone');

      const limits = files.limits;
      assert.ok(
        limits === undefined ||
          ((limits.maxSize === null || (typeof limits.maxSize === 'number' && limits.maxSize > 0)) &&
            (limits.extensions === null || (['allow', 'block'].includes(limits.extensions.mode) && limits.extensions.list.every((e) => typeof e === 'string')))),
        `limits stay well-formed: ${JSON.stringify(limits)}`,
      );
      assert.ok(Array.isArray(await chats.getChats({ page: 1, count: 10 })), 'a normal request still works');
      files.dispose();
      assert.deepEqual(traps.problems, []);
    });
  });
});
