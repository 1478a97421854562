/**
 * The test-runner extension for code-server, where `--extensionTestsPath` is not supported
 * (real-vscode.md). scripts/run-integration.mjs installs it beside TrueConf Share and starts
 * code-server with TRUECONF_INTEGRATION_RESULTS set; once the workbench has started, this
 * runs the suite in the extension host and writes the results there as JSON.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { runIntegrationSuite } from './mocha';

export function activate(_context: vscode.ExtensionContext): void {
  const resultsFile = process.env.TRUECONF_INTEGRATION_RESULTS;
  if (!resultsFile) {
    return;
  }
  // Let activation finish first; the suite runs on its own.
  setImmediate(() => {
    void runIntegrationSuite({ reporter: 'spec', grep: process.env.TRUECONF_INTEGRATION_GREP }).then((results) => {
      // Write then rename, so the harness never reads half a file.
      const partial = `${resultsFile}.partial`;
      fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
      fs.writeFileSync(partial, `${JSON.stringify(results, null, 2)}\n`);
      fs.renameSync(partial, resultsFile);
    });
  });
}

export function deactivate(): void {
  // Nothing to dispose.
}
