/**
 * Run in a child process by memory-large-transfer.test.ts, so that what it measures is the client
 * alone (the fake server lives in the parent). Signs in as alice, sends the file at argv[4] to the
 * chat argv[3], then downloads the file argv[5] to argv[6], and prints one JSON line:
 *   { atRest, uploadPeak, downloadPeak }   (bytes of resident memory)
 * Peaks come from VmHWM, reset to the current RSS before each transfer (/proc/self/clear_refs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { TrueConfClient } from '../../../src/trueconf/client';
import { FileApi } from '../../../src/trueconf/files';
import { fileSourceFromPath } from '../../../src/trueconf/upload';

function status(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) {
    throw new Error(`no ${field} in /proc/self/status`);
  }
  return Number(match[1]) * 1024;
}

function settle(): number {
  global.gc?.();
  writeFileSync('/proc/self/clear_refs', '5');
  return status('VmRSS');
}

async function main(): Promise<void> {
  const [server, chatId, sourcePath, incomingFileId, destPath] = process.argv.slice(2);
  const client = new TrueConfClient({ server, username: 'alice', password: 'alice-pass' });
  await client.connect();
  const files = new FileApi(client, client.http, client.endpoints);
  await files.getFileUploadLimits();

  const atRest = settle();
  await files.sendFile({ chatId, source: await fileSourceFromPath(sourcePath) });
  const uploadPeak = status('VmHWM');

  settle();
  await files.download(incomingFileId, destPath);
  const downloadPeak = status('VmHWM');

  files.dispose();
  await client.close();
  process.stdout.write(`${JSON.stringify({ atRest, uploadPeak, downloadPeak })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
