import * as assert from 'node:assert/strict';
import { MASK, Redactor, redactUrl } from '../../src/common/redact';

describe('common/redact', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTc2NzA5MDAwMH0.c2lnbmF0dXJlLWJ5dGVz';

  it('cuts the query and fragment from URLs', () => {
    assert.equal(redactUrl('https://h/bridge/api/client/v1/files/abc?token=s3cret#x'), `https://h/bridge/api/client/v1/files/abc?${MASK}`);
    assert.equal(redactUrl('https://h/path'), 'https://h/path');
  });

  it('masks download-URL credentials inside free text', () => {
    const out = new Redactor().redact('GET http://127.0.0.1:4309/bridge/api/client/v1/files/f1?token=abcdef123 failed');
    assert.ok(!out.includes('abcdef123'), out);
    assert.ok(out.includes('/bridge/api/client/v1/files/f1'), out);
  });

  it('masks JWTs, secret fields and registered literal secrets', () => {
    const r = new Redactor();
    r.addSecret('hunter2!');
    const out = r.redact(`auth {"token":"${jwt}","password":"hunter2!"} and again hunter2! and bare ${jwt}`);
    assert.ok(!out.includes('hunter2!'), out);
    assert.ok(!out.includes(jwt), out);
    assert.ok(!out.includes('eyJ'), out);
  });

  it('forgets a secret when asked', () => {
    const r = new Redactor();
    r.addSecret('old-password');
    r.removeSecret('old-password');
    assert.equal(r.redact('old-password'), 'old-password');
  });
});
