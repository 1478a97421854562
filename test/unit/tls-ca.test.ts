/**
 * `trueconf.tls.caFile`: a server whose certificate an in-house CA signed. Verification is on by
 * default, so it is refused — for the token, the WebSocket, the upload and the download alike —
 * and trusted once the CA's PEM is given as `ca` (what the extension reads from the file).
 */
import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../src/common/logger';
import { TrueConfClient } from '../../src/trueconf/client';
import { downloadToFile } from '../../src/trueconf/download';
import { parseServerAddress } from '../../src/trueconf/endpoints';
import { FileApi } from '../../src/trueconf/files';
import { HttpTransport, TlsOptions } from '../../src/trueconf/http';
import { RpcSocket } from '../../src/trueconf/rpc';
import { fetchToken } from '../../src/trueconf/token';
import { fileSourceFromBuffer, uploadBytes } from '../../src/trueconf/upload';
import { FakeTrueConfServer } from '../fake-server';
import { rejection } from './helpers/rejection';
import { caSigned, selfSigned, testCa } from './helpers/tls-fixtures';

const NOT_TRUSTED = /^The certificate of 127\.0\.0\.1:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\.$/;

describe('TLS: a certificate signed by an in-house CA (trueconf.tls.caFile)', () => {
  let server: FakeTrueConfServer;
  let dir: string;
  let transports: HttpTransport[];
  let clients: TrueConfClient[];
  let chatId: string;

  before(async () => {
    server = await FakeTrueConfServer.start({ tls: caSigned() });
    chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    dir = await mkdtemp(join(tmpdir(), 'trueconf-tls-ca-'));
  });

  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    transports = [];
    clients = [];
    server.clearLog();
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(transports.map((t) => t.close()));
  });

  function transport(tls?: TlsOptions): HttpTransport {
    const http = new HttpTransport(tls);
    transports.push(http);
    return http;
  }

  function client(tls?: TlsOptions): TrueConfClient {
    const c = new TrueConfClient({ server: server.url, username: 'alice', password: 'alice-pass', tls, logger: new MemoryLogger(), requestTimeoutMs: 5000 });
    clients.push(c);
    return c;
  }

  /** A file bob sent alice, ready to download. */
  async function fileFromBob(text: string): Promise<string> {
    const { fileId, ready } = await server.sendFile('bob', chatId, { name: 'notes.txt', data: Buffer.from(text) });
    await ready;
    return fileId;
  }

  const endpoints = () => parseServerAddress(server.url);

  for (const [what, tls] of [
    ['by default', undefined],
    ['with rejectUnauthorized: true', { rejectUnauthorized: true }],
    // The self-signed fixture is a CA certificate too, but not the one that signed the server's.
    ['with a ca that did not sign it', { ca: selfSigned().cert }],
  ] as const) {
    describe(`refused ${what}, before any request reaches the server`, () => {
      it('the token request', async () => {
        const err = await rejection(fetchToken(transport(tls), endpoints(), 'alice', 'alice-pass'));
        assert.equal(err.kind, 'certificate');
        assert.match(err.message, NOT_TRUSTED);
        assert.equal(server.log.tokenRequests.length, 0);
        assert.equal(server.log.http.length, 0);
      });

      it('the WebSocket', async () => {
        const err = await rejection(RpcSocket.open(server.wsUrl, { tls: transport(tls).webSocketTlsOptions() }));
        assert.equal(err.kind, 'certificate');
        assert.match(err.message, NOT_TRUSTED);
        assert.equal(server.log.http.length, 0, 'no upgrade request');
      });

      it('the upload', async () => {
        const err = await rejection(uploadBytes(transport(tls), endpoints(), 'task-1', fileSourceFromBuffer('a.txt', Buffer.from('hello'))));
        assert.equal(err.kind, 'certificate');
        assert.match(err.message, NOT_TRUSTED);
        assert.equal(server.log.uploads.length, 0);
      });

      it('the download', async () => {
        const fileId = await fileFromBob('secret notes');
        const err = await rejection(downloadToFile(transport(tls), server.downloadUrlFor(fileId), join(dir, 'refused.txt')));
        assert.equal(err.kind, 'certificate');
        assert.match(err.message, NOT_TRUSTED);
        assert.equal(server.log.downloads.length, 0);
        await assert.rejects(readFile(join(dir, 'refused.txt')), { code: 'ENOENT' });
      });

      it('signing in (a fatal failure: no retries)', async () => {
        const c = client(tls);
        const err = await rejection(c.connect());
        assert.equal(err.kind, 'certificate');
        assert.equal(c.state.kind, 'failed');
        assert.equal(server.log.tokenRequests.length, 0);
      });
    });
  }

  describe("trusted with the CA's PEM as ca", () => {
    const tls = (): TlsOptions => ({ ca: testCa() });

    it('the token request', async () => {
      const token = await fetchToken(transport(tls()), endpoints(), 'alice', 'alice-pass');
      assert.match(token.accessToken, /^ey/);
      assert.equal(server.log.tokenRequests.length, 1);
    });

    it('the WebSocket', async () => {
      const socket = await RpcSocket.open(server.wsUrl, { tls: transport(tls()).webSocketTlsOptions() });
      try {
        assert.ok(socket.isOpen);
      } finally {
        await socket.close();
      }
    });

    it('signing in, an upload and a download through one client', async () => {
      const c = client(tls());
      await c.connect();
      assert.equal(c.state.kind, 'connected');
      const files = new FileApi(c, c.http, endpoints());
      try {
        await files.sendFile({ chatId, source: fileSourceFromBuffer('report.txt', Buffer.from('uploaded over TLS')) });
        assert.equal(server.log.uploads.length, 1);
        assert.equal(server.log.uploads[0].status, 200);

        const fileId = await fileFromBob('downloaded over TLS');
        const dest = join(dir, 'from-bob.txt');
        await files.download(fileId, dest);
        assert.equal(await readFile(dest, 'utf8'), 'downloaded over TLS');
        assert.equal(server.log.downloads.length, 1);
      } finally {
        files.dispose();
      }
    });
  });
});
