/**
 * Credentials never leak: sign in, send, download, and fail on purpose in every way at hand (wrong
 * password, errorCode 304, a refused upload, a bad download link, a timeout, a server that echoes
 * secrets back in its error descriptions and close reasons), then scan every log line — the client
 * logs at every level, trace included — and every error produced (message, stack, causes) for the
 * password, the access token and each of its JWT parts, the download links' `token=` values and
 * the upload task ids.
 *
 * The FileApi and ChatApi log straight into the MemoryLogger, with no redacting net, so what they
 * write must be free of secrets at the source; the client has its own net, and its error messages
 * must be clean without one.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from '../../src/common/event';
import { MemoryLogger } from '../../src/common/logger';
import { ChatApi } from '../../src/trueconf/chats';
import { ConnectionState, TrueConfClient } from '../../src/trueconf/client';
import { TrueConfError } from '../../src/trueconf/errors';
import { FileApi } from '../../src/trueconf/files';
import { fileSourceFromBuffer, uploadBytes } from '../../src/trueconf/upload';
import { FakeTrueConfServer } from '../fake-server';
import { startMiniTrueConf } from './helpers/mini-trueconf';
import { rejection } from './helpers/rejection';
import { answerNextWith } from './helpers/scripted-answers';

const PASSWORD = 'Correct-Horse-7731';
const WRONG_PASSWORD = 'Wrong-Battery-4412';
const BACKOFF = { initialMs: 20, maxMs: 100, jitterMs: 0 };

/** Everything an error carries that someone might show or log: message, stack, and the same for its causes. */
function errorTexts(err: unknown, depth = 0): string[] {
  if (!(err instanceof Error) || depth > 5) {
    return err === undefined ? [] : [String(err)];
  }
  const cause = err instanceof TrueConfError ? err.details.cause : err.cause;
  return [err.message, String(err), err.stack ?? '', ...errorTexts(cause, depth + 1)];
}

/** The secrets in a JWT: the whole token and each of its three parts. */
function jwtSecrets(token: string): string[] {
  return [token, ...token.split('.').filter((part) => part.length >= 8)];
}

function queryToken(url: string): string {
  const value = new URL(url).searchParams.get('token');
  assert.ok(value, `no token= in the download link`);
  return value;
}

