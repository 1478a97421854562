import * as assert from 'node:assert/strict';
import { LogLevel } from '../../src/common/logger';
import { MASK, Redactor } from '../../src/common/redact';
import { RedactingLogger } from '../../src/common/redactingLogger';

describe('common/redactingLogger', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTc2NzA5MDAwMH0.c2lnbmF0dXJlLWJ5dGVz';

  function setup(capacity?: number) {
    const redactor = new Redactor();
    const written: Array<{ level: LogLevel; line: string }> = [];
    const logger = new RedactingLogger(redactor, (level, line) => written.push({ level, line }), capacity);
    return { redactor, written, logger };
  }

  it('hands the sink each message with its arguments, at its level', () => {
    const { written, logger } = setup();
    logger.info('connected as', 'alice@trueconf.test', { attempt: 2 });
    logger.error(new Error('socket closed'), 'while reading');
    assert.deepEqual(written, [
      { level: 'info', line: 'connected as alice@trueconf.test {"attempt":2}' },
      { level: 'error', line: 'socket closed while reading' },
    ]);
  });

  it('masks the password, the token and download-URL queries before the sink sees them', () => {
    const { redactor, written, logger } = setup();
    redactor.addSecret('alice-pass');
    redactor.addSecret('opaque-token-value');
    logger.debug('password alice-pass rejected');
    logger.trace('auth', { token: 'opaque-token-value', tokenType: 'JWT' });
    logger.warn(`download http://127.0.0.1:4309/files/f1?sig=abc123 failed; bearer ${jwt}`);
    const all = written.map((w) => w.line).join('\n');
    for (const secret of ['alice-pass', 'opaque-token-value', 'abc123', jwt]) {
      assert.ok(!all.includes(secret), `${secret} leaked: ${all}`);
    }
    assert.ok(all.includes(MASK), all);
  });

  it('keeps exactly the lines the sink received, up to its capacity', () => {
    const { written, logger } = setup(3);
    for (let i = 1; i <= 5; i++) {
      logger.info(`line ${i}`);
    }
    assert.deepEqual(logger.lines, ['line 3', 'line 4', 'line 5']);
    assert.deepEqual(
      written.slice(-3).map((w) => w.line),
      logger.lines,
    );
  });
});
