/**
 * A fake server plus a signed-in user (alice) with the chat and file APIs on top: the setup every
 * chats/files test shares.
 * The connection is the real TrueConfClient over real sockets.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTrueConfServer } from '../../fake-server';
import type { FakeServerOptions } from '../../fake-server/types';
import type { IDisposable } from '../../../src/common/lifecycle';
import { MemoryLogger } from '../../../src/common/logger';
import type { RequestOptions, RpcChannel } from '../../../src/trueconf/channel';
import { ChatApi } from '../../../src/trueconf/chats';
import { TrueConfClient } from '../../../src/trueconf/client';
import { parseServerAddress, ServerEndpoints } from '../../../src/trueconf/endpoints';
import { FileApi, FileApiOptions } from '../../../src/trueconf/files';
import { HttpTransport } from '../../../src/trueconf/http';
import type { RequestFrame } from '../../../src/trueconf/types';

export interface FileSession {
  server: FakeTrueConfServer;
  channel: CountingChannel;
  http: HttpTransport;
  endpoints: ServerEndpoints;
  files: FileApi;
  chats: ChatApi;
  logger: MemoryLogger;
  /** A fresh directory for the test's files, removed in close(). */
  dir: string;
  close(): Promise<void>;
}

/** An RpcChannel that counts the notification listeners attached through it, so tests can check nothing leaks. */
export class CountingChannel implements RpcChannel {
  private readonly counts = new Map<string, number>();

  constructor(private readonly inner: RpcChannel) {}

  get onDidAuthenticate(): RpcChannel['onDidAuthenticate'] {
    return this.inner.onDidAuthenticate;
  }

  request<T = unknown>(method: string, payload?: unknown, options?: RequestOptions): Promise<T> {
    return this.inner.request<T>(method, payload, options);
  }

  onNotification(method: string, listener: (payload: unknown, frame: RequestFrame) => void): IDisposable {
    const subscription = this.inner.onNotification(method, listener);
    this.counts.set(method, this.listenerCount(method) + 1);
    let disposed = false;
    return {
      dispose: () => {
        if (!disposed) {
          disposed = true;
          this.counts.set(method, this.listenerCount(method) - 1);
          subscription.dispose();
        }
      },
    };
  }

  listenerCount(method: string): number {
    return this.counts.get(method) ?? 0;
  }
}

interface Connection {
  rpc: RpcChannel;
  http: HttpTransport;
  close(): Promise<void>;
}

async function connect(server: FakeTrueConfServer, logger: MemoryLogger): Promise<Connection> {
  const client = new TrueConfClient({
    server: server.url,
    username: 'alice',
    password: 'alice-pass',
    logger,
    backoff: { initialMs: 50, maxMs: 200, jitterMs: 0 },
  });
  await client.connect();
  return { rpc: client, http: client.http, close: () => client.close() };
}

export async function openSession(options: FakeServerOptions = {}, fileApiOptions?: FileApiOptions): Promise<FileSession> {
  const server = await FakeTrueConfServer.start(options);
  const logger = new MemoryLogger();
  const connection = await connect(server, logger);
  const channel = new CountingChannel(connection.rpc);
  // The server pushes its upload limits right after auth. One round trip later that push has been
  // handled, so the FileApi below starts without limits and each test decides how they arrive.
  await channel.request('getUserDisplayName', { userId: server.userId('alice') });
  server.clearLog();
  const endpoints = parseServerAddress(server.url);
  const files = new FileApi(channel, connection.http, endpoints, logger, fileApiOptions);
  const chats = new ChatApi(channel, logger);
  const dir = await mkdtemp(join(tmpdir(), 'trueconf-files-'));
  return {
    server,
    channel,
    http: connection.http,
    endpoints,
    files,
    chats,
    logger,
    dir,
    async close() {
      files.dispose();
      await connection.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
