/**
 * Fault tolerance as the user sees it (issue "Reliability and security"): the fake server drops,
 * restarts, refuses, floods, stays silent, runs out of connections and expires tokens, and the
 * assertions are on what the extension shows — the session state behind the status bar item, the
 * notifications (exports `messages.shown`, each also in the log), the incoming-files list — and
 * on what crossed the wire (the fake server's log). The client-level behaviour underneath is
 * covered by test/unit (client, robustness-*, secrets-leak); this suite does not repeat it.
 *
 * Files sent while disconnected appearing after the reconnect: incoming.test.ts covers it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, Settings } from '../../src/constants';
import type { TrueConfShareApi } from '../../src/extension';
import type { SessionState } from '../../src/services/connection';
import type { ShownMessage } from '../../src/services/messages';
import type { SendReport } from '../../src/services/send';
import { statusSummary, statusText } from '../../src/services/statusBar';
import { incomingFileUri } from '../../src/views/chatFileSystem';
import { FakeTrueConfServer } from '../fake-server/server';
import { RawClient } from '../fake-server/raw-client';
import { ALICE, activate, config, eventually, removeDir, signInAsAlice, signOutAndStop, waitForState, writeFileIn } from './helpers';

/** Every state the session goes through from now on, with when it was seen. */
function recordStates(api: TrueConfShareApi): { states: Array<{ state: SessionState; at: number }>; dispose(): void } {
  const states: Array<{ state: SessionState; at: number }> = [];
  const subscription = api.session.onDidChangeState((state) => states.push({ state, at: Date.now() }));
  return { states, dispose: () => subscription.dispose() };
}

