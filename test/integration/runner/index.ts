/**
 * extensionTestsPath for @vscode/test-electron (`npm run test:electron`): VS Code calls
 * `run()` in its extension host once the extension under development is loaded.
 */
import { runIntegrationSuite } from './mocha';

export async function run(): Promise<void> {
  const results = await runIntegrationSuite({ reporter: 'spec', grep: process.env.TRUECONF_INTEGRATION_GREP });
  if (results.fatal) {
    throw new Error(`The integration suite could not run: ${results.fatal}`);
  }
  if (results.stats.failures > 0) {
    throw new Error(`${results.stats.failures} integration test(s) failed.`);
  }
}
