/**
 * `npm run bench`: the extension's performance figures, each side by side with a reference,
 * in one run. Prints a table and writes it to bench/results.md with the machine it ran on.
 *
 *   1. Upload    FileApi.sendFile (uploadFile → multipart POST streamed from disk → sendFile) vs curl -F
 *   2. Download  FileApi.download (getFileInfo → GET → cache file) vs curl -o
 *   3. Memory    peak RSS − RSS at rest of the process doing the 1 GB upload / download
 *   4. Round trips  1,000 sequential getFileInfo through TrueConfClient vs a minimal raw `ws` client
 *   5. Tree      Incoming Files with 10,000 files in 200 chats: build, and one more file arriving
 *   6. Start-up  production bundle size; load + activate() time; network attempted during activation
 *
 * The fake TrueConf server runs in its own process; every client measurement runs in a fresh
 * process too, so the client never shares an event loop with the server (curl does not either).
 * Options (for trying things out; the committed results use the defaults):
 *   --big-mb=N   size of the "1 GB" file in MiB (default 1024)
 *   --quick      fewer repetitions
 *   --only=1,4   run only these figures
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import type { ActivateResult } from './lib/activate-bench';
import { curlDownload, curlUpload, curlVersion } from './lib/curl';
import { openRawSession, RawSession } from './lib/raw-ws';
import { ServerProcess } from './lib/server-control';
import { writeTestFile } from './lib/testfiles';
import type { TreeResult } from './lib/tree-bench';
import { benchScript, formatMs, MB, median, REPO_ROOT, runChild, TMP_DIR } from './lib/util';
import type { RttResult, TransferResult } from './lib/worker';

interface Row {
  figure: string;
  ours: string;
  reference: string;
  ratio: string;
  target: string;
  met: boolean | undefined;
  note?: string;
}

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const QUICK = argv.includes('--quick');
const BIG_MB = Number(option('big-mb') ?? 1024);
const ONLY = option('only')?.split(',').map(Number);
const REPS = QUICK ? { small: 3, big: 1, rtt: 1, tree: 2, activate: 3 } : { small: 7, big: 3, rtt: 3, tree: 5, activate: 7 };
const RTT_COUNT = 1000;
const RTT_BLOCKS = 7;
const SMALL_MB = 16;

const rows: Row[] = [];
const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);
const wants = (figure: number) => !ONLY || ONLY.includes(figure);
const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);
const fmtRate = (v: number) => `${v.toFixed(0)} MB/s`;
const fmtMB = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const sizeLabel = (mb: number) => (mb >= 1024 ? `${mb / 1024} GB` : `${mb} MB`);

function addRow(row: Row): void {
  rows.push(row);
  log(`${row.figure}: ${row.ours} vs ${row.reference} (${row.ratio}) target ${row.target} → ${row.met === undefined ? '—' : row.met ? 'met' : 'MISSED'}`);
}

/** Memory, load, versions: what the numbers are relative to. */
function environment(): Record<string, string> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    CPU: model.trim(),
    Cores: String(os.availableParallelism?.() ?? os.cpus().length),
    Memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    Node: process.version,
    curl: curlVersion() ?? 'missing',
    OS: `${os.type()} ${os.release()}`,
    Date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

const loadAverage = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ');

// ---- figures 1–3: transfers ---------------------------------------------------------------------

interface TransferSetup {
  server: ServerProcess;
  raw: RawSession;
  chatId: string;
  files: Array<{ mb: number; path: string; name: string }>;
}

