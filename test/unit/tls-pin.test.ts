/**
 * Per-server trust of one certificate (`TlsOptions.pinnedFingerprint256`): a server whose
 * certificate does not verify is accepted while it presents exactly the pinned certificate, for
 * the token, the WebSocket, uploads and downloads; a different certificate is refused right
 * after the TLS handshake, with a message naming both fingerprints, and nothing is sent.
 */
import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from '../../src/common/event';
import { MemoryLogger } from '../../src/common/logger';
import { ConnectionState, TrueConfClient } from '../../src/trueconf/client';
import { downloadToFile } from '../../src/trueconf/download';
import { parseServerAddress } from '../../src/trueconf/endpoints';
import type { TrueConfError } from '../../src/trueconf/errors';
import { FileApi } from '../../src/trueconf/files';
import { HttpTransport, TlsOptions } from '../../src/trueconf/http';
import { RpcSocket } from '../../src/trueconf/rpc';
import { CertificateChangedError, isCertificateChangedError } from '../../src/trueconf/tls';
import { fetchToken } from '../../src/trueconf/token';
import { fileSourceFromBuffer, uploadBytes } from '../../src/trueconf/upload';
import { FakeTrueConfServer } from '../fake-server';
import { rejection } from './helpers/rejection';
import { caSigned, fingerprintOf, otherSelfSigned, selfSigned, startByteCountingTlsServer, testCa } from './helpers/tls-fixtures';
import { waitUntil } from './helpers/transport-servers';

const PINNED = fingerprintOf(selfSigned());
const OTHER = fingerprintOf(otherSelfSigned());

/** The message promised to the user: host, both fingerprints abbreviated, nothing sent. */
function assertChanged(err: TrueConfError, was = PINNED, now = OTHER): void {
  assert.equal(err.kind, 'certificate');
  assert.ok(err instanceof CertificateChangedError, `a CertificateChangedError, not ${err.name}: ${err.message}`);
  assert.ok(isCertificateChangedError(err));
  const short = (fp: string) => `${fp.slice(0, 23)}…`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(err.message, new RegExp(`^The certificate of 127\\.0\\.0\\.1:\\d+ has changed since you trusted it \\(was ${short(was)}, now ${short(now)}\\)\\. Nothing was sent\\.`));
  assert.equal(err.pinnedFingerprint256, was);
  assert.equal(err.presented.fingerprint256, now);
  assert.equal(err.presented.subject, 'CN=localhost');
}

