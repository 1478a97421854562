/**
 * Runs the integration suite with mocha inside a VS Code extension host and collects the
 * results. Shared by both hosts: @vscode/test-electron (index.ts) and code-server (extension.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export interface TestResult {
  /** Suite titles, then the test (or hook) title. */
  titlePath: string[];
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: { message: string; stack?: string };
}

export interface SuiteResults {
  host: { vscodeVersion: string; uiKind: string; remoteName: string | null; appName: string };
  stats: { passes: number; failures: number; pending: number; durationMs: number };
  tests: TestResult[];
  /** Set when the suite could not run at all. */
  fatal?: string;
}

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const sourceDir = path.join(repoRoot, 'test', 'integration');

/**
 * The compiled test files in out/test/integration, listed from the sources (every *.test.ts
 * under test/integration), so a test whose .ts was deleted cannot linger in out/ and still run.
 */
function findTestFiles(dir = sourceDir): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'runner') {
      files.push(...findTestFiles(full));
    } else if (entry.isFile() && entry.name.endsWith('.test.ts')) {
      const compiled = path.join(repoRoot, 'out', path.relative(repoRoot, full)).replace(/\.ts$/, '.js');
      if (!fs.existsSync(compiled)) {
        throw new Error(`${path.relative(repoRoot, compiled)} is missing: compile first (tsc -p test/integration)`);
      }
      files.push(compiled);
    }
  }
  return files.sort();
}

function hostInfo(): SuiteResults['host'] {
  return {
    vscodeVersion: vscode.version,
    uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'Web' : 'Desktop',
    remoteName: vscode.env.remoteName ?? null,
    appName: vscode.env.appName,
  };
}

/**
 * Runs every integration test file. `grep` (optional) filters tests by full title.
 * Never rejects: a suite that cannot start is reported in `fatal`.
 */
export async function runIntegrationSuite({ reporter = 'spec', grep }: { reporter?: string; grep?: string } = {}): Promise<SuiteResults> {
  const started = Date.now();
  const results: SuiteResults = { host: hostInfo(), stats: { passes: 0, failures: 0, pending: 0, durationMs: 0 }, tests: [] };
  try {
    const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, slow: 5_000, reporter });
    if (grep) {
      mocha.grep(grep);
    }
    const files = findTestFiles();
    if (files.length === 0) {
      throw new Error(`no *.test.ts files in ${sourceDir}`);
    }
    files.forEach((file) => mocha.addFile(file));
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      const record = (test: Mocha.Runnable, state: TestResult['state'], error?: Error) =>
        results.tests.push({
          titlePath: test.titlePath(),
          state,
          durationMs: test.duration,
          error: error && { message: error.message ?? String(error), stack: error.stack },
        });
      runner.on('pass', (test) => record(test, 'passed'));
      runner.on('fail', (test, error: Error) => record(test, 'failed', error));
      runner.on('pending', (test) => record(test, 'pending'));
    });
  } catch (error) {
    results.fatal = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  results.stats = {
    passes: results.tests.filter((t) => t.state === 'passed').length,
    failures: results.tests.filter((t) => t.state === 'failed').length,
    pending: results.tests.filter((t) => t.state === 'pending').length,
    durationMs: Date.now() - started,
  };
  return results;
}
