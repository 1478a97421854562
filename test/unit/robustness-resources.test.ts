/**
 * Memory and handles at unit level: a hundred sends and a hundred downloads through one client
 * leave every count where it started — Emitter and notification listeners, ws listeners, requests
 * waiting, WebSockets on the server, and this process's open file descriptors.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../src/common/logger';
import { TrueConfClient } from '../../src/trueconf/client';
import { FileApi } from '../../src/trueconf/files';
import { onFileMessage } from '../../src/trueconf/messages';
import { fileSourceFromPath } from '../../src/trueconf/upload';
import { FakeTrueConfServer } from '../fake-server';
import { strayFiles } from './helpers/files-on-disk';
import { clientCounts, Counts, fileApiCounts, openFdCount, trapProcessErrors } from './helpers/leak-probes';
import { waitUntil } from './helpers/transport-servers';

const ROUNDS = 100;

describe('robustness: memory and handles', function () {
  // ~3 s here for 200 transfers; the margin is for a busy machine.
  this.timeout(60_000);

  let server: FakeTrueConfServer;
  let client: TrueConfClient;
  let files: FileApi;
  let dir: string;

  beforeEach(async () => {
    server = await FakeTrueConfServer.start();
    client = new TrueConfClient({ server: server.url, username: 'alice', password: 'alice-pass', logger: new MemoryLogger() });
    await client.connect();
    files = new FileApi(client, client.http, client.endpoints);
    dir = await mkdtemp(join(tmpdir(), 'trueconf-handles-'));
  });

  afterEach(async () => {
    files.dispose();
    await client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`leaves listeners, sockets and file descriptors as they were after ${ROUNDS} sends and ${ROUNDS} downloads through one client`, async () => {
    const traps = trapProcessErrors();
    // A FileHandle left open is closed by the garbage collector, with a warning: a leak either
    // shows in the descriptor count or here.
    const gcClosed: string[] = [];
    const onWarning = (warning: Error) => {
      if (/Closing file descriptor \d+ on garbage collection|Closing a FileHandle object on garbage collection/.test(warning.message)) {
        gcClosed.push(warning.message);
      }
    };
    process.on('warning', onWarning);
    try {
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      // A listener like the extension's incoming-files view keeps, counted with the rest.
      const subscription = onFileMessage(client, () => undefined);
      const source = join(dir, 'source.bin');
      const data = randomBytes(64 * 1024);
      await writeFile(source, data);
      const downloads = join(dir, 'downloads');
      await mkdir(downloads);

      const roundTrip = async (i: number) => {
        const sent = await files.sendFile({ chatId, source: await fileSourceFromPath(source, { name: `file-${i}.bin` }) });
        await files.download(sent.fileId, join(downloads, `file-${i}.bin`));
      };
      // Warm up: limits fetched, the HTTP connection pooled, lazy modules loaded.
      await roundTrip(-1);
      const counts = (): Counts => ({ ...clientCounts(client), ...fileApiCounts(files), 'server.connections': server.connectionCount() });
      const baseline = counts();
      const fdBaseline = openFdCount();

      for (let i = 0; i < ROUNDS; i++) {
        await roundTrip(i);
      }

      assert.equal(server.log.uploads.filter((u) => u.status === 200).length, ROUNDS + 1);
      assert.equal(server.log.downloads.filter((d) => d.status === 200).length, ROUNDS + 1);
      assert.ok((await readFile(join(downloads, `file-${ROUNDS - 1}.bin`))).equals(data));
      assert.equal((await strayFiles(downloads)).length, ROUNDS + 1, 'no temporary files left beside the downloads');
      assert.deepEqual(counts(), baseline);
      if (fdBaseline !== undefined) {
        // An HTTP connection the pool keeps alive may still be closing; it must go, not pile up.
        await waitUntil(() => (openFdCount() ?? 0) <= fdBaseline, `open file descriptors back to ${fdBaseline} (now ${openFdCount()})`, 10_000);
      }
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      assert.deepEqual(gcClosed, [], 'file handles were left for the garbage collector to close');
      subscription.dispose();
      assert.equal(clientCounts(client)['client.on(sendMessage)'], undefined);
      assert.deepEqual(traps.problems, []);
    } finally {
      process.off('warning', onWarning);
      traps.dispose();
    }
  });
});
