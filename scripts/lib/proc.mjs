// Process helpers shared by the scripts and the e2e harness: child processes in their own
// process group (so stopping one stops everything it started), polling waits with clear
// timeout messages, free ports.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in scripts/lib/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Process groups started here and not yet stopped; killed if this process goes away. */
const liveGroups = new Set();
let exitHooksInstalled = false;

function killAllGroups(signal) {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}

function installExitHooks() {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  process.on('exit', () => killAllGroups('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      // Our children run in their own process groups, so a terminal's Ctrl-C does not reach
      // them: pass the signal on. If nobody else handles the signal, die of it the way we
      // would have without this hook.
      killAllGroups('SIGTERM');
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
      }
    });
  }
}

/**
 * Starts `command` in a new process group. stdout and stderr go to `logFile` (appended) and,
 * if given, to `onLine(line, stream)`. Returns the ChildProcess with `exited`: a promise of
 * `{ code, signal }` that never rejects.
 */
export function spawnGroup(command, args, { cwd = repoRoot, env = process.env, logFile, onLine } = {}) {
  installExitHooks();
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
  for (const [name, stream] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      log?.write(chunk);
      if (!onLine) {
        return;
      }
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        onLine(line, name);
      }
    });
  }
  child.exited = new Promise((resolve) => {
    child.once('error', (error) => {
      log?.write(`\n[spawn error] ${error.message}\n`);
      resolve({ code: null, signal: null, error });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    liveGroups.delete(child.pid);
    log?.end();
  });
  if (child.pid !== undefined) {
    liveGroups.add(child.pid);
  }
  return child;
}

/** Stops a process group started by spawnGroup: SIGTERM, then SIGKILL after `graceMs`. */
export async function killGroup(child, { graceMs = 5000 } = {}) {
  if (child.pid === undefined || !liveGroups.has(child.pid)) {
    await child.exited;
    return;
  }
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  let timer;
  const forced = new Promise((resolve) => {
    timer = setTimeout(() => {
      signalGroup('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([child.exited, forced]);
  clearTimeout(timer);
  // The leader may be gone while others in its group linger: make sure none survive.
  signalGroup('SIGKILL');
  await child.exited;
}

/** Resolves after `ms` — only as the interval of a poll loop, never as a wait for something. */
function pollInterval(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns a value other than undefined/false and returns that value.
 * `what` names the awaited thing in the timeout error; `detail()` may add the last state seen.
 * `abort()` may return an Error to stop early (for example, "the process exited").
 */
export async function pollUntil(probe, { what, timeoutMs, intervalMs = 250, detail, abort }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const aborted = abort?.();
    if (aborted) {
      throw aborted;
    }
    const value = await probe();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() >= deadline) {
      const extra = detail ? `\n${await detail()}` : '';
      throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${extra}`);
    }
    await pollInterval(intervalMs);
  }
}

/** Waits until `url` answers an HTTP GET with a status below 500. */
export async function waitForHttp(url, { what = url, timeoutMs = 60_000, abort, detail } = {}) {
  await pollUntil(
    async () => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
        await response.body?.cancel();
        return response.status < 500;
      } catch {
        return false;
      }
    },
    { what, timeoutMs, abort, detail },
  );
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The last `lines` lines of a text file ('' if it does not exist). */
export function tailOf(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs a command to completion with inherited stdio; rejects with `failure` on a non-zero exit. */
export async function run(command, args, { cwd = repoRoot, env = process.env, failure } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
  const { code, signal } = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  if (code !== 0) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    throw new Error(`${failure ?? `\`${command} ${args.join(' ')}\``} ${how}`);
  }
}

/** True when this module is the script node was started with. */
export function isMain(importMetaUrl) {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(importMetaUrl);
}