describe('secrets never leak into logs or errors', function () {
  this.timeout(30_000);

  let server: FakeTrueConfServer;
  let logger: MemoryLogger;
  let dir: string;
  /** Every error the scenario produced, as text. */
  let errors: string[];
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeEach(async () => {
    server = await FakeTrueConfServer.start({
      users: [
        { login: 'alice', password: PASSWORD, displayName: 'Alice Anders' },
        { login: 'bob', password: 'bob-pass', displayName: 'Bob Brown' },
      ],
    });
    logger = new MemoryLogger();
    dir = await mkdtemp(join(tmpdir(), 'trueconf-secrets-'));
    errors = [];
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A failure on purpose: it must fail with a TrueConfError, and its text joins the scan. */
  async function failure(promise: Promise<unknown>): Promise<TrueConfError> {
    const err = await rejection(promise);
    errors.push(...errorTexts(err));
    return err;
  }

  function newClient(password: string, serverUrl = server.url): { client: TrueConfClient; tokens: string[]; states: ConnectionState[] } {
    const client = new TrueConfClient({ server: serverUrl, username: 'alice', password, logger, requestTimeoutMs: 5000, backoff: BACKOFF });
    const tokens: string[] = [];
    const states: ConnectionState[] = [];
    client.onDidChangeToken((t) => tokens.push(t.accessToken));
    client.onDidChangeState((s) => {
      states.push(s);
      if (s.kind === 'reconnecting') {
        errors.push(...errorTexts(s.lastError));
      } else if (s.kind === 'failed') {
        errors.push(...errorTexts(s.error));
      }
    });
    cleanups.push(() => client.close());
    return { client, tokens, states };
  }

  /** Fails the test naming each secret found, and where. */
  function assertNoLeak(secrets: string[]): void {
    const haystacks: Array<[string, string]> = [
      ...logger.lines.map((l, i): [string, string] => [`log line ${i} (${l.level})`, l.text]),
      ...errors.map((e, i): [string, string] => [`error text ${i}`, e]),
    ];
    const leaks: string[] = [];
    for (const secret of new Set(secrets)) {
      for (const [where, text] of haystacks) {
        if (text.includes(secret)) {
          leaks.push(`${secret.slice(0, 12)}… in ${where}: ${text.slice(0, 300)}`);
        }
      }
    }
    assert.deepEqual(leaks, []);
  }

  it('through sign-in, send, download and every failure, no log line or error shows a password, token, download token or upload task id', async () => {
    // Wrong password: refused, nothing retried, nothing shown.
    const wrong = newClient(WRONG_PASSWORD);
    assert.equal((await failure(wrong.client.connect())).kind, 'wrongCredentials');

    const { client, tokens } = newClient(PASSWORD);
    await client.connect();
    const token = tokens[0];
    assert.ok(token, 'signed in with a token');
    const files = new FileApi(client, client.http, client.endpoints, logger);
    cleanups.push(() => files.dispose());
    const chats = new ChatApi(client, logger);
    const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });

    // Send and download.
    const sent = await files.sendFile({ chatId, source: fileSourceFromBuffer('notes.txt', Buffer.from('meeting notes')), caption: { text: 'see attached' } });
    const { fileId } = await server.sendFile('bob', chatId, { name: 'from-bob.bin', data: randomBytes(20_000) });
    const info = await files.download(fileId, join(dir, 'from-bob.bin'));
    assert.ok(info.downloadUrl);
    const ownInfo = await files.download(sent.fileId, join(dir, 'notes.txt'));
    const downloadTokens = [queryToken(info.downloadUrl), queryToken(ownInfo.downloadUrl ?? ''), queryToken(server.downloadUrlFor(fileId))];

    // errorCode 304.
    const notFound = await failure(chats.sendMessage({ chatId: '0'.repeat(40), text: 'hello?' }));
    assert.equal(notFound.details.code, 304);

    // Uploads refused: by the server over HTTP, and by the limits it pushes.
    assert.equal((await failure(uploadBytes(client.http, client.endpoints, 'no-such-upload-task', fileSourceFromBuffer('x.txt', Buffer.from('x'))))).kind, 'uploadRejected');
    server.setUploadLimits({ maxSize: 4, extensions: null });
    await server.waitFor(() => files.limits?.maxSize === 4);
    assert.equal((await failure(files.sendFile({ chatId, source: fileSourceFromBuffer('big.txt', Buffer.from('too big')) }))).kind, 'limit');
    server.setUploadLimits(null);

    // A download link with a bad capability token.
    const badLink = new URL(info.downloadUrl);
    const badToken = 'f'.repeat(32);
    badLink.searchParams.set('token', badToken);
    const refused = await failure(files.download({ ...info, downloadUrl: badLink.toString() }, join(dir, 'refused.bin')));
    assert.equal(refused.kind, 'download');
    assert.equal(refused.details.status, 403);

    // A timeout.
    server.faults.omitResponses('getChats', 1);
    assert.equal((await failure(client.request('getChats', { page: 1, count: 10 }, { timeoutMs: 100 }))).kind, 'timeout');

    // A server that echoes secrets in an error description.
    const echoed = await failure(
      answerNextWith(
        server,
        'getChatByID',
        { errorCode: 304, errorDescription: `no chat for token ${token} (password ${PASSWORD}, link ${info.downloadUrl}, signature ${token.split('.')[2]})` },
        () => chats.getChatByID(chatId),
      ),
    );
    assert.match(echoed.message, /^getChatByID failed: chat not found: no chat for token \*\*\* \(password \*\*\*, link http:\/\/127\.0\.0\.1:\d+\/\S+\?\*\*\* signature \*\*\*\) \(code 304\)$/);

    // A server that closes the connection naming part of the token (a close reason holds 123 bytes: not a whole JWT).
    const reconnected = once(client.onDidAuthenticate, (e) => e.reconnected, AbortSignal.timeout(5000));
    server.faults.closeSockets(4001, `bad signature ${token.split('.')[2]}`);
    await reconnected;
    assert.ok(errors.some((e) => /close code 4001: bad signature \*\*\*/.test(e)), 'the close reason is reported, masked');

    // Everything still works afterwards.
    assert.ok(Array.isArray(await chats.getChats({ page: 1, count: 10 })));
    assert.ok(logger.lines.some((l) => l.level === 'trace'), 'trace-level lines were written and scanned');

    const uploadTaskIds = server.log.uploads.map((u) => u.taskId).filter((id): id is string => typeof id === 'string' && id.length >= 8);
    assert.ok(uploadTaskIds.length > 0);
    assertNoLeak([PASSWORD, WRONG_PASSWORD, ...tokens.flatMap(jwtSecrets), ...downloadTokens, badToken, ...uploadTaskIds]);
  });

  it('a server that refuses auth echoing the token shows neither it nor its parts', async () => {
    const mini = await startMiniTrueConf({
      answer: (frame) => (frame.method === 'auth' ? { errorCode: 201, errorDescription: `invalid credentials: ${(frame.payload as { token: string }).token}` } : undefined),
    });
    cleanups.push(() => mini.close());
    const { client } = newClient(PASSWORD, mini.url);
    const err = await failure(client.connect());
    assert.equal(err.kind, 'wrongCredentials');
    assert.equal(err.message, 'auth failed: invalid credentials: invalid credentials: *** (code 201)');
    assert.equal(mini.tokens.length, 1);
    assertNoLeak([PASSWORD, ...mini.tokens.flatMap(jwtSecrets)]);
  });
});
