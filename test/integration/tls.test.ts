/**
 * Certificate trust on the real VS Code API, against the fake server over HTTPS/WSS with a
 * self-signed certificate: refused by default; trusted through `trueconf.tls.caFile`; trusted
 * per server through `trueconf.trustServerCertificate` (its scripted form, which skips the modal
 * warning); and a changed certificate reported before anything is sent.
 */
import * as assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, Settings } from '../../src/constants';
import type { TrueConfShareApi } from '../../src/extension';
import type { SessionState } from '../../src/services/connection';
import { statusText } from '../../src/services/statusBar';
import type { TrustedCertificate } from '../../src/trueconf/pins';
import { FakeTrueConfServer } from '../fake-server/server';
import { activate, config, resetSettings, signInAsAlice, sleep, waitForState } from './helpers';

/** out/test/integration → the repository. */
const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures');

function pair(name: string): { key: string; cert: string } {
  return {
    key: readFileSync(path.join(FIXTURES, `${name}-key.pem`), 'utf8'),
    cert: readFileSync(path.join(FIXTURES, `${name}-cert.pem`), 'utf8'),
  };
}

const SELF_SIGNED = pair('tls-selfsigned');
const OTHER = pair('tls-selfsigned2');
const fingerprint = (p: { cert: string }) => new X509Certificate(p.cert).fingerprint256;

const isCertificateFailure = (s: SessionState) => s.kind === 'failed' && s.error.kind === 'certificate';

describe('TLS: certificate trust (trueconf.tls.caFile, trueconf.trustServerCertificate)', function () {
  this.timeout(90_000);
  let server: FakeTrueConfServer;
  let api: TrueConfShareApi;
  const signIn = () => signInAsAlice(server.url);
  const seen = () => ({ http: server.log.http.length, tokens: server.log.tokenRequests.length, requests: server.log.requests.length });

  before(async () => {
    api = await activate();
    await vscode.commands.executeCommand(Commands.signOut);
    server = await FakeTrueConfServer.start({ tls: SELF_SIGNED });
  });

  after(async () => {
    await vscode.commands.executeCommand(Commands.signOut);
    if (server) {
      await vscode.commands.executeCommand(Commands.forgetServerCertificate, { server: server.url });
    }
    await resetSettings([Settings.server, Settings.username, Settings.tlsCaFile, Settings.tlsRejectUnauthorized]);
    await server?.stop();
  });

  it('verifies by default: the sign-in fails with the certificate message, and no token is requested', async () => {
    assert.equal(config().get(Settings.tlsRejectUnauthorized), true);
    await assert.rejects(Promise.resolve(signIn()), (err: Error) => {
      assert.match(err.message, /^The certificate of 127\.0\.0\.1:\d+ is not trusted\./);
      assert.match(err.message, /choose its CA file/);
      return true;
    });
    const state = api.session.state;
    assert.ok(isCertificateFailure(state), JSON.stringify(state));
    assert.match(statusText(state, Date.now()), /certificate not trusted/);
    assert.equal(server.log.tokenRequests.length, 0);
  });

  it('connects once trueconf.tls.caFile names the certificate (its own CA)', async () => {
    await config().update(Settings.tlsCaFile, path.join(FIXTURES, 'tls-selfsigned-cert.pem'), vscode.ConfigurationTarget.Global);
    await signIn();
    assert.deepEqual(api.session.state, { kind: 'connected', userId: 'alice@trueconf.test' });
  });

  it('without the CA file the signed-in session fails with the certificate error again', async () => {
    await config().update(Settings.tlsCaFile, undefined, vscode.ConfigurationTarget.Global);
    await waitForState(api, 'certificate failure', isCertificateFailure);
  });

  it("refuses to trust when the server's fingerprint is not the expected one", async () => {
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand(Commands.trustServerCertificate, { server: server.url, fingerprint256: fingerprint(OTHER), skipConfirmation: true }),
      ),
      /not the expected/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand(Commands.trustServerCertificate, { server: server.url, skipConfirmation: true })),
      /needs fingerprint256/,
    );
    assert.ok(isCertificateFailure(api.session.state));
  });

  it("trusts this server's certificate (scripted, without the modal) and reconnects", async () => {
    const pin = await vscode.commands.executeCommand<TrustedCertificate>(Commands.trustServerCertificate, {
      server: server.url,
      fingerprint256: fingerprint(SELF_SIGNED).replace(/:/g, '').toLowerCase(),
      skipConfirmation: true,
    });
    assert.equal(pin.fingerprint256, fingerprint(SELF_SIGNED));
    assert.equal(pin.subject, 'CN=localhost');
    await waitForState(api, 'connected', (s) => s.kind === 'connected');
    assert.equal(config().get(Settings.tlsRejectUnauthorized), true, 'the setting is untouched: the trust is per server');
  });

  it('keeps verifying other servers: the trust belongs to that one server', async () => {
    const other = await FakeTrueConfServer.start({ tls: OTHER });
    try {
      await assert.rejects(Promise.resolve(signInAsAlice(other.url)), /is not trusted/);
      assert.equal(other.log.tokenRequests.length, 0);
      assert.equal(api.session.state.kind, 'connected', 'the trusted session stays');
    } finally {
      await other.stop();
    }
  });

  it('with verification turned off, the trusted server still connects (its pin decides)', async () => {
    await config().update(Settings.tlsRejectUnauthorized, false, vscode.ConfigurationTarget.Global);
    await waitForState(api, 'connected', (s) => s.kind === 'connected');
  });

  it('reports a changed certificate when the server comes back with another one, and sends it nothing', async () => {
    const before = seen();
    server.setCertificate(OTHER);
    await server.restart();

    const state = await waitForState(api, 'certificate failure', isCertificateFailure, 30_000);
    assert.ok(state.kind === 'failed');
    const was = fingerprint(SELF_SIGNED).slice(0, 23);
    const now = fingerprint(OTHER).slice(0, 23);
    assert.ok(state.error.message.includes(`has changed since you trusted it (was ${was}…, now ${now}…)`), state.error.message);
    assert.match(statusText(state, Date.now()), /certificate changed/);

    await vscode.commands.executeCommand(Commands.reconnect);
    await sleep(1_500);
    assert.ok(isCertificateFailure(api.session.state), 'still refused after Reconnect');
    assert.deepEqual(seen(), before, 'the server saw no new request: no token, no WebSocket upgrade, no RPC');
  });

  it('forgets the trusted certificate', async () => {
    // Signed out first: a signed-in session would reconnect, and with verification off ask (modally) about the new certificate.
    await vscode.commands.executeCommand(Commands.signOut);
    const forgot = await vscode.commands.executeCommand<boolean>(Commands.forgetServerCertificate, { server: server.url });
    assert.equal(forgot, true);
    assert.equal(await vscode.commands.executeCommand<boolean>(Commands.forgetServerCertificate, { server: server.url }), false);
  });
});
