import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands, Settings } from '../../src/constants';
import type { TrueConfShareApi } from '../../src/extension';
import { FakeTrueConfServer } from '../fake-server/server';
import { ALICE, activate, config, signInAsAlice, signOutAndStop, sleep, waitForState } from './helpers';

describe('Session: sign-in, connection state and sign-out', function () {
  this.timeout(60_000);
  let server: FakeTrueConfServer;
  let api: TrueConfShareApi;
  const auths = () => server.log.requests.filter((r) => r.method === 'auth').length;
  const issuedTokens = () => server.log.tokenRequests.filter((r) => r.ok).length;

  before(async () => {
    server = await FakeTrueConfServer.start();
    api = await activate();
  });

  after(async () => {
    await signOutAndStop(server, [Settings.server, Settings.username, Settings.tlsRejectUnauthorized]);
  });

  it('signs in from an argument without asking, and saves the server and user name in the user settings', async () => {
    await signInAsAlice(server.url);

    assert.deepEqual(api.session.state, { kind: 'connected', userId: 'alice@trueconf.test' });
    assert.equal(issuedTokens(), 1, 'one token was issued');
    assert.equal(config().inspect(Settings.server)?.globalValue, new URL(server.url).origin);
    assert.equal(config().inspect(Settings.username)?.globalValue, ALICE.username);
    assert.ok(!JSON.stringify(config()).includes(ALICE.password), 'the password is in no setting');
  });

  it('keeps the token in SecretStorage: a TLS settings change reconnects with the stored token', async () => {
    const tokensBefore = issuedTokens();
    const authsBefore = auths();

    await config().update(Settings.tlsRejectUnauthorized, false, vscode.ConfigurationTarget.Global);
    await server.waitFor(() => auths() > authsBefore, 10_000);
    await waitForState(api, 'connected', (s) => s.kind === 'connected', 10_000);

    assert.equal(issuedTokens(), tokensBefore, 'no new token: the one stored at sign-in was used');
    await config().update(Settings.tlsRejectUnauthorized, undefined, vscode.ConfigurationTarget.Global);
    await server.waitFor(() => auths() > authsBefore + 1, 10_000);
    await waitForState(api, 'connected', (s) => s.kind === 'connected', 10_000);
  });

  it('goes "reconnecting" when the connection drops, then connects again by itself', async () => {
    server.faults.dropAllSockets();

    const reconnecting = await waitForState(api, 'reconnecting', (s) => s.kind === 'reconnecting', 10_000);
    assert.ok(reconnecting.kind === 'reconnecting' && reconnecting.nextAttemptAt > 0);
    await waitForState(api, 'connected', (s) => s.kind === 'connected', 30_000);
  });

  it('rejects a wrong password with "Wrong user name or password" and keeps the working session', async () => {
    await assert.rejects(
      Promise.resolve(signInAsAlice(server.url, 'not-her-pass')),
      (err: Error) => {
        assert.match(err.message, /Wrong user name or password/);
        assert.ok(!err.message.includes('not-her-pass'), 'the message does not repeat the password');
        return true;
      },
    );
    assert.equal(api.session.state.kind, 'connected');
  });

  it('refuses an address that is not a URL, and says why', async () => {
    const tokensBefore = server.log.tokenRequests.length;
    await assert.rejects(
      Promise.resolve(signInAsAlice('not a url')),
      /server address/i,
    );
    assert.equal(server.log.tokenRequests.length, tokensBefore);
  });

  it('says when the server cannot be reached', async () => {
    const gone = await FakeTrueConfServer.start();
    const url = gone.url;
    await gone.stop();
    await assert.rejects(Promise.resolve(signInAsAlice(url)), /Cannot reach/);
    assert.equal(api.session.state.kind, 'connected', 'the working session stays');
  });

  it('never writes the password or a token to the log', () => {
    const log = api.log.lines.join('\n');
    assert.match(log, /alice/, 'the log has the session in it');
    for (const password of [ALICE.password, 'not-her-pass']) {
      assert.ok(!log.includes(password), `the log contains the password ${password}`);
    }
    assert.doesNotMatch(log, /eyJ[\w-]+\.[\w-]+\./, 'the log contains a JWT');
  });

  it('signs out: the connection closes and the stored password and token are gone', async () => {
    await vscode.commands.executeCommand(Commands.signOut);
    assert.deepEqual(api.session.state, { kind: 'signedOut' });
    await server.waitFor(() => server.connectionCount() === 0, 5_000);

    const tokensBefore = server.log.tokenRequests.length;
    const authsBefore = auths();
    // Both of these connect from the stored credentials when there are any (see above).
    await vscode.commands.executeCommand(Commands.reconnect);
    await config().update(Settings.tlsRejectUnauthorized, false, vscode.ConfigurationTarget.Global);
    await sleep(1_500);

    assert.deepEqual(api.session.state, { kind: 'signedOut' });
    assert.equal(server.log.tokenRequests.length, tokensBefore, 'no token requests after sign-out');
    assert.equal(auths(), authsBefore, 'no WebSocket sign-in after sign-out');
  });

  it('shows a failed sign-in as the state when nothing else is signed in', async () => {
    await assert.rejects(
      Promise.resolve(signInAsAlice(server.url, 'not-her-pass')),
      /Wrong user name or password/,
    );
    const state = api.session.state;
    assert.ok(state.kind === 'failed' && state.error.kind === 'wrongCredentials', JSON.stringify(state));
  });
});