async function uploads(setup: TransferSetup, memory: Map<string, TransferResult[]>): Promise<void> {
  const { server, raw, chatId } = setup;
  const uploadUrl = `${server.url}/bridge/api/client/v1/files`;
  for (const file of setup.files) {
    const reps = file.mb === BIG_MB ? REPS.big : REPS.small;
    const ours: TransferResult[] = [];
    const curl: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const runOurs = async () => {
        ours.push(await runChild<TransferResult>('worker', ['upload', JSON.stringify({ server: server.url, path: file.path, chatId })], { execArgv: ['--expose-gc'] }));
        await server.purgeUploads();
      };
      const runCurl = async () => {
        const size = statSync(file.path).size;
        const task = (await raw.request('uploadFile', { fileSize: size, fileName: file.name })) as { uploadTaskId?: string };
        if (!task.uploadTaskId) {
          throw new Error(`uploadFile failed: ${JSON.stringify(task)}`);
        }
        const result = await curlUpload(uploadUrl, task.uploadTaskId, file.path, file.name);
        if (result.status !== 200 || result.uploaded < size) {
          throw new Error(`curl upload: HTTP ${result.status}, ${result.uploaded} bytes`);
        }
        curl.push(result.seconds * 1000);
        await server.purgeUploads();
      };
      // Alternate who goes first, so neither always meets a cold page cache or a busy disk.
      if (rep % 2 === 0) {
        await runOurs();
        await runCurl();
      } else {
        await runCurl();
        await runOurs();
      }
    }
    const bytes = ours[0].bytes;
    const oursHttp = mbps(bytes, median(ours.map((r) => r.httpMs as number)));
    const oursWhole = mbps(bytes, median(ours.map((r) => r.totalMs)));
    const ref = mbps(bytes, median(curl));
    const label = sizeLabel(file.mb);
    addRow({
      figure: `1. Upload ${label}: POST only (both)`,
      ours: fmtRate(oursHttp),
      reference: `curl -F ${fmtRate(ref)}`,
      ratio: (oursHttp / ref).toFixed(2),
      target: '≥ 0.8',
      met: oursHttp / ref >= 0.8,
    });
    addRow({
      figure: `1. Upload ${label}: whole send path (uploadFile + POST + sendFile) vs curl POST`,
      ours: fmtRate(oursWhole),
      reference: `curl -F ${fmtRate(ref)}`,
      ratio: (oursWhole / ref).toFixed(2),
      target: '≥ 0.8',
      met: oursWhole / ref >= 0.8,
      note: 'ours includes the uploadFile and sendFile round trips, which curl does not make',
    });
    if (file.mb === BIG_MB) {
      memory.set('upload', ours);
    }
  }
}

async function downloads(setup: TransferSetup, memory: Map<string, TransferResult[]>): Promise<void> {
  const { server, chatId } = setup;
  const warmFileId = await server.sendFile('bob', chatId, 'warm-up.txt', { text: 'x'.repeat(64 * 1024) });
  for (const file of setup.files) {
    const reps = file.mb === BIG_MB ? REPS.big : REPS.small;
    const fileId = await server.sendFile('bob', chatId, file.name, file.path);
    const url = await server.downloadUrlFor(fileId);
    const ours: TransferResult[] = [];
    const curl: number[] = [];
    const dest = join(TMP_DIR, 'downloaded.bin');
    const size = statSync(file.path).size;
    for (let rep = 0; rep < reps; rep++) {
      const runOurs = async () => {
        ours.push(await runChild<TransferResult>('worker', ['download', JSON.stringify({ server: server.url, fileId, warmFileId, dest })], { execArgv: ['--expose-gc'] }));
        await rm(dest, { force: true });
        await rm(`${dest}.warm`, { force: true });
      };
      const runCurl = async () => {
        const result = await curlDownload(url, dest);
        if (result.status !== 200 || result.downloaded !== size || statSync(dest).size !== size) {
          throw new Error(`curl download: HTTP ${result.status}, ${result.downloaded} bytes`);
        }
        curl.push(result.seconds * 1000);
        await rm(dest, { force: true });
      };
      if (rep % 2 === 0) {
        await runOurs();
        await runCurl();
      } else {
        await runCurl();
        await runOurs();
      }
    }
    const oursRate = mbps(size, median(ours.map((r) => r.totalMs)));
    const ref = mbps(size, median(curl));
    addRow({
      figure: `2. Download ${sizeLabel(file.mb)}: whole open path (getFileInfo + GET + cache file) vs curl GET`,
      ours: fmtRate(oursRate),
      reference: `curl -o ${fmtRate(ref)}`,
      ratio: (oursRate / ref).toFixed(2),
      target: '≥ 0.8',
      met: oursRate / ref >= 0.8,
      note: 'ours includes the getFileInfo round trip and the rename of the finished file',
    });
    if (file.mb === BIG_MB) {
      memory.set('download', ours);
    }
  }
}

