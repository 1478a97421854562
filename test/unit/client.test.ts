import * as assert from 'node:assert/strict';
import { once } from '../../src/common/event';
import { MemoryLogger } from '../../src/common/logger';
import { ConnectionState, TrueConfClient, TrueConfClientOptions } from '../../src/trueconf/client';
import { nextDelay } from '../../src/trueconf/backoff';
import type { TokenInfo } from '../../src/trueconf/token';
import { FakeTrueConfServer } from '../fake-server';
import { closedPort, makeJwt, selfSignedTls, sendJson, startInlineServer, waitUntil } from './helpers/transport-servers';
import { rejection } from './helpers/rejection';

const PASSWORD = 'alice-pass';
const BACKOFF = { initialMs: 20, maxMs: 200, jitterMs: 0 };

type StampedState = ConnectionState & { at: number };

describe('trueconf/client', () => {
  let server: FakeTrueConfServer;
  let logger: MemoryLogger;
  let clients: TrueConfClient[];
  /** Every token any client received, to check no log line contains one. */
  let tokens: string[];

  beforeEach(async () => {
    server = await FakeTrueConfServer.start();
    logger = new MemoryLogger();
    clients = [];
    tokens = [];
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
    const text = logger.text;
    assert.ok(!text.includes(PASSWORD), 'the password leaked into the log');
    for (const token of tokens) {
      assert.ok(!text.includes(token), 'a token leaked into the log');
    }
  });

  function newClient(overrides: Partial<TrueConfClientOptions> = {}): TrueConfClient {
    const client = new TrueConfClient({
      server: server.url,
      username: 'alice',
      password: PASSWORD,
      logger,
      requestTimeoutMs: 3000,
      backoff: BACKOFF,
      random: () => 0,
      ...overrides,
    });
    client.onDidChangeToken((t) => tokens.push(t.accessToken));
    clients.push(client);
    return client;
  }

  function recordStates(client: TrueConfClient): StampedState[] {
    const states: StampedState[] = [];
    client.onDidChangeState((s) => states.push({ ...s, at: Date.now() }));
    return states;
  }

  function until(client: TrueConfClient, kind: ConnectionState['kind'], timeoutMs = 5000): Promise<ConnectionState> {
    if (client.state.kind === kind) {
      return Promise.resolve(client.state);
    }
    return once(client.onDidChangeState, (s) => s.kind === kind, AbortSignal.timeout(timeoutMs));
  }

  /** Wait for a new connection after `trigger` dropped the current one. */
  async function reconnectedAfter(client: TrueConfClient, trigger: () => void): Promise<void> {
    const reconnected = once(client.onDidAuthenticate, (e) => e.reconnected, AbortSignal.timeout(5000));
    trigger();
    await reconnected;
  }

  const requestsOf = (method: string) => server.log.requests.filter((r) => r.method === method);
  const authTokens = () => requestsOf('auth').map((r) => (r.payload as { token: string }).token);

  describe('signing in', () => {
    it('gets a token, then sends auth as the first request, and reports the user without its instance', async () => {
      const client = newClient();
      const states = recordStates(client);
      const authenticated = once(client.onDidAuthenticate);
      const newToken = once(client.onDidChangeToken);
      assert.deepEqual(client.state, { kind: 'idle' });

      await client.connect();

      assert.deepEqual(server.log.tokenRequests, [{ username: 'alice', ok: true }]);
      const token = (await newToken).accessToken;
      assert.deepEqual(server.log.requests[0].payload, { token, tokenType: 'JWT', receiveUnread: false, receiveSystemMessageEnvelopes: false });
      assert.equal(server.log.requests[0].method, 'auth');
      assert.deepEqual(states.map((s) => s.kind), ['connecting', 'connected']);
      assert.deepEqual(client.state, { kind: 'connected', userId: 'alice@trueconf.test' });
      assert.equal(client.userId, 'alice@trueconf.test');
      assert.deepEqual(await authenticated, { userId: 'alice@trueconf.test', reconnected: false });
      assert.equal(server.connections()[0].protocol, 'json.v1');
    });

    it('holds requests made while signing in until auth succeeded, so none is refused as unauthorised (200)', async () => {
      const client = newClient();
      const connected = client.connect();
      const early = [client.request('getChats', { page: 1, count: 10 }), client.request('getFileUploadLimits', {})];
      await connected;
      const [chats, limits] = await Promise.all(early);
      assert.ok(Array.isArray(chats));
      assert.equal((limits as { maxSize: unknown }).maxSize, null);
      assert.deepEqual(server.log.requests.map((r) => r.method), ['auth', 'getChats', 'getFileUploadLimits']);
    });

    it('uses a saved token that is still valid, without asking for a new one', async () => {
      const saved = server.issueToken('alice');
      const client = newClient({ token: { accessToken: saved.token, expiresAt: saved.expiresAt * 1000 } });
      tokens.push(saved.token);
      await client.connect();
      assert.deepEqual(server.log.tokenRequests, []);
      assert.deepEqual(authTokens(), [saved.token]);
    });

    it('fetches a new token when the saved one has expired', async () => {
      const saved = server.issueToken('alice', -10);
      tokens.push(saved.token);
      const client = newClient({ token: { accessToken: saved.token, expiresAt: saved.expiresAt * 1000 } });
      await client.connect();
      assert.equal(server.log.tokenRequests.length, 1);
      assert.notEqual(authTokens()[0], saved.token);
    });

    it('fetches a new token once when the server rejects the saved one (203), and signs in', async () => {
      const saved = server.issueToken('alice');
      tokens.push(saved.token);
      server.faults.expireAllTokens();
      const client = newClient({ token: { accessToken: saved.token, expiresAt: saved.expiresAt * 1000 } });
      await client.connect();
      assert.equal(server.log.tokenRequests.length, 1);
      assert.equal(authTokens().length, 2);
      assert.equal(authTokens()[0], saved.token);
      assert.equal(client.state.kind, 'connected');
    });

    it('fails at once with wrongCredentials for a wrong password, and does not retry', async () => {
      const client = newClient({ password: 'wrong-password' });
      const err = await rejection(client.connect());
      assert.equal(err.kind, 'wrongCredentials');
      assert.equal(err.message, 'Wrong user name or password.');
      assert.deepEqual(client.state, { kind: 'failed', error: err });
      assert.equal(server.connectionCount(), 0);
      assert.ok(!logger.text.includes('wrong-password'));
    });

    it('fails with passwordSignInDisabled when the server has password sign-in off', async () => {
      server.faults.tokenEndpoint('disabled403');
      const err = await rejection(newClient().connect());
      assert.equal(err.kind, 'passwordSignInDisabled');
    });

    it('reports an unreachable server from the first attempt instead of retrying forever', async () => {
      const client = newClient({ server: `http://127.0.0.1:${await closedPort()}` });
      const err = await rejection(client.connect());
      assert.equal(err.kind, 'unreachable');
      assert.equal(client.state.kind, 'failed');
    });

    it('can try again with connect() after a failed sign-in', async () => {
      const client = newClient();
      server.faults.refuseConnections(true);
      assert.equal((await rejection(client.connect())).kind, 'unreachable');
      server.faults.refuseConnections(false);
      await client.connect();
      assert.equal(client.state.kind, 'connected');
    });

    it('reports a web server that is not TrueConf as notTrueConf', async () => {
      const web = await startInlineServer();
      try {
        const err = await rejection(newClient({ server: web.origin }).connect());
        assert.equal(err.kind, 'notTrueConf');
        assert.match(err.message, /^127\.0\.0\.1:\d+ answered, but not as a TrueConf Server/);
      } finally {
        await web.close();
      }
    });

    it('reports the connection limit when the server refuses the WebSocket with 503', async () => {
      await server.stop();
      server = await FakeTrueConfServer.start({ maxConnections: 1 });
      await newClient().connect();
      const err = await rejection(newClient().connect());
      assert.equal(err.kind, 'connectionLimit');
    });

    it('can be cancelled while signing in, and goes back to idle', async () => {
      server.faults.tokenEndpoint('hang');
      const client = newClient();
      const controller = new AbortController();
      const connecting = client.connect(controller.signal);
      await server.waitFor(() => server.log.tokenRequests.length === 1);
      controller.abort();
      assert.equal((await rejection(connecting)).kind, 'cancelled');
      assert.deepEqual(client.state, { kind: 'idle' });
    });

    describe('over TLS with a self-signed certificate', () => {
      const tls = selfSignedTls();

      beforeEach(async () => {
        await server.stop();
        server = await FakeTrueConfServer.start({ tls });
      });

      it('refuses it by default with a certificate error (fatal)', async () => {
        const client = newClient();
        const err = await rejection(client.connect());
        assert.equal(err.kind, 'certificate');
        assert.equal(client.state.kind, 'failed');
      });

      it('signs in when the certificate is given as ca, for the token and the WebSocket', async () => {
        const client = newClient({ tls: { ca: tls.cert } });
        await client.connect();
        assert.equal(client.state.kind, 'connected');
        assert.match(server.url, /^https:/);
      });
    });
  });

  describe('requests and notifications', () => {
    it('acks every notification (including the limits pushed after auth) and dispatches it to listeners', async () => {
      const client = newClient();
      const texts: string[] = [];
      client.onNotification('sendMessage', (payload) => texts.push((payload as { content: { text: string } }).content.text));
      await client.connect();
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      await server.sendText('bob', chatId, 'hello');
      await server.sendText('bob', chatId, 'again');

      await server.waitFor(() => texts.length === 2);
      assert.deepEqual(texts, ['hello', 'again']);
      await server.waitFor(() => server.unackedNotifications().length === 0);
      const sent = server.log.notifications.map((n) => n.method);
      assert.ok(sent.includes('getFileUploadLimits') && sent.includes('sendMessage'), sent.join());
      assert.deepEqual(
        server.log.acks.map((a) => a.id).sort((a, b) => a - b),
        server.log.notifications.map((n) => n.id).sort((a, b) => a - b),
      );
    });

    it('stops calling a listener once it is disposed', async () => {
      const client = newClient();
      let calls = 0;
      const sub = client.onNotification('sendMessage', () => calls++);
      const other = client.onNotification('sendMessage', () => undefined);
      await client.connect();
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      await server.sendText('bob', chatId, 'one');
      await server.waitFor(() => calls === 1);
      sub.dispose();
      other.dispose();
      await server.sendText('bob', chatId, 'two');
      await server.waitFor(() => server.unackedNotifications().length === 0);
      assert.equal(calls, 1);
    });

    it('times out a request without an answer, and the connection keeps working', async () => {
      const client = newClient();
      await client.connect();
      server.faults.omitResponses('getChats', 1);
      const err = await rejection(client.request('getChats', { page: 1, count: 10 }, { timeoutMs: 100 }));
      assert.equal(err.kind, 'timeout');
      assert.equal(err.message, 'getChats got no answer within 0.1 s');
      assert.ok(Array.isArray(await client.request('getChats', { page: 1, count: 10 })));
      assert.equal(client.state.kind, 'connected');
    });

    it('cancels a request when its signal aborts', async () => {
      const client = newClient();
      await client.connect();
      server.faults.omitResponses('getChats', 1);
      const controller = new AbortController();
      const pending = client.request('getChats', { page: 1, count: 10 }, { signal: controller.signal });
      await server.waitFor(() => requestsOf('getChats').length === 1);
      controller.abort();
      assert.equal((await rejection(pending)).kind, 'cancelled');
    });

    it('rejects with a typed error when the server answers with an errorCode', async () => {
      const client = newClient();
      await client.connect();
      const err = await rejection(client.request('getChatByID', { chatId: 'no-such-chat' }));
      assert.equal(err.kind, 'api');
      assert.equal(err.details.code, 304);
    });

    it('refuses requests before sign-in and after sign-out', async () => {
      const client = newClient();
      assert.equal((await rejection(client.request('getChats'))).kind, 'unreachable');
      await client.connect();
      await client.close();
      assert.equal((await rejection(client.request('getChats'))).kind, 'closed');
    });

    it('logs state changes and requests, but never the password or a token', async () => {
      const client = newClient();
      await client.connect();
      await client.request('getChats', { page: 1, count: 10 });
      const text = logger.text;
      assert.match(text, /Connecting to 127\.0\.0\.1:\d+ \(attempt 1\)/);
      assert.match(text, /Connected to 127\.0\.0\.1:\d+ as alice@trueconf\.test/);
      assert.match(text, /→ auth #1/);
      assert.match(text, /← getChats #2 ok/);
      // afterEach checks the password and every token against the whole log.
    });

    it('masks the password and the token even when the server echoes them in a broken frame', async () => {
      const client = newClient();
      await client.connect();
      const token = authTokens()[0];
      server.faults.sendRaw(`{"oops": "${PASSWORD}", "t": ${token}`);
      await waitUntil(() => /Ignored a frame/.test(logger.text), 'the broken frame to be logged');
      assert.match(logger.text, /"oops": "\*\*\*", "t": \*\*\*/);
      assert.equal(client.state.kind, 'connected');
    });
  });

  describe('reconnecting', () => {
    it('reconnects after the server drops the socket: connected → reconnecting → connecting → connected', async () => {
      const client = newClient();
      await client.connect();
      const states = recordStates(client);
      const authenticated: boolean[] = [];
      client.onDidAuthenticate((e) => authenticated.push(e.reconnected));

      await reconnectedAfter(client, () => server.faults.dropAllSockets());

      assert.deepEqual(states.map((s) => s.kind), ['reconnecting', 'connecting', 'connected']);
      const reconnecting = states[0] as Extract<StampedState, { kind: 'reconnecting' }>;
      assert.equal(reconnecting.attempt, 1);
      assert.equal(reconnecting.lastError.kind, 'unreachable');
      assert.ok(Math.abs(reconnecting.nextAttemptAt - reconnecting.at - BACKOFF.initialMs) <= 10, 'first retry after initialMs');
      assert.ok(states[1].at >= reconnecting.nextAttemptAt - 1, 'the attempt waited for its time');
      assert.deepEqual(authenticated, [true]);
      assert.equal(server.connectionCount(), 1);
      assert.equal(server.log.tokenRequests.length, 1, 'the valid token is reused');
    });

    it('rejects requests in flight when the socket drops and does not send them again', async () => {
      const client = newClient();
      await client.connect();
      server.faults.omitResponses('getChats', 1);
      const inFlight = client.request('getChats', { page: 1, count: 10 });
      await server.waitFor(() => requestsOf('getChats').length === 1);
      const [err] = await Promise.all([rejection(inFlight), reconnectedAfter(client, () => server.faults.dropAllSockets())]);
      assert.equal(err.kind, 'unreachable');
      await client.request('getFileUploadLimits', {});
      assert.equal(requestsOf('getChats').length, 1);
    });

    it('backs off with growing delays while the server refuses connections, then recovers and resets the backoff', async () => {
      const client = newClient();
      await client.connect();
      const states = recordStates(client);
      server.faults.refuseConnections(true);
      server.faults.dropAllSockets();
      const retries = () => states.filter((s): s is Extract<StampedState, { kind: 'reconnecting' }> => s.kind === 'reconnecting');
      await waitUntil(() => retries().length >= 4, 'four scheduled retries');
      assert.equal(client.state.kind === 'reconnecting' || client.state.kind === 'connecting', true);

      const observed = retries().slice(0, 4).map((s) => ({ attempt: s.attempt, delay: s.nextAttemptAt - s.at }));
      const expected = [1, 2, 3, 4].map((attempt) => ({ attempt, delay: nextDelay(attempt, BACKOFF) }));
      observed.forEach((o, i) => {
        assert.equal(o.attempt, expected[i].attempt);
        assert.ok(Math.abs(o.delay - expected[i].delay) <= 10, `retry ${o.attempt}: ${o.delay} ms, expected ${expected[i].delay}`);
      });
      assert.ok(retries().slice(1).every((s) => s.lastError.kind === 'unreachable'));

      server.faults.refuseConnections(false);
      await until(client, 'connected');
      states.length = 0;
      await reconnectedAfter(client, () => server.faults.dropAllSockets());
      assert.equal(retries()[0].attempt, 1, 'the backoff starts over after a successful auth');
    });

    it('stops reconnecting on a fatal error, and waiting requests get it', async () => {
      const client = newClient();
      await client.connect();
      server.addUser({ login: 'alice', password: 'changed-elsewhere', displayName: 'Alice Anders' });
      server.faults.expireAllTokens();
      server.faults.dropAllSockets();
      await until(client, 'reconnecting');
      const waiting = rejection(client.request('getChats'));
      const failed = await until(client, 'failed');
      assert.equal((failed as Extract<ConnectionState, { kind: 'failed' }>).error.kind, 'wrongCredentials');
      assert.equal((await waiting).kind, 'wrongCredentials');
      assert.equal((await rejection(client.request('getChats'))).kind, 'wrongCredentials');
    });

    it('recovers when the server restarts on the same port', async () => {
      const client = newClient();
      await client.connect();
      const first = server.connections()[0].socketId;
      await reconnectedAfter(client, () => void server.restart(50));
      assert.equal(client.state.kind, 'connected');
      assert.notEqual(server.connections()[0].socketId, first);
    });

    it('applies an exact jitter from the injected random source', async () => {
      const client = newClient({ backoff: { initialMs: 20, maxMs: 200, jitterMs: 100 }, random: () => 0.5 });
      await client.connect();
      const states = recordStates(client);
      await reconnectedAfter(client, () => server.faults.dropAllSockets());
      const retry = states[0] as Extract<StampedState, { kind: 'reconnecting' }>;
      assert.ok(Math.abs(retry.nextAttemptAt - retry.at - 70) <= 10, `${retry.nextAttemptAt - retry.at}`);
    });

    it('reconnect() drops the connection and connects again at once', async () => {
      const client = newClient({ backoff: { initialMs: 60_000, maxMs: 60_000, jitterMs: 0 } });
      await client.connect();
      const states = recordStates(client);
      await reconnectedAfter(client, () => client.reconnect());
      assert.deepEqual(states.map((s) => s.kind), ['connecting', 'connected']);
      assert.equal(requestsOf('auth').length, 2);
      await server.waitFor(() => server.connectionCount() === 1);
    });

    it('reconnect() skips the wait of a scheduled retry', async () => {
      const client = newClient({ backoff: { initialMs: 60_000, maxMs: 60_000, jitterMs: 0 } });
      await client.connect();
      server.faults.dropAllSockets();
      await until(client, 'reconnecting');
      client.reconnect();
      await until(client, 'connected');
    });

    it('leaks neither sockets nor listeners over many reconnects', async () => {
      const client = newClient();
      const texts: string[] = [];
      client.onNotification('sendMessage', (p) => texts.push((p as { content: { text: string } }).content.text));
      await client.connect();
      for (let i = 0; i < 10; i++) {
        await reconnectedAfter(client, () => server.faults.dropAllSockets());
      }
      assert.equal(server.connectionCount(), 1);
      assert.equal(requestsOf('auth').length, 11);
      const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
      await server.sendText('bob', chatId, 'once');
      await server.waitFor(() => server.unackedNotifications({ openOnly: true }).length === 0);
      await client.request('getFileUploadLimits', {});
      assert.deepEqual(texts, ['once'], 'one listener call per notification, however many sockets came before');
    });
  });

  describe('expired tokens', () => {
    it('renews the token, reconnects and retries a request refused with 203 — once', async () => {
      const client = newClient();
      await client.connect();
      server.faults.expireTokens(1);
      const chats = await client.request('getChats', { page: 1, count: 10 });
      assert.ok(Array.isArray(chats));
      assert.equal(server.log.tokenRequests.length, 2);
      assert.equal(requestsOf('getChats').length, 2);
      assert.equal(requestsOf('auth').length, 2);
      const [first, second] = authTokens();
      assert.notEqual(first, second);
      assert.equal(client.state.kind, 'connected');
    });

    it('gives up with tokenExpired when the retry is refused too', async () => {
      const client = newClient();
      await client.connect();
      server.faults.expireTokens(2);
      const err = await rejection(client.request('getChats', { page: 1, count: 10 }));
      assert.equal(err.kind, 'tokenExpired');
      assert.equal(requestsOf('getChats').length, 2);
    });

    it('does not retry when the caller opted out', async () => {
      const client = newClient();
      await client.connect();
      server.faults.expireTokens(1);
      const err = await rejection(client.request('getChats', { page: 1, count: 10 }, { retryOnExpiredToken: false }));
      assert.equal(err.kind, 'tokenExpired');
      assert.equal(server.log.tokenRequests.length, 1);
    });

    it('re-authenticates with a new token after the server revoked every token', async () => {
      const client = newClient();
      const newTokens: TokenInfo[] = [];
      client.onDidChangeToken((t) => newTokens.push(t));
      await client.connect();
      server.faults.expireAllTokens();
      await client.request('getFileUploadLimits', {});
      assert.equal(newTokens.length, 2);
      assert.deepEqual(authTokens(), newTokens.map((t) => t.accessToken));
    });

    it('renews the token before it expires, reconnecting with the new one', async () => {
      await server.stop();
      server = await FakeTrueConfServer.start({ tokenTtlSeconds: 3 });
      const client = newClient({ refreshBeforeExpiryMs: 2000 });
      await client.connect();
      const states = recordStates(client);
      await once(client.onDidAuthenticate, (e) => e.reconnected, AbortSignal.timeout(5000));
      assert.equal(server.log.tokenRequests.length, 2);
      assert.deepEqual(states.map((s) => s.kind), ['connecting', 'connected']);
      const [first, second] = authTokens();
      assert.notEqual(first, second);
      assert.equal(second, tokens[1]);
    });

    it('lets a request in flight finish before it reconnects with the renewed token', async () => {
      await server.stop();
      server = await FakeTrueConfServer.start({ tokenTtlSeconds: 3 });
      const client = newClient({ refreshBeforeExpiryMs: 2000 });
      await client.connect();
      server.faults.delayResponses('getChats', 300);
      let inFlight: Promise<unknown> | undefined;
      // The renewal's token request: the old connection is still up, so this request uses it.
      server.once('token', () => (inFlight = client.request('getChats', { page: 1, count: 10 })));
      await once(client.onDidAuthenticate, (e) => e.reconnected, AbortSignal.timeout(5000));
      assert.ok(Array.isArray(await inFlight));
      const log = server.log.requests.map((r) => `${r.method}@${r.socketId}`);
      const [firstSocket, secondSocket] = requestsOf('auth').map((r) => r.socketId);
      assert.deepEqual(log.slice(0, 3), [`auth@${firstSocket}`, `getChats@${firstSocket}`, `auth@${secondSocket}`]);
    });

    it('keeps the session when renewing the token fails, and says so in the log', async () => {
      await server.stop();
      server = await FakeTrueConfServer.start({ tokenTtlSeconds: 3 });
      const client = newClient({ refreshBeforeExpiryMs: 2000 });
      await client.connect();
      server.faults.tokenEndpoint('error500');
      await server.waitFor(() => server.log.tokenRequests.length === 2, 3000);
      await waitUntil(() => /Could not renew the token: .*HTTP 500/.test(logger.text), 'the warning');
      assert.equal(client.state.kind, 'connected');
      assert.ok(Array.isArray(await client.request('getChats', { page: 1, count: 10 })));
    });
  });

  describe('requests while disconnected', () => {
    async function disconnected(options: Partial<TrueConfClientOptions> = {}): Promise<TrueConfClient> {
      const client = newClient(options);
      await client.connect();
      server.faults.refuseConnections(true);
      server.faults.dropAllSockets();
      await until(client, 'reconnecting');
      return client;
    }

    it('holds them while reconnecting and sends them right after auth, in order', async () => {
      const client = await disconnected();
      server.clearLog();
      const waiting = [
        client.request('getFileUploadLimits', {}),
        client.request('getChats', { page: 1, count: 10 }),
        client.request('getUserDisplayName', { userId: server.userId('bob') }),
      ];
      server.faults.refuseConnections(false);
      const [, , name] = await Promise.all(waiting);
      assert.equal((name as { displayName: string }).displayName, 'Bob Brown');
      assert.deepEqual(server.log.requests.map((r) => r.method), ['auth', 'getFileUploadLimits', 'getChats', 'getUserDisplayName']);
    });

    it('refuses at once when too many are waiting', async () => {
      const client = await disconnected({ queue: { maxRequests: 2 } });
      const waiting = [client.request('getFileUploadLimits', {}), client.request('getFileUploadLimits', {})];
      const err = await rejection(client.request('getChats'));
      assert.equal(err.kind, 'unreachable');
      assert.match(err.message, /^Not connected to 127\.0\.0\.1:\d+; too many requests waiting/);
      server.faults.refuseConnections(false);
      await Promise.all(waiting);
    });

    it('gives up on one that waited too long, saying why', async () => {
      const client = await disconnected({ queue: { maxWaitMs: 100 } });
      const err = await rejection(client.request('getChats'));
      assert.equal(err.kind, 'unreachable');
      assert.match(err.message, /getChats waited 0\.1 s for the connection/);
    });

    it('cancels a waiting request when its signal aborts', async () => {
      const client = await disconnected();
      const controller = new AbortController();
      const waiting = client.request('getChats', {}, { signal: controller.signal });
      controller.abort();
      assert.equal((await rejection(waiting)).kind, 'cancelled');
    });
  });

  describe('heartbeat', () => {
    it('reconnects when the server stops answering pings', async () => {
      // An inline server: the first socket never answers pings, later ones do.
      const jwt = makeJwt({ sub: 'alice@inline.test', exp: Math.floor(Date.now() / 1000) + 3600 });
      tokens.push(jwt);
      const inline = await startInlineServer({
        autoPong: false,
        http: (_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: jwt, expires_in: 3600 })),
        onConnection: (ws, index) => {
          if (index > 0) {
            ws.on('ping', () => ws.pong());
          }
          ws.on('message', (data) => {
            const frame = JSON.parse(String(data)) as { type: number; id: number; method: string };
            if (frame.method === 'auth') {
              sendJson(ws, { type: 2, id: frame.id, payload: { userId: `alice@inline.test/${index}`, connectionId: 'c' } });
            }
          });
        },
      });
      try {
        const client = newClient({ server: inline.origin, heartbeat: { intervalMs: 30, timeoutMs: 60 } });
        await client.connect();
        const states = recordStates(client);
        await once(client.onDidAuthenticate, (e) => e.reconnected, AbortSignal.timeout(5000));
        const lost = states.find((s): s is Extract<StampedState, { kind: 'reconnecting' }> => s.kind === 'reconnecting');
        assert.match(lost?.lastError.message ?? '', /stopped answering/);
        assert.equal(inline.sockets.length, 2);
        await waitUntil(() => inline.sockets[0].readyState === inline.sockets[0].CLOSED, 'the dead socket to be gone');
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        await inline.close();
      }
    });
  });

  describe('signing out', () => {
    it('close(): signedOut, requests in flight reject with closed, the socket is closed', async () => {
      const client = newClient();
      await client.connect();
      server.faults.omitResponses('getChats', 1);
      const inFlight = rejection(client.request('getChats', { page: 1, count: 10 }));
      await server.waitFor(() => requestsOf('getChats').length === 1);
      await client.close();
      assert.equal((await inFlight).kind, 'closed');
      assert.deepEqual(client.state, { kind: 'signedOut' });
      assert.equal(client.userId, undefined);
      await server.waitFor(() => server.connectionCount() === 0);
      await rejection(client.connect()).then((err) => assert.equal(err.kind, 'closed'));
    });

    it('close() while reconnecting rejects waiting requests with closed and stops retrying', async () => {
      const client = newClient();
      await client.connect();
      server.faults.refuseConnections(true);
      server.faults.dropAllSockets();
      await until(client, 'reconnecting');
      const waiting = rejection(client.request('getChats'));
      await client.close();
      assert.equal((await waiting).kind, 'closed');
      server.faults.refuseConnections(false);
      assert.deepEqual(client.state, { kind: 'signedOut' });
    });

    it('dispose() signs out too', async () => {
      const client = newClient();
      await client.connect();
      const states = recordStates(client);
      client.dispose();
      assert.deepEqual(states.map((s) => s.kind), ['signedOut']);
      await server.waitFor(() => server.connectionCount() === 0);
    });
  });
});
