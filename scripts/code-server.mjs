// code-server: VS Code's workbench served to a browser, with extensions in a Node extension
// host — the real VS Code that runs on machines which cannot download VS Code itself.
// Installed on demand into .vscode-test/code-server/ (git-ignored), the way @vscode/test-electron
// caches its download. See real-vscode.md for what each step works around.
//
//   node scripts/code-server.mjs install    installs it (no-op when already installed)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, isMain, killGroup, repoRoot, run, spawnGroup, tailOf, waitForHttp } from './lib/proc.mjs';

export const CODE_SERVER_VERSION = '4.100.3';
export const codeServerDir = path.join(repoRoot, '.vscode-test', 'code-server');
const entryScript = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const installedMarker = path.join(codeServerDir, `.installed-${CODE_SERVER_VERSION}`);

// @vscode/ripgrep's post-install downloads rg from GitHub unless it finds this archive.
const RIPGREP_CACHE = path.join(os.tmpdir(), 'vscode-ripgrep-cache-1.15.11');
const RIPGREP_ARCHIVE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

/** Debian packages code-server's install needs, each with a file that proves it is there. */
const DEBIAN_PREREQUISITES = [
  { pkg: 'ripgrep', file: '/usr/bin/rg', why: 'code-server search (its ripgrep download is blocked here)' },
  { pkg: 'libkrb5-dev', file: '/usr/include/gssapi/gssapi.h', why: "code-server's `kerberos` native module" },
];

function checkDebianPrerequisites() {
  const missing = DEBIAN_PREREQUISITES.filter(({ file }) => !fs.existsSync(file));
  if (missing.length > 0) {
    const lines = missing.map(({ pkg, file, why }) => `  - ${pkg} (no ${file}; needed for ${why})`);
    throw new Error(
      `Cannot install code-server: missing Debian package(s):\n${lines.join('\n')}\n` +
        `Install with: apt-get update && apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`,
    );
  }
}

function isInstalled() {
  if (!fs.existsSync(installedMarker) || !fs.existsSync(entryScript)) {
    return false;
  }
  const probe = spawnSync(process.execPath, [entryScript, '--version'], { encoding: 'utf8', timeout: 60_000 });
  return probe.status === 0 && probe.stdout.includes(CODE_SERVER_VERSION);
}

function prepareRipgrepCache() {
  const archive = path.join(RIPGREP_CACHE, RIPGREP_ARCHIVE);
  if (fs.existsSync(archive)) {
    return;
  }
  fs.mkdirSync(RIPGREP_CACHE, { recursive: true });
  const tar = spawnSync('tar', ['-czf', archive, '-C', '/usr/bin', 'rg'], { encoding: 'utf8' });
  if (tar.status !== 0) {
    throw new Error(`Could not pack /usr/bin/rg into ${archive}: ${tar.stderr || tar.error?.message}`);
  }
}

/** Serialises installs between processes (for example e2e and integration run side by side). */
async function withInstallLock(fn) {
  const lockDir = `${codeServerDir}.lock`;
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') {
        throw error;
      }
      const owner = Number(tailOf(path.join(lockDir, 'pid'), 1));
      let ownerAlive = false;
      try {
        ownerAlive = owner > 0 && process.kill(owner, 0);
      } catch {
        ownerAlive = false;
      }
      if (!ownerAlive) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for another code-server install (pid ${owner}, lock ${lockDir})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000)); // poll interval for the other install
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Installs code-server into .vscode-test/code-server/ unless a working copy is there.
 * Returns the path of its entry script (run it with `node`).
 */
export async function ensureCodeServer({ log = (line) => console.log(line) } = {}) {
  if (isInstalled()) {
    return entryScript;
  }
  checkDebianPrerequisites();
  return withInstallLock(async () => {
    if (isInstalled()) {
      return entryScript; // another process installed it while we waited
    }
    const started = Date.now();
    log(`Installing code-server ${CODE_SERVER_VERSION} into ${path.relative(repoRoot, codeServerDir)}/ (one time, about a minute)…`);
    prepareRipgrepCache();
    fs.rmSync(installedMarker, { force: true });
    fs.mkdirSync(codeServerDir, { recursive: true });
    if (!fs.existsSync(path.join(codeServerDir, 'package.json'))) {
      fs.writeFileSync(path.join(codeServerDir, 'package.json'), '{ "private": true }\n');
    }
    await run(
      'npm',
      ['install', '--prefix', codeServerDir, '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`],
      {
        // It runs as root here, and one post-install step calls `npx`.
        env: { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' },
        failure: `npm install code-server@${CODE_SERVER_VERSION}`,
      },
    );
    if (!fs.existsSync(entryScript)) {
      throw new Error(`code-server was installed but ${entryScript} is missing`);
    }
    fs.writeFileSync(installedMarker, `${new Date().toISOString()}\n`);
    if (!isInstalled()) {
      throw new Error(`code-server ${CODE_SERVER_VERSION} was installed into ${codeServerDir} but \`code-server --version\` fails`);
    }
    log(`code-server ${CODE_SERVER_VERSION} installed in ${Math.round((Date.now() - started) / 1000)} s.`);
    return entryScript;
  });
}

/**
 * User settings for a workbench that shows what it is told and nothing else: no welcome page,
 * tips, trust prompt, telemetry, update checks or git offers.
 */
export const QUIET_WORKBENCH_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
});