function memoryRows(memory: Map<string, TransferResult[]>): void {
  for (const [kind, runs] of memory) {
    const growth = runs.map((r) => r.rssPeak - r.rssAtRest);
    const worst = Math.max(...growth);
    addRow({
      figure: `3. Memory, ${sizeLabel(BIG_MB)} ${kind}: peak RSS − RSS at rest (worst of ${runs.length})`,
      ours: fmtMB(worst),
      reference: `at rest ${fmtMB(median(runs.map((r) => r.rssAtRest)))}`,
      ratio: '—',
      target: '< 100 MB',
      met: worst < 100 * MB,
      note: `${runs[0].peakSource}; median growth ${fmtMB(median(growth))}`,
    });
  }
}

async function transfers(server: ServerProcess, chatId: string): Promise<void> {
  const files = [
    { mb: SMALL_MB, path: join(TMP_DIR, `upload-${SMALL_MB}m.bin`), name: `upload-${SMALL_MB}m.bin` },
    { mb: BIG_MB, path: join(TMP_DIR, `upload-${BIG_MB}m.bin`), name: `upload-${BIG_MB}m.bin` },
  ];
  for (const file of files) {
    log(`writing ${file.path} (${file.mb} MiB)`);
    await writeTestFile(file.path, file.mb * MB);
  }
  const raw = await openRawSession(server.url, 'alice', 'alice-pass');
  const memory = new Map<string, TransferResult[]>();
  try {
    const setup = { server, raw, chatId, files };
    if (wants(1) || wants(3)) {
      log('figure 1: uploads');
      await uploads(setup, memory);
    }
    if (wants(2) || wants(3)) {
      log('figure 2: downloads');
      await downloads(setup, memory);
    }
    if (wants(3)) {
      memoryRows(memory);
    }
  } finally {
    raw.close();
    for (const file of files) {
      await rm(file.path, { force: true });
    }
  }
}

// ---- figure 4: round trips ----------------------------------------------------------------------

async function roundTrips(server: ServerProcess, chatId: string): Promise<void> {
  log('figure 4: round trips');
  const fileId = await server.sendFile('bob', chatId, 'info.txt', { text: 'hello' });
  const runs: RttResult[] = [];
  for (let rep = 0; rep < REPS.rtt; rep++) {
    runs.push(await runChild<RttResult>('worker', ['rtt', JSON.stringify({ server: server.url, fileId, count: RTT_COUNT, blocks: RTT_BLOCKS })]));
  }
  const all = (name: keyof RttResult['ms']) => median(runs.flatMap((r) => r.ms[name]));
  // Paired: each round runs one block per contender back to back, so a round's ratio compares like with like.
  const pairedRatio = (name: keyof RttResult['ms']) => median(runs.flatMap((r) => r.ms[name].map((ms, i) => ms / r.ms.raw[i])));
  const ref = all('raw');
  const blocks = runs.reduce((n, r) => n + r.ms.raw.length, 0);
  for (const [label, name] of [
    ['TrueConfClient with the extension’s redacting logger', 'client'],
    ['TrueConfClient with no logger (diagnostic)', 'clientNoLogger'],
  ] as const) {
    const ms = all(name);
    const ratio = pairedRatio(name);
    addRow({
      figure: `4. ${RTT_COUNT} sequential getFileInfo: ${label}`,
      ours: `${formatMs(ms)} ms (${((ms * 1000) / RTT_COUNT).toFixed(0)} µs each)`,
      reference: `raw ws ${formatMs(ref)} ms (${((ref * 1000) / RTT_COUNT).toFixed(0)} µs each)`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≤ 1.3×',
      met: ratio <= 1.3,
      note: `${blocks} rounds of one ${RTT_COUNT}-request block per contender; ratio = median over rounds of ours ÷ raw in the same round`,
    });
  }
}

