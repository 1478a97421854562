// Mocha reporter: the usual `spec` output, plus the run's counts written as JSON to
// $TEST_STATS_FILE so scripts/test-all.mjs can sum every suite into one line.
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

class StatsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const file = process.env.TEST_STATS_FILE;
      if (!file) {
        return;
      }
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {};
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ passes, failures, pending }));
    });
  }
}

module.exports = StatsReporter;
