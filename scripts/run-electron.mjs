// Runs the integration suite (out/test/integration) in desktop VS Code with @vscode/test-electron:
// the extension loads from this folder (--extensionDevelopmentPath) and the runner in
// out/test/integration/runner/index.js runs mocha inside its extension host.
//
//   npm run test:electron
//
// VS Code comes from VSCODE_EXECUTABLE if set, otherwise @vscode/test-electron downloads it
// into .vscode-test/ — which needs update.code.visualstudio.com. Machines that reach only the
// npm registry cannot download it: there, `npm run test:integration` runs the same suite in
// code-server.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot, run } from './lib/proc.mjs';

const testsPath = path.join(repoRoot, 'out', 'test', 'integration', 'runner', 'index.js');

async function main() {
  if (!fs.existsSync(testsPath)) {
    throw new Error(`${path.relative(repoRoot, testsPath)} is missing: compile first (tsc -p test/integration)`);
  }
  await run('npm', ['run', 'build'], { failure: 'npm run build' });
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE || undefined;
  if (vscodeExecutablePath && !fs.existsSync(vscodeExecutablePath)) {
    throw new Error(`VSCODE_EXECUTABLE=${vscodeExecutablePath} does not exist`);
  }
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'trueconf-electron-'));
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Integration test workspace\n');
  try {
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: testsPath,
      extensionTestsEnv: process.env.TRUECONF_INTEGRATION_GREP ? { TRUECONF_INTEGRATION_GREP: process.env.TRUECONF_INTEGRATION_GREP } : undefined,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!vscodeExecutablePath && /download|fetch|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|getaddrinfo|socket|network|status code/i.test(message)) {
      throw new Error(
        `Could not download VS Code for the tests (${message}).\n` +
          'This machine cannot reach update.code.visualstudio.com. Either point VSCODE_EXECUTABLE at an installed ' +
          'VS Code binary, or run the same suite in code-server: npm run test:integration',
      );
    }
    throw error;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