describe('TLS: a pinned certificate (per-server trust)', () => {
  let dir: string;
  let cleanups: Array<() => Promise<unknown>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueconf-tls-pin-'));
    cleanups = [];
  });

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeServer(tls = selfSigned()): Promise<FakeTrueConfServer> {
    const server = await FakeTrueConfServer.start({ tls });
    cleanups.push(() => server.stop());
    return server;
  }

  function transport(tls: TlsOptions): HttpTransport {
    const http = new HttpTransport(tls);
    cleanups.push(() => http.close());
    return http;
  }

  function client(server: FakeTrueConfServer, tls: TlsOptions): TrueConfClient {
    const c = new TrueConfClient({
      server: server.url,
      username: 'alice',
      password: 'alice-pass',
      tls,
      logger: new MemoryLogger(),
      requestTimeoutMs: 5000,
      backoff: { initialMs: 20, maxMs: 100, jitterMs: 0 },
      random: () => 0,
    });
    cleanups.push(() => c.close());
    return c;
  }

  async function fileFromBob(server: FakeTrueConfServer, chatId: string, text: string): Promise<string> {
    const { fileId, ready } = await server.sendFile('bob', chatId, { name: 'notes.txt', data: Buffer.from(text) });
    await ready;
    return fileId;
  }

  describe('the pinned certificate is accepted', () => {
    it('for signing in (token + WebSocket), an upload and a download — without any ca', async () => {
      const server = await fakeServer();
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      const c = client(server, { pinnedFingerprint256: PINNED });
      await c.connect();
      assert.equal(c.state.kind, 'connected');
      assert.equal(server.log.tokenRequests.length, 1);

      const files = new FileApi(c, c.http, parseServerAddress(server.url));
      cleanups.push(async () => files.dispose());
      await files.sendFile({ chatId, source: fileSourceFromBuffer('a.txt', Buffer.from('up')) });
      assert.equal(server.log.uploads.length, 1);
      const dest = join(dir, 'b.txt');
      await files.download(await fileFromBob(server, chatId, 'down'), dest);
      assert.equal(await readFile(dest, 'utf8'), 'down');
    });

    it('written in lower case without colons', async () => {
      const server = await fakeServer();
      const token = await fetchToken(transport({ pinnedFingerprint256: PINNED.replace(/:/g, '').toLowerCase() }), parseServerAddress(server.url), 'alice', 'alice-pass');
      assert.ok(token.accessToken);
    });

    it('and so is a certificate that verifies as usual (with the ca), whatever the pin', async () => {
      const server = await fakeServer(caSigned());
      const c = client(server, { ca: testCa(), pinnedFingerprint256: OTHER });
      await c.connect();
      assert.equal(c.state.kind, 'connected');
    });

    it('even with rejectUnauthorized: true (the pin is the per-server exception)', async () => {
      const server = await fakeServer();
      const c = client(server, { rejectUnauthorized: true, pinnedFingerprint256: PINNED });
      await c.connect();
      assert.equal(c.state.kind, 'connected');
    });
  });

  describe('another certificate is refused with "has changed since you trusted it"', () => {
    it('for the token request, the WebSocket, an upload and a download; the server sees no request', async () => {
      const server = await fakeServer(otherSelfSigned());
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      const fileId = await fileFromBob(server, chatId, 'not for you');
      const endpoints = parseServerAddress(server.url);
      const http = transport({ pinnedFingerprint256: PINNED });

      assertChanged(await rejection(fetchToken(http, endpoints, 'alice', 'alice-pass')));
      assertChanged(await rejection(RpcSocket.open(server.wsUrl, { tls: http.webSocketTlsOptions() })));
      assertChanged(await rejection(uploadBytes(http, endpoints, 'task-1', fileSourceFromBuffer('a.txt', Buffer.from('x')))));
      assertChanged(await rejection(downloadToFile(http, server.downloadUrlFor(fileId), join(dir, 'x.txt'))));

      assert.deepEqual(server.log.http, [], 'no HTTP request and no WebSocket upgrade reached the server');
      assert.equal(server.log.tokenRequests.length, 0);
      assert.equal(server.log.uploads.length, 0);
      assert.equal(server.log.downloads.length, 0);
    });

    it('and signing in fails for good (no retries), without a token request', async () => {
      const server = await fakeServer(otherSelfSigned());
      const c = client(server, { pinnedFingerprint256: PINNED });
      assertChanged(await rejection(c.connect()));
      const state = c.state;
      assert.ok(state.kind === 'failed' && isCertificateChangedError(state.error));
      assert.equal(server.log.tokenRequests.length, 0);
      assert.deepEqual(server.log.http, []);
    });

    it('not one byte is written after the handshake (HTTP and WebSocket); the matching pin does write', async () => {
      const peer = await startByteCountingTlsServer(otherSelfSigned());
      cleanups.push(() => peer.close());
      const origin = `https://127.0.0.1:${peer.port}`;

      const wrong = transport({ pinnedFingerprint256: PINNED });
      assertChanged(await rejection(wrong.request(`${origin}/bridge/api/client/v1/oauth/token`, { method: 'POST', body: 'password=secret' })));
      assertChanged(await rejection(RpcSocket.open(`wss://127.0.0.1:${peer.port}/websocket/chat_bot/`, { tls: wrong.webSocketTlsOptions() })));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(peer.connections(), 2, 'both connected and shook hands');
      assert.equal(peer.received(), 0, 'bytes written after the handshake');

      // The control: with the right pin the same request does arrive.
      const right = transport({ pinnedFingerprint256: OTHER });
      const controller = new AbortController();
      const sent = right.request(`${origin}/x`, { method: 'GET', signal: controller.signal });
      await waitUntil(() => peer.received() > 0, 'the request to arrive');
      controller.abort();
      assert.equal((await rejection(sent)).kind, 'cancelled');
    });
  });

  describe('the server comes back on the same port with another certificate', () => {
    it('a connected client reports the change and sends nothing: no token, no upgrade, no upload, no download', async () => {
      const server = await fakeServer();
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      const fileId = await fileFromBob(server, chatId, 'before the change');
      const c = client(server, { pinnedFingerprint256: PINNED });
      await c.connect();
      const endpoints = parseServerAddress(server.url);
      const files = new FileApi(c, c.http, endpoints);
      cleanups.push(async () => files.dispose());
      await files.sendFile({ chatId, source: fileSourceFromBuffer('a.txt', Buffer.from('before')) });

      const before = {
        http: server.log.http.length,
        tokens: server.log.tokenRequests.length,
        requests: server.log.requests.length,
        uploads: server.log.uploads.length,
        downloads: server.log.downloads.length,
      };
      const failed = once(c.onDidChangeState, (s: ConnectionState) => s.kind === 'failed', AbortSignal.timeout(10_000));
      server.setCertificate(otherSelfSigned());
      await server.restart();

      const state = await failed;
      assert.ok(state.kind === 'failed');
      assertChanged(state.error);
      // The HTTP side of the same client, still holding a keep-alive pool: refused as well.
      assertChanged(await rejection(uploadBytes(c.http, endpoints, 'task-2', fileSourceFromBuffer('b.txt', Buffer.from('after')))));
      assertChanged(await rejection(downloadToFile(c.http, server.downloadUrlFor(fileId), join(dir, 'after.txt'))));
      // A fresh sign-in (no saved token) asks for no token either.
      const fresh = client(server, { pinnedFingerprint256: PINNED });
      assertChanged(await rejection(fresh.connect()));

      assert.deepEqual(
        {
          http: server.log.http.length,
          tokens: server.log.tokenRequests.length,
          requests: server.log.requests.length,
          uploads: server.log.uploads.length,
          downloads: server.log.downloads.length,
        },
        before,
        'the server saw nothing new',
      );

      // Back to the trusted certificate: the same client connects again.
      server.setCertificate(selfSigned());
      await server.restart();
      await c.connect();
      assert.equal(c.state.kind, 'connected');
    });
  });

  it('a pin is no trust for other servers: a client without it still verifies (per-server scope)', async () => {
    const trusted = await fakeServer();
    const other = await fakeServer(otherSelfSigned());
    await client(trusted, { pinnedFingerprint256: PINNED }).connect();
    const err = await rejection(client(other, {}).connect());
    assert.equal(err.kind, 'certificate');
    assert.ok(!isCertificateChangedError(err));
    assert.match(err.message, /is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    assert.equal(other.log.tokenRequests.length, 0);
  });
});
