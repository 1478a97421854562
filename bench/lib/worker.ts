/**
 * One measurement in a fresh Node process (so memory readings are this transfer's alone and
 * nothing else shares the event loop). `node worker.js <mode> <json args>`; the result goes
 * back over IPC. Modes:
 *   upload   — FileApi.sendFile of a file on disk (uploadFile → multipart POST → sendFile)
 *   download — FileApi.download (getFileInfo → GET → cache file)
 *   rtt      — blocks of N sequential getFileInfo requests through TrueConfClient + FileApi, and the
 *              same over a minimal raw `ws` session (raw-ws.ts), interleaved in one process
 * Client runs sign in as alice and do one small warm-up operation of the same kind first, so
 * the figure is the steady state of a long-running extension host rather than JIT warm-up.
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Logger, nullLogger } from '../../src/common/logger';
import { Redactor } from '../../src/common/redact';
import { RedactingLogger } from '../../src/common/redactingLogger';
import { TrueConfClient } from '../../src/trueconf/client';
import { FileApi } from '../../src/trueconf/files';
import { fileSourceFromBuffer, fileSourceFromPath } from '../../src/trueconf/upload';
import { openRawSession } from './raw-ws';
import { childMain, peakRss, resetPeakRss, sleep } from './util';

export interface TransferResult {
  /** The whole operation as the extension runs it. */
  totalMs: number;
  /** Only the HTTP transfer (upload: from the first body byte offered to the server's answer). */
  httpMs?: number;
  bytes: number;
  /** RSS just before the timed operation, after a GC. */
  rssAtRest: number;
  /** Highest RSS during the operation (VmHWM after a reset, and 20 ms samples). */
  rssPeak: number;
  peakSource: string;
}

export interface RttResult {
  count: number;
  /** Time of each block of `count` sequential requests, per contender. */
  ms: { client: number[]; clientNoLogger: number[]; raw: number[] };
}

interface Args {
  server: string;
  path?: string;
  chatId?: string;
  fileId?: string;
  warmFileId?: string;
  dest?: string;
  count?: number;
  blocks?: number;
  logger?: 'extension' | 'null';
}

const USER = { username: 'alice', password: 'alice-pass' };
/** Requests per round-trip contender before timing: fewer leave JIT and GC warm-up in the first blocks. */
const WARM_UP_REQUESTS = 2000;

/** What the extension hands the client: a redacting logger whose sink (the output channel) drops what it does not show. */
function makeLogger(kind: Args['logger']): Logger {
  return kind === 'null' ? nullLogger : new RedactingLogger(new Redactor(), () => undefined);
}

async function connect(args: Args): Promise<{ client: TrueConfClient; files: FileApi }> {
  const logger = makeLogger(args.logger);
  const client = new TrueConfClient({ server: args.server, ...USER, logger });
  await client.connect();
  return { client, files: new FileApi(client, client.http, client.endpoints, logger) };
}

/** Run `op` with RSS tracking: GC, the RSS at rest, then the peak while it runs. */
async function measured<T>(op: () => Promise<T>): Promise<{ value: T; ms: number; rssAtRest: number; rssPeak: number; peakSource: string }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await sleep(50);
  gc?.();
  const rssAtRest = process.memoryUsage.rss();
  const hwmReset = resetPeakRss();
  let sampled = rssAtRest;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  try {
    const value = await op();
    const ms = performance.now() - started;
    const hwm = hwmReset ? peakRss() : undefined;
    const rssPeak = Math.max(sampled, hwm ?? 0);
    return { value, ms, rssAtRest, rssPeak, peakSource: hwm !== undefined ? 'VmHWM + 20 ms samples' : '20 ms samples' };
  } finally {
    clearInterval(sampler);
  }
}

async function upload(args: Args): Promise<TransferResult> {
  const { client, files } = await connect(args);
  try {
    await files.sendFile({ chatId: args.chatId as string, source: fileSourceFromBuffer('warm-up.bin', Buffer.alloc(64 * 1024, 7)) });
    const source = await fileSourceFromPath(args.path as string);
    let httpStart = 0;
    let httpEnd = 0;
    const run = await measured(() =>
      files.sendFile({
        chatId: args.chatId as string,
        source,
        onProgress: (p) => {
          if (p.phase === 'uploading' && httpStart === 0) {
            httpStart = performance.now();
          } else if (p.phase === 'sending' && httpEnd === 0) {
            httpEnd = performance.now();
          }
        },
      }),
    );
    return { totalMs: run.ms, httpMs: httpEnd - httpStart, bytes: source.size, rssAtRest: run.rssAtRest, rssPeak: run.rssPeak, peakSource: run.peakSource };
  } finally {
    await client.close();
  }
}

async function download(args: Args): Promise<TransferResult> {
  const { client, files } = await connect(args);
  try {
    await files.download(args.warmFileId as string, `${args.dest as string}.warm`);
    const run = await measured(() => files.download(args.fileId as string, args.dest as string));
    const bytes = (await stat(args.dest as string)).size;
    if (bytes !== run.value.size) {
      throw new Error(`downloaded ${bytes} bytes, expected ${run.value.size}`);
    }
    return { totalMs: run.ms, bytes, rssAtRest: run.rssAtRest, rssPeak: run.rssPeak, peakSource: run.peakSource };
  } finally {
    await client.close();
  }
}

/**
 * The three round-trip contenders in one process, so they share the machine's state: the client
 * with the extension's logger, the client with no logger, and the raw `ws` session. After a
 * warm-up of each, blocks of `count` sequential requests run in a rotating order.
 */
async function rtt(args: Args): Promise<RttResult> {
  const fileId = args.fileId as string;
  const count = args.count as number;
  const blocks = args.blocks ?? 5;
  const withLogger = await connect({ ...args, logger: 'extension' });
  const quiet = await connect({ ...args, logger: 'null' });
  const raw = await openRawSession(args.server, USER.username, USER.password);
  const contenders: Record<keyof RttResult['ms'], () => Promise<unknown>> = {
    client: () => withLogger.files.getFileInfo(fileId),
    clientNoLogger: () => quiet.files.getFileInfo(fileId),
    raw: () => raw.request('getFileInfo', { fileId }),
  };
  const names = Object.keys(contenders) as Array<keyof RttResult['ms']>;
  const ms: RttResult['ms'] = { client: [], clientNoLogger: [], raw: [] };
  try {
    for (const name of names) {
      for (let i = 0; i < WARM_UP_REQUESTS; i++) {
        await contenders[name]();
      }
    }
    for (let block = 0; block < blocks; block++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(block + k) % names.length];
        const request = contenders[name];
        const started = performance.now();
        for (let i = 0; i < count; i++) {
          await request();
        }
        ms[name].push(performance.now() - started);
      }
    }
    return { count, ms };
  } finally {
    raw.close();
    await withLogger.client.close();
    await quiet.client.close();
  }
}

const modes: Record<string, (args: Args) => Promise<unknown>> = { upload, download, rtt };

childMain(async () => {
  const [mode, json] = process.argv.slice(2);
  const run = modes[mode];
  if (!run) {
    throw new Error(`unknown mode ${mode}`);
  }
  return run(JSON.parse(json) as Args);
});
