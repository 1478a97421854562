import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakeTrueConfServer } from '../fake-server';
import { writeRandomFile } from './helpers/files-on-disk';

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

/**
 * Files stream: a 1 GB upload and a 1 GB download must not grow the client's resident memory by
 * anything near the file's size. Measured in a child process that holds nothing but the client
 * (its peak RSS from the kernel, not timings); `npm run bench` reports the exact figures.
 */
describe('memory of large transfers (1 GB, client in its own process)', function () {
  this.timeout(300_000);
  let server: FakeTrueConfServer;
  let dir: string;

  before(async () => {
    server = await FakeTrueConfServer.start();
    dir = await mkdtemp(join(tmpdir(), 'trueconf-1gb-'));
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads and downloads a 1 GB file with resident memory growing by less than 100 MB each', async () => {
    const source = join(dir, 'one-gigabyte.bin');
    await writeRandomFile(source, GiB, 4 * MiB);
    const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const incoming = await server.sendFile('bob', chatId, { name: 'incoming.bin', data: source });
    const dest = join(dir, 'downloaded.bin');

    const child = join(__dirname, 'helpers', 'large-transfer-child.js');
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', child, server.url, chatId, source, incoming.fileId, dest], {
      maxBuffer: MiB,
    });
    const { atRest, uploadPeak, downloadPeak } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;

    console.log(`      resident memory: at rest ${(atRest / MiB).toFixed(0)} MB, +${((uploadPeak - atRest) / MiB).toFixed(1)} MB uploading, +${((downloadPeak - atRest) / MiB).toFixed(1)} MB downloading`);
    const sent = server.chatMessages(chatId).filter((m) => m.author.id === server.userId('alice'));
    assert.equal(sent.length, 1, 'the upload arrived once');
    assert.equal((await stat(dest)).size, GiB, 'the download is complete');
    assert.ok(uploadPeak - atRest < 100 * MiB, `the 1 GB upload grew resident memory by ${((uploadPeak - atRest) / MiB).toFixed(1)} MB`);
    assert.ok(downloadPeak - atRest < 100 * MiB, `the 1 GB download grew resident memory by ${((downloadPeak - atRest) / MiB).toFixed(1)} MB`);
  });
});
