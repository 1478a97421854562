// `npm test`: lint, type-check and every test suite, then one line summing them all:
//   tests: N passed, N failed
// Every step runs even when an earlier one fails, so one run shows everything that is wrong.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const resultsDir = path.join(root, 'test-results');
fs.mkdirSync(resultsDir, { recursive: true });

/** A check passes or fails as one; a suite reports its own counts through TEST_STATS_FILE. */
const steps = [
  { name: 'lint', command: ['npx', 'eslint', '.'] },
  { name: 'type-check', command: ['npx', 'tsc', '-p', 'tsconfig.json', '--noEmit'] },
  { name: 'unit', command: ['npm', 'run', '--silent', 'test:unit'], suite: true },
  { name: 'integration (code-server)', command: ['npm', 'run', '--silent', 'test:integration'], suite: true },
  { name: 'e2e (code-server + Chromium)', command: ['npm', 'run', '--silent', 'test:e2e'], suite: true },
];

let passed = 0;
let failed = 0;
const report = [];

for (const step of steps) {
  const statsFile = path.join(resultsDir, `stats-${step.name.replace(/\W+/g, '-')}.json`);
  fs.rmSync(statsFile, { force: true });
  console.log(`\n=== ${step.name} ===`);
  const started = Date.now();
  const run = spawnSync(step.command[0], step.command.slice(1), {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TEST_STATS_FILE: statsFile },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = run.status === 0;
  if (step.suite) {
    const stats = readStats(statsFile);
    if (stats) {
      passed += stats.passes;
      failed += stats.failures;
      // A suite that crashed before or after its tests still counts as a failure.
      if (!ok && stats.failures === 0) {
        failed += 1;
      }
      report.push(`${step.name}: ${stats.passes} passed, ${stats.failures} failed${ok ? '' : ' (exit ' + run.status + ')'} in ${seconds}s`);
    } else {
      failed += 1;
      report.push(`${step.name}: did not report results (exit ${run.status}) in ${seconds}s`);
    }
  } else {
    ok ? passed++ : failed++;
    report.push(`${step.name}: ${ok ? 'passed' : 'failed'} in ${seconds}s`);
  }
}

console.log('\n=== summary ===');
for (const line of report) {
  console.log(line);
}
const summary = `tests: ${passed} passed, ${failed} failed`;
fs.writeFileSync(path.join(resultsDir, 'summary.txt'), summary + '\n');
console.log(summary);
process.exit(failed === 0 ? 0 : 1);

function readStats(file) {
  try {
    const stats = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { passes: Number(stats.passes) || 0, failures: Number(stats.failures) || 0 };
  } catch {
    return undefined;
  }
}