// ---- figure 5: the tree -------------------------------------------------------------------------

async function treeFigure(): Promise<void> {
  log('figure 5: incoming files tree');
  const runs: TreeResult[] = [];
  for (let rep = 0; rep < REPS.tree; rep++) {
    runs.push(await runChild<TreeResult>('tree-bench', []));
  }
  const m = (pick: (r: TreeResult) => number) => median(runs.map(pick));
  addRow({
    figure: '5. Tree, pure index (src/common/incomingOrder): 10,000 files in 200 chats, all lists read',
    ours: `${formatMs(m((r) => r.indexMs))} ms`,
    reference: '—',
    ratio: '—',
    target: '< 100 ms',
    met: m((r) => r.indexMs) < 100,
  });
  addRow({
    figure: '5. Tree, build: model restores 10,000 files / 200 chats, then every chat and file node materialised',
    ours: `${formatMs(m((r) => r.buildMs))} ms`,
    reference: '—',
    ratio: '—',
    target: '< 100 ms',
    met: m((r) => r.buildMs) < 100,
    note: `model + view ${formatMs(m((r) => r.modelMs))} ms, then nodes and tree items ${formatMs(m((r) => r.materialiseMs))} ms`,
  });
  for (const name of Object.keys(runs[0].updates)) {
    const ms = m((r) => r.updates[name].medianMs);
    addRow({
      figure: `5. Tree, one more file arrives: ${name}`,
      ours: `${formatMs(ms)} ms`,
      reference: '—',
      ratio: '—',
      target: '< 5 ms',
      met: ms < 5,
      note: `median of ${REPS.tree}×25 arrivals, the first (cold) one ${formatMs(m((r) => r.updates[name].firstMs))} ms; ${runs[0].updates[name].asked}`,
    });
  }
  addRow({
    figure: '5. Tree, the deferred save of the list to globalState after a change (1 s later)',
    ours: `${formatMs(m((r) => r.persistMs))} ms`,
    reference: '—',
    ratio: '—',
    target: '—',
    met: undefined,
    note: 'informational: main-thread work that follows every burst of changes',
  });
  const fallbacks = new Set(runs.flatMap((r) => r.fallbacks));
  if (fallbacks.size > 0) {
    log(`tree: vscode stub fell back for ${[...fallbacks].join(', ')}`);
  }
}

// ---- figure 6: start-up -------------------------------------------------------------------------

