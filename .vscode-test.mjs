// Configuration for @vscode/test-cli (`npx vscode-test`) and VS Code's Extension Test Runner
// extension, for developers whose machine can download VS Code. It runs the integration suite
// compiled by `tsc -p test/integration` (out/test/integration) with the extension loaded from
// this folder. The same suite runs via `npm run test:electron` (@vscode/test-electron) and, on
// machines that cannot download VS Code, inside code-server: `npm run test:integration`.
export default {
  label: 'integration',
  files: 'out/test/integration/**/*.test.js',
  version: 'stable',
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: {
    ui: 'bdd',
    timeout: 30000,
  },
};