/** Environment for code-server: ours, minus variables that would make it talk to another VS Code. */
function codeServerEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VSCODE_') && key !== 'ELECTRON_RUN_AS_NODE') {
      env[key] = value;
    }
  }
  return { ...env, ...extra };
}

/**
 * Starts code-server and resolves once its HTTP port answers.
 * - `settings` (optional) is written to `<userDataDir>/User/settings.json` before start.
 * - `env` is added to code-server's environment; the extension host inherits it.
 * - `logFile` receives code-server's output (default: `<userDataDir>/code-server.log`).
 * Returns `{ url, port, workbenchUrl, logFile, process, stop() }`; `stop()` kills the whole
 * process tree (server, extension host, file watcher, pty host).
 */
export async function startCodeServer({
  workspace,
  userDataDir,
  extensionsDir,
  settings,
  port,
  host = '127.0.0.1',
  locale,
  env = {},
  logFile,
  timeoutMs = 90_000,
}) {
  if (!fs.existsSync(entryScript)) {
    throw new Error('code-server is not installed: call ensureCodeServer() first');
  }
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  if (settings) {
    fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  }
  const chosenPort = port ?? (await freePort());
  const log = logFile ?? path.join(userDataDir, 'code-server.log');
  const args = [
    entryScript,
    '--auth', 'none',
    '--bind-addr', `${host}:${chosenPort}`,
    '--config', path.join(userDataDir, 'code-server-config.yaml'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(locale ? ['--locale', locale] : []),
  ];
  if (workspace) {
    args.push(workspace);
  }
  const child = spawnGroup(process.execPath, args, { env: codeServerEnv(env), logFile: log });
  let exit;
  void child.exited.then((result) => {
    exit = result;
  });
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${urlHost}:${chosenPort}/`;
  try {
    await waitForHttp(`${url}healthz`, {
      what: `code-server to answer on ${url}`,
      timeoutMs,
      abort: () =>
        exit &&
        new Error(`code-server exited (code ${exit.code}, signal ${exit.signal}) before it answered on ${url}:\n${tailOf(log)}`),
      detail: () => `code-server's last output (${log}):\n${tailOf(log)}`,
    });
  } catch (error) {
    await killGroup(child);
    throw error;
  }
  return {
    url,
    port: chosenPort,
    workbenchUrl: workspace ? `${url}?folder=${encodeURIComponent(workspace).replace(/%2F/g, '/')}` : url,
    logFile: log,
    process: child,
    stop: () => killGroup(child),
  };
}

/**
 * Copies what explains a failure into `destDir`: code-server's output (its default log file,
 * `<userDataDir>/code-server.log`) and VS Code's logs (`<userDataDir>/logs`: server, extension
 * host, output channels).
 */
export function saveCodeServerLogs(userDataDir, destDir) {
  fs.mkdirSync(destDir, { recursive: true });
  const output = path.join(userDataDir, 'code-server.log');
  if (fs.existsSync(output)) {
    fs.copyFileSync(output, path.join(destDir, 'code-server.log'));
  }
  const logs = path.join(userDataDir, 'logs');
  if (fs.existsSync(logs)) {
    fs.cpSync(logs, path.join(destDir, 'vscode-logs'), { recursive: true });
  }
}

if (isMain(import.meta.url)) {
  const command = process.argv[2] ?? 'install';
  if (command !== 'install') {
    console.error('usage: node scripts/code-server.mjs install');
    process.exit(2);
  }
  ensureCodeServer()
    .then((entry) => console.log(`code-server ${CODE_SERVER_VERSION} is ready: ${entry}`))
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
