// `npm start`: try the extension in a browser without a TrueConf Server.
//
// Builds the extension, starts the sandbox TrueConf server (test/fake-server/sandbox.ts) and
// code-server with the extension installed and pointed at the sandbox, then prints the URL to
// open and the demo account. Stays in the foreground; Ctrl-C stops everything.
//
//   PORT           code-server's port (default 8080)
//   HOST           code-server's address (default 127.0.0.1)
//   TRUECONF_SANDBOX_PORT   the sandbox server's port (default 4309)
// State (settings, installed extension, demo workspace) lives in .sandbox/ (git-ignored).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { QUIET_WORKBENCH_SETTINGS, ensureCodeServer, startCodeServer } from './code-server.mjs';
import { packageVsix } from './package-vsix.mjs';
import { installVsix } from './lib/extensions.mjs';
import { killGroup, pollUntil, repoRoot, run, spawnGroup, tailOf } from './lib/proc.mjs';

const PORT = Number(process.env.PORT ?? 8080);
const HOST = process.env.HOST ?? '127.0.0.1';
const SANDBOX_PORT = Number(process.env.TRUECONF_SANDBOX_PORT ?? 4309);
const DEMO_USER = 'demo';
const DEMO_PASSWORD = 'demo';

const sandboxDir = path.join(repoRoot, '.sandbox');
const workspace = path.join(sandboxDir, 'workspace');
const userDataDir = path.join(sandboxDir, 'user-data');
const extensionsDir = path.join(sandboxDir, 'extensions');
const sandboxScript = path.join(repoRoot, 'out', 'test', 'fake-server', 'sandbox.js');

const DEMO_FILES = {
  'README.md': [
    '# TrueConf Share sandbox',
    '',
    'This folder is a playground for the TrueConf Share extension.',
    '',
    `1. Click **TrueConf: Sign In** in the status bar (or run it from the command palette, F1).`,
    `2. Keep the server address, sign in as \`${DEMO_USER}\` with the password \`${DEMO_PASSWORD}\`.`,
    '3. Open a file and run **TrueConf: Send Active File to Chat…**, or select some lines and run',
    '   **TrueConf: Send Selection to Chat…**. Right-click files in the Explorer to send several.',
    '4. Files your "colleagues" send show up in the TrueConf view in the activity bar.',
    '',
  ].join('\n'),
  'src/greeting.ts': "export function greeting(name: string): string {\n  return `Hello, ${name}!`;\n}\n",
  'notes/meeting.md': '# Stand-up\n\n- build is green\n- send the release notes to the team chat\n',
  'logs/build.log': '[12:00:01] compile ok\n[12:00:04] tests: 42 passing\n',
};

function writeDemoWorkspace() {
  for (const [file, contents] of Object.entries(DEMO_FILES)) {
    const target = path.join(workspace, file);
    if (!fs.existsSync(target)) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, contents);
    }
  }
}

/** The user's sandbox settings, with the server and user name pointed at the sandbox. */
function sandboxSettings(serverUrl) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  let settings = {};
  if (fs.existsSync(file)) {
    try {
      settings = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      fs.copyFileSync(file, `${file}.bak`);
      console.log(`(${path.relative(repoRoot, file)} was not plain JSON; kept a copy as settings.json.bak)`);
    }
  }
  return {
    ...QUIET_WORKBENCH_SETTINGS,
    // Opens the demo folder's README, which says what to try.
    'workbench.startupEditor': 'readme',
    ...settings,
    'trueconf.server': serverUrl,
    'trueconf.username': DEMO_USER,
  };
}

function assertPortFree(port, host, hint) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} on ${host} is in use. ${hint}`) : error),
    );
    server.listen(port, host, () => server.close(resolve));
  });
}

/** Starts the sandbox server and resolves with its URL once it says it is listening. */
async function startSandbox() {
  let url;
  const child = spawnGroup(process.execPath, [sandboxScript], {
    env: { ...process.env, TRUECONF_SANDBOX_PORT: String(SANDBOX_PORT) },
    logFile: path.join(sandboxDir, 'sandbox.log'),
    onLine: (line) => {
      console.log(`[sandbox] ${line}`);
      url ??= /^TrueConf sandbox listening on (\S+)/.exec(line)?.[1];
    },
  });
  let exit;
  void child.exited.then((result) => {
    exit = result;
  });
  try {
    await pollUntil(() => url, {
      what: 'the sandbox server to say "TrueConf sandbox listening on …"',
      timeoutMs: 30_000,
      abort: () => exit && new Error(`The sandbox server exited (code ${exit.code}):\n${tailOf(path.join(sandboxDir, 'sandbox.log'))}`),
    });
  } catch (error) {
    await killGroup(child);
    throw error;
  }
  return { url: url.replace(/\/+$/, ''), child };
}

async function main() {
  fs.mkdirSync(sandboxDir, { recursive: true });
  const stops = [];
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log('\nStopping…');
    for (const stop of stops.reverse()) {
      await stop().catch(() => undefined);
    }
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => void stopAll(0));
  }

  await assertPortFree(PORT, HOST, 'Stop what uses it, or choose another port: PORT=8081 npm start');
  await assertPortFree(SANDBOX_PORT, '127.0.0.1', 'Stop what uses it, or choose another: TRUECONF_SANDBOX_PORT=4310 npm start');

  const vsix = await packageVsix({ quiet: true });
  await run('npm', ['run', '--silent', 'compile-tests'], { failure: 'Compiling the sandbox server (npm run compile-tests)' });
  if (!fs.existsSync(sandboxScript)) {
    throw new Error(`${path.relative(repoRoot, sandboxScript)} is missing after npm run compile-tests`);
  }
  await ensureCodeServer();

  const sandbox = await startSandbox();
  stops.push(() => killGroup(sandbox.child));

  writeDemoWorkspace();
  installVsix(vsix, extensionsDir);
  const codeServer = await startCodeServer({
    workspace,
    userDataDir,
    extensionsDir,
    host: HOST,
    port: PORT,
    settings: sandboxSettings(sandbox.url),
    logFile: path.join(sandboxDir, 'code-server.log'),
  });
  stops.push(() => codeServer.stop());

  const line = '─'.repeat(72);
  console.log(`\n${line}`);
  console.log('  TrueConf Share is running in VS Code (code-server) with a sandbox TrueConf server.\n');
  console.log(`  Open:        ${codeServer.workbenchUrl}`);
  console.log(`  Sign in as:  ${DEMO_USER}   password: ${DEMO_PASSWORD}   (server ${sandbox.url} is preset)`);
  console.log(`  Logs:        ${path.relative(repoRoot, sandboxDir)}/code-server.log, ${path.relative(repoRoot, sandboxDir)}/sandbox.log`);
  console.log('\n  Press Ctrl-C to stop.');
  console.log(`${line}\n`);

  const first = await Promise.race([
    sandbox.child.exited.then((r) => ({ who: 'The sandbox server', ...r })),
    codeServer.process.exited.then((r) => ({ who: 'code-server', ...r })),
  ]);
  if (!stopping) {
    console.error(`${first.who} stopped unexpectedly (code ${first.code}, signal ${first.signal}).`);
    await stopAll(1);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
