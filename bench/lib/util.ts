/** Small helpers shared by the benchmark processes: paths, statistics, child processes, /proc readings. */
import { ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file runs from out/bench/bench/lib). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
/** Generated files and server storage; git-ignored, deleted at the end of a run. */
export const TMP_DIR = join(REPO_ROOT, 'bench', 'tmp');
export const MB = 1024 * 1024;

export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Peak resident set size of this process (VmHWM) in bytes, or undefined where /proc is missing. */
export function peakRss(): number | undefined {
  return statusField('VmHWM');
}

/** Reset VmHWM to the current RSS (Linux ≥ 4.0: `5` in /proc/self/clear_refs). False when not possible. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function statusField(name: string): number | undefined {
  try {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A script of this benchmark, compiled. */
export function benchScript(name: string): string {
  return join(__dirname, `${name}.js`);
}

/**
 * Run a compiled bench script in its own Node process and resolve with the one result it sends
 * over IPC (`process.send`). The child's stderr passes through; a child that exits without a
 * result rejects.
 */
export function runChild<T>(script: string, args: string[], options: { execArgv?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const child: ChildProcess = fork(benchScript(script), args, {
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: options.env ?? process.env,
    });
    let result: { ok: true; value: T } | { ok: false; error: string } | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} timed out`));
    }, options.timeoutMs ?? 10 * 60_000);
    child.on('message', (message) => {
      result = message as typeof result;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result?.ok) {
        resolvePromise(result.value);
      } else {
        reject(new Error(result ? result.error : `${script} ${args.join(' ')} exited (${signal ?? code}) without a result`));
      }
    });
  });
}

/** The child side of runChild: run `main`, send its result or error, exit. */
export function childMain<T>(main: () => Promise<T>): void {
  main().then(
    (value) => process.send?.({ ok: true, value }, () => process.exit(0)),
    (err: unknown) => {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.send?.({ ok: false, error }, () => process.exit(1));
    },
  );
}

export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
