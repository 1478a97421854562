// Mocha options for the e2e suite (`npm run test:e2e`). The spec list is built from the
// sources, so a compiled test whose .ts was deleted cannot linger in out/ and still run.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

function e2eTests(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return e2eTests(full);
    }
    return entry.name.endsWith('.e2e.test.ts') ? [full] : [];
  });
}

module.exports = {
  spec: e2eTests(__dirname).map((file) => path.join(root, 'out', path.relative(root, file)).replace(/\.ts$/, '.js')),
  timeout: 180000,
  slow: 60000,
  exit: true,
  reporter: path.join(root, 'scripts', 'mocha-stats-reporter.cjs'),
  'node-option': ['enable-source-maps'],
};