async function startup(): Promise<void> {
  log('figure 6: start-up (production bundle)');
  const bundle = join(TMP_DIR, 'bundle', 'extension.js');
  mkdirSync(join(TMP_DIR, 'bundle'), { recursive: true });
  const build = spawnSync(process.execPath, ['-r', benchScript('esbuild-redirect'), 'esbuild.js', '--production'], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_BUNDLE_OUT: bundle },
    encoding: 'utf8',
  });
  if (build.status !== 0 || !existsSync(bundle)) {
    throw new Error(`node esbuild.js --production failed: ${build.stderr || build.stdout}`);
  }
  const size = statSync(bundle).size;
  addRow({
    figure: '6. Start-up: size of the production bundle (node esbuild.js --production)',
    ours: `${(size / 1024).toFixed(0)} KB`,
    reference: 'design.md: ~585 KB for ws + undici',
    ratio: '—',
    target: '—',
    met: undefined,
  });
  const runs: ActivateResult[] = [];
  for (let rep = 0; rep < REPS.activate; rep++) {
    runs.push(await runChild<ActivateResult>('activate-bench', [JSON.stringify({ bundle, root: REPO_ROOT, signedIn: false })]));
  }
  const signedIn: ActivateResult[] = [];
  for (let rep = 0; rep < Math.min(3, REPS.activate); rep++) {
    signedIn.push(await runChild<ActivateResult>('activate-bench', [JSON.stringify({ bundle, root: REPO_ROOT, signedIn: true })]));
  }
  const total = median(runs.map((r) => r.loadMs + r.activateMs));
  addRow({
    figure: '6. Start-up: require(bundle) + activate(), connection not opened',
    ours: `${formatMs(total)} ms`,
    reference: '—',
    ratio: '—',
    target: '< 50 ms',
    met: total < 50,
    note: `require() ${formatMs(median(runs.map((r) => r.loadMs)))} ms + activate() ${formatMs(median(runs.map((r) => r.activateMs)))} ms; ${runs[0].commands} commands registered`,
  });
  const during = [...runs, ...signedIn].flatMap((r) => r.networkDuringActivation);
  addRow({
    figure: '6. Start-up: network attempts while loading and in activate() (signed out and signed in)',
    ours: String(during.length),
    reference: '—',
    ratio: '—',
    target: '0',
    met: during.length === 0,
    note: during.length > 0 ? [...new Set(during)].join(', ') : 'net.Socket#connect and dns.lookup hooked',
  });
  const afterSignedOut = runs.flatMap((r) => r.networkAfter);
  addRow({
    figure: '6. Start-up: network attempts in the second after activate(), signed out',
    ours: String(afterSignedOut.length),
    reference: '—',
    ratio: '—',
    target: '0',
    met: afterSignedOut.length === 0,
    note: afterSignedOut.length > 0 ? [...new Set(afterSignedOut)].join(', ') : undefined,
  });
  const afterSignedIn = signedIn.map((r) => r.networkAfter.length);
  addRow({
    figure: '6. Start-up: signed in (stored password): the session restore connects after activate() returned',
    ours: `${median(afterSignedIn)} attempts after, 0 during`,
    reference: '—',
    ratio: '—',
    target: 'after, not during',
    met: signedIn.every((r) => r.networkDuringActivation.length === 0) && afterSignedIn.every((n) => n > 0),
    note: [...new Set(signedIn.flatMap((r) => r.networkAfter))].join(', '),
  });
  const fallbacks = new Set(runs.flatMap((r) => r.fallbacks));
  if (fallbacks.size > 0) {
    log(`activate: vscode stub fell back for ${[...fallbacks].join(', ')}`);
  }
}

// ---- output -------------------------------------------------------------------------------------

function table(): string {
  const header = ['Figure', 'Ours', 'Reference', 'Ratio', 'Target', 'Met'];
  const lines = rows.map((r) => [r.figure, r.ours, r.reference, r.ratio, r.target, r.met === undefined ? '—' : r.met ? 'yes' : '**no**']);
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...lines.map((cells) => `| ${cells.map(escape).join(' | ')} |`),
  ].join('\n');
}

function notes(): string {
  return rows
    .filter((r) => r.note)
    .map((r) => `- ${r.figure.replace(/^(\d\.) /, '$1 ')}: ${r.note}`)
    .join('\n');
}

const KEPT_MARKER = '<!-- Everything below this line is written by hand and kept by `npm run bench`. -->';