/** The rejection of a command run through executeCommand, as an Error. */
async function rejectionOf(run: () => Thenable<unknown>): Promise<Error> {
  try {
    await run();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
  assert.fail('expected the command to fail');
}

describe('Fault tolerance', function () {
  this.timeout(90_000);
  let server: FakeTrueConfServer;
  let api: TrueConfShareApi;
  let team: string;
  let dir: string;

  const signIn = (password = ALICE.password) => signInAsAlice(server.url, password);
  const send = (uri: vscode.Uri, chatId: string) => vscode.commands.executeCommand<SendReport | undefined>(Commands.sendFiles, uri, [uri], { chatId });
  const write = (name: string, data: string | Buffer) => writeFileIn(dir, name, data);
  /** Connected as alice: each test can run alone (--grep), or after the one before it. */
  const ensureConnected = async () => {
    if (api.session.state.kind !== 'connected') {
      await signIn();
    }
    await waitForState(api, 'connected', (s) => s.kind === 'connected');
  };
  const requests = (method: string) => server.log.requests.filter((r) => r.method === method);
  const aliceSockets = () => new Set(server.connections().filter((c) => c.login === 'alice').map((c) => c.socketId));
  /** Messages shown from now on: call the result to get them. */
  const shownFromNow = () => {
    // The list keeps the most recent 200: find where it was rather than counting.
    const baseline = api.messages.shown.at(-1);
    return (): ShownMessage[] => {
      const now = api.messages.shown;
      const start = baseline ? now.lastIndexOf(baseline) + 1 : 0;
      return now.slice(start);
    };
  };

  before(async () => {
    api = await activate();
    await vscode.commands.executeCommand(Commands.signOut);
    await config().update(Settings.notificationsNewFiles, 'never', vscode.ConfigurationTarget.Global);
    server = await FakeTrueConfServer.start();
    team = server.createChat({ type: 2, title: 'Team', participants: ['alice', 'bob'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trueconf-faults-'));
  });

  afterEach(() => {
    server.faults.clear();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await signOutAndStop(server, [Settings.server, Settings.username, Settings.notificationsNewFiles, Settings.requestTimeoutSeconds]);
    removeDir(dir);
  });

  it('a sign-in whose token request the server drops says the server cannot be reached; the next one connects', async () => {
    server.faults.tokenEndpoint('drop');
    const error = await rejectionOf(() => signIn());

    assert.match(error.message, /Cannot reach/);
    const failed = api.session.state;
    assert.ok(failed.kind === 'failed' && failed.error.kind === 'unreachable', JSON.stringify(failed));
    assert.match(statusText(failed, Date.now()), /server unreachable/);
    assert.deepEqual(
      server.log.tokenRequests.map((t) => t.ok),
      [false],
      'one token request, dropped',
    );
    assert.equal(requests('auth').length, 0, 'no WebSocket sign-in without a token');

    server.faults.tokenEndpoint('ok');
    await signIn();
    assert.deepEqual(api.session.state, { kind: 'connected', userId: 'alice@trueconf.test' });
  });

  it('rides out a restart and refused connections: "reconnecting" with growing waits, never "connected" while refused, then connected', async () => {
    await ensureConnected();
    const authsBefore = requests('auth').length;
    const recorder = recordStates(api);
    try {
      server.faults.refuseConnections(true);
      await server.restart();

      // Attempts 1 and 2 are refused; the state then waits for attempt 3.
      await waitForState(api, 'reconnecting before attempt 3', (s) => s.kind === 'reconnecting' && s.attempt >= 3, 20_000);
      const whileRefused = recorder.states.map((r) => r.state);
      server.faults.refuseConnections(false);
      await waitForState(api, 'connected', (s) => s.kind === 'connected', 20_000);

      assert.ok(!whileRefused.some((s) => s.kind === 'connected'), `never connected while refused: ${whileRefused.map((s) => s.kind).join(' → ')}`);
      const waits = recorder.states.filter((r) => r.state.kind === 'reconnecting');
      assert.ok(waits.length >= 2, `at least two reconnect waits: ${JSON.stringify(waits)}`);
      const delays = waits.map(({ state, at }) => (state.kind === 'reconnecting' ? state.nextAttemptAt - at : NaN));
      for (const delay of delays) {
        assert.ok(delay > 0, `the next attempt is in the future (${delays.join(', ')} ms)`);
      }
      for (let i = 1; i < delays.length; i++) {
        assert.ok(delays[i] > delays[i - 1], `the wait grows from attempt to attempt: ${delays.join(', ')} ms`);
      }
      assert.equal(requests('auth').length, authsBefore + 1, 'one sign-in on the WebSocket, once the server accepted connections');
      assert.deepEqual(api.session.state, { kind: 'connected', userId: 'alice@trueconf.test' });
    } finally {
      recorder.dispose();
    }
  });

  it('sends a file through a token that expires mid-send: no error shown, the state stays "connected"', async () => {
    await ensureConnected();
    const uri = write('expiring.txt', 'sent across a token renewal\n');
    const tokensBefore = server.log.tokenRequests.filter((t) => t.ok).length;
    const shown = shownFromNow();
    const recorder = recordStates(api);
    let report: SendReport | undefined;
    try {
      server.faults.expireTokens(1);
      report = await send(uri, team);
    } finally {
      recorder.dispose();
    }

    assert.ok(report);
    assert.equal(report.error, undefined, report.error?.message);
    assert.deepEqual(
      report.sent.map((s) => s.name),
      ['expiring.txt'],
    );
    const inChat = server.chatMessages(team).filter((m) => m.content.name === 'expiring.txt');
    assert.equal(inChat.length, 1, 'the file is in the chat once');
    assert.equal(server.fileBytes(inChat[0].content.fileId as string).toString(), 'sent across a token renewal\n');
    assert.equal(server.log.tokenRequests.filter((t) => t.ok).length, tokensBefore + 1, 'a new token was fetched');
    const states = recorder.states.map((r) => r.state);
    assert.ok(
      states.every((s) => s.kind === 'connected'),
      `the status bar showed only "connected" during the send: ${states.map((s) => s.kind).join(' → ')}`,
    );
    assert.deepEqual(
      shown().filter((m) => m.severity !== 'info'),
      [],
      'no error or warning shown',
    );
  });

  it('reports a request that gets no answer as timed out, and the connection keeps working (trueconf.requestTimeoutSeconds)', async () => {
    await ensureConnected();
    const authsBefore = requests('auth').length;
    await config().update(Settings.requestTimeoutSeconds, 5, vscode.ConfigurationTarget.Global);
    await server.waitFor(() => requests('auth').length > authsBefore, 10_000);
    await waitForState(api, 'connected', (s) => s.kind === 'connected');
    // Let the history read that follows the reconnect finish: a refresh waits for it.
    await vscode.commands.executeCommand(Commands.refreshIncomingFiles);
    const sockets = aliceSockets();
    const shown = shownFromNow();
    const recorder = recordStates(api);
    try {
      server.faults.omitResponses('getChats', 1);
      await vscode.commands.executeCommand(Commands.refreshIncomingFiles);

      const errors = shown().filter((m) => m.severity === 'error');
      assert.equal(errors.length, 1, JSON.stringify(shown()));
      assert.match(errors[0].message, /Could not refresh the incoming files/);
      assert.match(errors[0].message, /no answer within 5 s|did not answer in time/);
      assert.ok(
        api.log.lines.some((line) => line.includes('Shown to the user: Could not refresh the incoming files')),
        'the log says what the user was shown',
      );

      const getChatsBefore = requests('getChats').length;
      await vscode.commands.executeCommand(Commands.refreshIncomingFiles);
      assert.ok(requests('getChats').length > getChatsBefore, 'the next refresh asked again');
      assert.equal(shown().filter((m) => m.severity === 'error').length, 1, 'and succeeded: no new error');
      assert.deepEqual(aliceSockets(), sockets, 'on the same connection');
      assert.deepEqual(
        recorder.states.map((r) => r.state.kind).filter((k) => k !== 'connected'),
        [],
        'the state stayed "connected"',
      );
    } finally {
      recorder.dispose();
      const authsNow = requests('auth').length;
      await config().update(Settings.requestTimeoutSeconds, undefined, vscode.ConfigurationTarget.Global);
      await server.waitFor(() => requests('auth').length > authsNow, 10_000);
      await waitForState(api, 'connected', (s) => s.kind === 'connected');
    }
  });

  it('takes 200 files arriving in one burst: every notification acknowledged, each file listed once, one notification per batch, VS Code responsive', async () => {
    await ensureConnected();
    await config().update(Settings.notificationsNewFiles, 'always', vscode.ConfigurationTarget.Global);
    const burst = server.createChat({ type: 2, title: 'Burst', participants: ['alice', 'bob'] });
    const lookupsBefore = requests('getChatByID').length + requests('getUserDisplayName').length;
    const shown = shownFromNow();
    try {
      const sent = await Promise.all(
        Array.from({ length: 200 }, (_, i) => server.sendFile('bob', burst, { name: `burst-${i}.txt`, data: Buffer.from(`file ${i}\n`) })),
      );
      const expected = new Set(sent.map((s) => s.fileId));
      assert.equal(expected.size, 200);

      const listed = await eventually(
        'all 200 files listed',
        () => {
          const files = api.incomingFiles.files().filter((f) => f.chatId === burst);
          return files.length >= 200 && files;
        },
        30_000,
      );
      assert.equal(listed.length, 200, 'no file listed twice');
      assert.deepEqual(new Set(listed.map((f) => f.fileId)), expected);
      await eventually('every notification to alice acknowledged', () => {
        const mine = aliceSockets();
        return server.unackedNotifications({ openOnly: true }).filter((n) => mine.has(n.socketId)).length === 0;
      });

      // Still responsive: commands run at once after the burst.
      assert.ok((await vscode.commands.getCommands(true)).includes(Commands.showLog));
      await vscode.commands.executeCommand(Commands.showLog);

      // Announced in batches: every file once, in a handful of notifications rather than 200.
      const announced = (m: ShownMessage) => {
        const many = /^(\d+) new files in TrueConf chats\.$/.exec(m.message);
        return many ? Number(many[1]) : /sent "burst-\d+\.txt"/.test(m.message) ? 1 : 0;
      };
      const notes = await eventually(
        'all 200 files announced',
        () => {
          const list = shown().filter((m) => announced(m) > 0);
          return list.reduce((sum, m) => sum + announced(m), 0) >= 200 && list;
        },
        10_000,
      );
      assert.equal(
        notes.reduce((sum, m) => sum + announced(m), 0),
        200,
        'each file announced once',
      );
      assert.ok(notes.length <= 20, `${notes.length} notifications for one burst`);
      const lookups = requests('getChatByID').length + requests('getUserDisplayName').length - lookupsBefore;
      assert.ok(lookups <= 4, `the chat and sender were looked up once, not per file (${lookups} lookups)`);
      assert.equal(api.session.state.kind, 'connected');
    } finally {
      await config().update(Settings.notificationsNewFiles, 'never', vscode.ConfigurationTarget.Global);
    }
  });

  it('never shows or logs the password, a token or a download link through sign-in, send, open and failures', async () => {
    await ensureConnected();
    const WRONG = 'Wr0ng-Secret-Passw0rd';
    const errors: string[] = [];

    // The good path: send, and open a file bob sent (a download through a capability URL).
    const report = await send(write('plan.txt', 'the plan\n'), team);
    assert.equal(report?.error, undefined, report?.error?.message);
    const incoming = await server.sendFile('bob', team, { name: 'secret-plan.txt', data: Buffer.from('top secret\n') });
    await eventually('secret-plan.txt listed', () => api.incomingFiles.files().some((f) => f.fileId === incoming.fileId));
    const uri = incomingFileUri({ chatId: team, fileId: incoming.fileId, name: 'secret-plan.txt' });
    await vscode.commands.executeCommand(Commands.openIncomingFile, uri);
    await eventually('the file open', () => vscode.window.activeTextEditor?.document.uri.toString() === uri.toString());
    assert.ok(server.log.downloads.some((d) => d.fileId === incoming.fileId && d.status === 200));

    // Failures on purpose. A wrong password:
    errors.push((await rejectionOf(() => signIn(WRONG))).message);
    assert.equal(api.session.state.kind, 'connected', 'the working session stays');

    // A send to a chat that was deleted meanwhile:
    const doomed = server.createChat({ type: 2, title: 'Doomed', participants: ['alice', 'bob'] });
    server.removeChat(doomed, 'bob');
    const gone = await send(write('late.txt', 'too late\n'), doomed);
    assert.ok(gone?.error, 'the send to a deleted chat failed');
    errors.push(gone.error.message);

    // A download link that serves a web page instead of the file:
    const broken = await server.sendFile('bob', team, { name: 'broken.txt', data: Buffer.from('never arrives\n') });
    await eventually('broken.txt listed', () => api.incomingFiles.files().some((f) => f.fileId === broken.fileId));
    const brokenUri = incomingFileUri({ chatId: team, fileId: broken.fileId, name: 'broken.txt' });
    server.faults.downloadReturnsHtml(true);
    const shown = shownFromNow();
    await vscode.commands.executeCommand(Commands.saveIncomingFileAs, brokenUri, vscode.Uri.file(path.join(dir, 'broken-copy.txt')));
    assert.ok(
      shown().some((m) => m.severity === 'error' && m.message.includes('broken.txt')),
      `the failed download was reported: ${JSON.stringify(shown())}`,
    );
    errors.push((await rejectionOf(() => vscode.workspace.fs.readFile(brokenUri))).message);
    assert.ok(server.log.downloads.some((d) => d.fileId === broken.fileId), 'the broken link was tried');
    server.faults.downloadReturnsHtml(false);

    // What must never appear: the passwords, every token the server accepted (and each of its
    // parts: a half-echoed JWT leaks too), and the credential in every download link used.
    const accessTokens = requests('auth').map((r) => (r.payload as { token: string }).token);
    assert.ok(accessTokens.length > 0);
    const downloadTokens = server.log.http.map((h) => new URLSearchParams(h.query).get('token')).filter((t): t is string => !!t);
    assert.ok(downloadTokens.length > 0, 'downloads carried a token');
    const secrets = [
      ALICE.password,
      WRONG,
      ...accessTokens.flatMap((t) => [t, ...t.split('.').filter((part) => part.length >= 8)]),
      ...downloadTokens,
    ];

    const state = api.session.state;
    const seen = [
      ...api.log.lines,
      ...api.messages.shown.flatMap((m) => [m.message, m.detail ?? '', ...m.items]),
      ...errors,
      statusText(state, Date.now()),
      statusSummary(state, undefined),
    ];
    assert.ok(api.log.lines.some((line) => line.startsWith('Shown to the user: ')), 'shown messages are in the log');
    for (const secret of new Set(secrets)) {
      const leak = seen.find((text) => text.includes(secret));
      assert.equal(leak, undefined, `a secret (${secret.slice(0, 4)}…) appears in: ${leak}`);
    }
    const query = seen.find((text) => /token=(?!\*\*\*)/.test(text));
    assert.equal(query, undefined, `a download link's token appears in: ${query}`);
  });
});

describe('Fault tolerance: the connection limit', function () {
  this.timeout(60_000);
  let server: FakeTrueConfServer;
  let api: TrueConfShareApi;
  let other: RawClient | undefined;

  before(async () => {
    api = await activate();
    await vscode.commands.executeCommand(Commands.signOut);
    server = await FakeTrueConfServer.start({ maxConnections: 1 });
  });

  after(async () => {
    await other?.close();
    await signOutAndStop(server, [Settings.server, Settings.username]);
  });

  it('says the server has reached its connection limit, shows it in the status bar, and signs in once a connection is free', async () => {
    other = await RawClient.connect(server.wsUrl);
    assert.equal(server.connectionCount(), 1, 'the one connection the server allows is taken');

    const error = await rejectionOf(() => signInAsAlice(server.url));

    assert.match(error.message, /limit of chatbot connections/);
    const state = api.session.state;
    assert.ok(state.kind === 'failed' && state.error.kind === 'connectionLimit', JSON.stringify(state));
    assert.match(statusText(state, Date.now()), /connection limit reached/);
    assert.equal(
      server.log.requests.filter((r) => r.method === 'auth').length,
      0,
      'no WebSocket was accepted',
    );

    await other.close();
    other = undefined;
    await server.waitFor(() => server.connectionCount() === 0);
    await signInAsAlice(server.url);
    assert.deepEqual(api.session.state, { kind: 'connected', userId: 'alice@trueconf.test' });
  });
});
