// Runs the integration suite (out/test/integration, compiled by `npm run test:integration`)
// inside code-server: the packaged extension plus the test-runner extension
// (test/integration/runner) are installed, code-server starts with TRUECONF_INTEGRATION_RESULTS
// set, Chromium opens the workbench (the extension host only starts when a client connects),
// the runner writes its results, and this prints them mocha-style. Exit code 1 on failure.
//
//   node scripts/run-integration.mjs [--grep <text>]
// On failure, code-server's output and VS Code's logs go to test-results/integration/.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { QUIET_WORKBENCH_SETTINGS, ensureCodeServer, saveCodeServerLogs, startCodeServer } from './code-server.mjs';
import { packageVsix } from './package-vsix.mjs';
import { chromiumLaunchOptions, openWorkbench } from './lib/browser.mjs';
import { installExtensionFiles, installVsix } from './lib/extensions.mjs';
import { pollUntil, repoRoot } from './lib/proc.mjs';

const SUITE_TIMEOUT_MS = Number(process.env.TRUECONF_INTEGRATION_TIMEOUT_MS ?? 10 * 60_000);
const compiledRunner = path.join(repoRoot, 'out', 'test', 'integration', 'runner', 'extension.js');
const runnerManifest = path.join(repoRoot, 'test', 'integration', 'runner', 'package.json');
const failureDir = path.join(repoRoot, 'test-results', 'integration');

/** The runner extension: its manifest, and a main that loads the compiled runner in out/. */
function installRunner(extensionsDir) {
  if (!fs.existsSync(compiledRunner)) {
    throw new Error(`${path.relative(repoRoot, compiledRunner)} is missing: compile first (tsc -p test/integration)`);
  }
  const manifest = JSON.parse(fs.readFileSync(runnerManifest, 'utf8'));
  // Loading from out/ keeps `require('mocha')` and the tests' relative imports resolving
  // in the project, as they do under @vscode/test-electron.
  const main = `module.exports = require(${JSON.stringify(compiledRunner)});\n`;
  return installExtensionFiles(manifest, { 'extension.js': main }, extensionsDir);
}

const mark = { passed: '✔', failed: '✖', pending: '-' };

/** Prints results the way mocha's spec reporter would; returns true if all passed. */
function printResults(results) {
  const { host } = results;
  console.log(`\n  ${host.appName} ${host.vscodeVersion} (uiKind ${host.uiKind}, remote ${host.remoteName})\n`);
  let previous = [];
  for (const test of results.tests) {
    const suites = test.titlePath.slice(0, -1);
    suites.forEach((title, depth) => {
      if (previous[depth] !== title) {
        console.log(`${'  '.repeat(depth + 1)}${title}`);
        previous = suites.slice(0, depth + 1);
      }
    });
    const duration = test.durationMs !== undefined && test.durationMs > 75 ? ` (${test.durationMs}ms)` : '';
    console.log(`${'  '.repeat(suites.length + 1)}${mark[test.state]} ${test.titlePath.at(-1)}${duration}`);
  }
  const { passes, failures, pending, durationMs } = results.stats;
  console.log(`\n  ${passes} passing (${(durationMs / 1000).toFixed(1)}s)`);
  if (pending > 0) {
    console.log(`  ${pending} pending`);
  }
  if (failures > 0) {
    console.log(`  ${failures} failing\n`);
    results.tests
      .filter((t) => t.state === 'failed')
      .forEach((t, i) => {
        console.log(`  ${i + 1}) ${t.titlePath.join('\n     ')}:`);
        console.log(`     ${(t.error?.stack ?? t.error?.message ?? '').split('\n').join('\n     ')}\n`);
      });
  }
  if (passes + failures === 0 && !results.fatal) {
    console.log('\n  No tests ran: is out/test/integration compiled, and does --grep match anything?\n');
  }
  if (results.fatal) {
    console.log(`\n  The suite could not run:\n  ${results.fatal}\n`);
  }
  return failures === 0 && !results.fatal && passes > 0;
}

/** The counts, for scripts/test-all.mjs's one-line summary (see scripts/mocha-stats-reporter.cjs). */
function writeStats({ passes, failures, pending }) {
  const file = process.env.TEST_STATS_FILE;
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ passes, failures, pending }));
  }
}

async function main() {
  const grepFlag = process.argv.indexOf('--grep');
  const grep = grepFlag > 0 ? process.argv[grepFlag + 1] : undefined;
  const vsix = await packageVsix({ quiet: true });
  await ensureCodeServer();

  fs.rmSync(failureDir, { recursive: true, force: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trueconf-integration-'));
  const workspace = path.join(root, 'workspace');
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  const resultsFile = path.join(root, 'results.json');
  const browserLog = [];
  let codeServer;
  let browser;
  let ok = false;
  try {
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(path.join(workspace, 'README.md'), '# Integration test workspace\n');
    installVsix(vsix, extensionsDir);
    installRunner(extensionsDir);
    codeServer = await startCodeServer({
      workspace,
      userDataDir,
      extensionsDir,
      settings: QUIET_WORKBENCH_SETTINGS,
      env: { TRUECONF_INTEGRATION_RESULTS: resultsFile, ...(grep ? { TRUECONF_INTEGRATION_GREP: grep } : {}) },
    });
    let exited;
    void codeServer.process.exited.then((result) => {
      exited = result;
    });
    const { chromium } = createRequire(import.meta.url)('playwright-core');
    browser = await chromium.launch(chromiumLaunchOptions());
    // Clipboard access as a desktop VS Code has it: without it, reading the clipboard (Copy Name's
    // test) waits on a "grant access" notification nobody answers.
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page.on('console', (message) => browserLog.push(`[${message.type()}] ${message.text()}`));
    console.log(`Running the integration suite in code-server (${codeServer.url}) …`);
    await openWorkbench(page, codeServer.workbenchUrl);
    await pollUntil(() => fs.existsSync(resultsFile), {
      what: `the integration results (${resultsFile}) from the test-runner extension`,
      timeoutMs: SUITE_TIMEOUT_MS,
      intervalMs: 500,
      abort: () => exited && new Error(`code-server exited (code ${exited.code}) before the suite finished`),
    });
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    ok = printResults(results);
    writeStats(results.stats);
    if (!ok) {
      await page.screenshot({ path: path.join(root, 'at-failure.png') }).catch(() => undefined);
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await codeServer?.stop();
    if (!ok) {
      saveCodeServerLogs(userDataDir, failureDir);
      for (const file of ['results.json', 'at-failure.png']) {
        if (fs.existsSync(path.join(root, file))) {
          fs.copyFileSync(path.join(root, file), path.join(failureDir, file));
        }
      }
      fs.writeFileSync(path.join(failureDir, 'browser-console.log'), `${browserLog.join('\n')}\n`);
      console.log(`Logs saved to ${path.relative(repoRoot, failureDir)}/`);
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