function writeResults(env: Record<string, string>, loadBefore: string, loadAfter: string, seconds: number): void {
  const file = join(REPO_ROOT, 'bench', 'results.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = previous.includes(KEPT_MARKER) ? previous.slice(previous.indexOf(KEPT_MARKER)) : `${KEPT_MARKER}\n`;
  const text = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts). Every figure is a median over several repetitions, each in a',
    'fresh Node process; the fake TrueConf server (test/fake-server) runs in a process of its own on 127.0.0.1.',
    '',
    ...Object.entries(env).map(([k, v]) => `- ${k}: ${v}`),
    `- Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}`,
    `- Run time: ${seconds.toFixed(0)} s${QUICK ? ' (--quick)' : ''}${BIG_MB !== 1024 ? `, big file ${BIG_MB} MiB` : ''}`,
    '',
    table(),
    '',
    '## How each figure is taken',
    '',
    notes(),
    `- Repetitions (median taken): ${SMALL_MB} MB transfers ${REPS.small}, ${sizeLabel(BIG_MB)} transfers ${REPS.big}; round trips ${REPS.rtt} processes × ${RTT_BLOCKS} blocks;`,
    `  tree ${REPS.tree} fresh processes; start-up ${REPS.activate} fresh processes signed out and ${Math.min(3, REPS.activate)} signed in.`,
    '- Upload / download rates are MiB per second of file bytes. curl times are its own `time_total` (connect + transfer),',
    '  excluding process start; ours are timed inside the client process after sign-in and one small warm-up',
    '  operation of the same kind. Ours and curl alternate who goes first. "POST only" for ours runs from the moment',
    '  FileApi hands the multipart body to HTTP (`uploading` progress) to the server’s answer (`sending` progress).',
    '- Memory: the 1 GB transfers of figures 1 and 2 in their own processes; RSS at rest after a GC just before the',
    '  transfer, peak from VmHWM (reset through /proc/self/clear_refs) and 20 ms samples of process.memoryUsage.rss().',
    '- Round trips: the three contenders share one process (a fresh one per repetition) and take turns in blocks of',
    '  1,000 after 2,000 warm-up requests each, so they meet the same machine state. The raw client (bench/lib/raw-ws.ts)',
    '  gets a token, opens the WebSocket, sends `auth`, acks server requests and matches answers by id, nothing else.',
    '  "Ours" goes through FileApi.getFileInfo → TrueConfClient.request → RpcSocket, with the logger the extension',
    '  gives the client (a RedactingLogger whose sink drops the lines, as an output channel at Info level does).',
    '- Tree: the real IncomingFilesService / IncomingFilesTreeProvider / IncomingFilesView compiled by tsc and loaded',
    '  on a `vscode` stub (bench/lib/vscode-stub.ts); "update" ends when the provider has answered what VS Code asks',
    '  back for the change it announced (tree items, children of expanded chats) and the file decorations it re-reads.',
    '- Start-up: `node esbuild.js --production` (output redirected to bench/tmp so dist/ is left alone), then in a fresh',
    '  process require() of the bundle and activate() on the `vscode` stub, with net.Socket#connect and dns.lookup hooked.',
    '',
    kept.trimEnd(),
    '',
  ].join('\n');
  writeFileSync(file, text);
}

async function main(): Promise<void> {
  const started = Date.now();
  const env = environment();
  const loadBefore = loadAverage();
  if (env.curl === 'missing' && (wants(1) || wants(2))) {
    throw new Error('curl is needed for the reference transfers: apt-get install -y curl');
  }
  rmSync(TMP_DIR, { recursive: true, force: true });
  mkdirSync(TMP_DIR, { recursive: true });
  const free = statfsSync(TMP_DIR);
  const needed = (BIG_MB * 3 + 256) * MB;
  if ((wants(1) || wants(2) || wants(3)) && free.bavail * free.bsize < needed) {
    throw new Error(`bench/tmp needs ${fmtMB(needed)} free`);
  }
  log(`load average ${loadBefore}; ${env.CPU}, ${env.Cores} cores`);
  const server = await ServerProcess.start(join(TMP_DIR, 'server'));
  try {
    const chatId = await server.createChat(['alice', 'bob']);
    if (wants(1) || wants(2) || wants(3)) {
      await transfers(server, chatId);
    }
    if (wants(4)) {
      await roundTrips(server, chatId);
    }
  } finally {
    await server.stop();
  }
  try {
    if (wants(5)) {
      await treeFigure();
    }
    if (wants(6)) {
      await startup();
    }
  } finally {
    rmSync(TMP_DIR, { recursive: true, force: true });
  }
  const loadAfter = loadAverage();
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${table()}\n`);
  console.log(`Load average before: ${loadBefore}; after: ${loadAfter}. ${seconds.toFixed(0)} s.`);
  if (!ONLY) {
    writeResults(env, loadBefore, loadAfter, seconds);
    console.log('Written to bench/results.md');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  rmSync(TMP_DIR, { recursive: true, force: true });
  process.exit(1);
});
