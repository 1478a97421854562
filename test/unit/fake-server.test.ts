/**
 * The fake TrueConf server is strict like a real one (protocol.md §7): token endpoint,
 * auth, envelope mechanics, chats and messages, connection limits and fault switches.
 * Raw sockets only — not the project's client.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTrueConfServer, decodeJwtPayload } from '../fake-server';
import { RawClient, httpRequest, requestToken } from '../fake-server/raw-client';
import { startSandbox } from '../fake-server/sandbox';

async function tokenFor(server: FakeTrueConfServer, login: string): Promise<string> {
  const res = await requestToken(server.url, login, `${login}-pass`);
  assert.equal(res.status, 201);
  return res.json<{ access_token: string }>().access_token;
}

async function signIn(server: FakeTrueConfServer, login: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const client = await RawClient.connect(server.wsUrl);
  const answer = await client.auth(await tokenFor(server, login), extra);
  assert.equal(answer.errorCode, 0, JSON.stringify(answer));
  return client;
}

describe('fake server: token endpoint (protocol.md §1.2)', () => {
  let server: FakeTrueConfServer;
  before(async () => {
    server = await FakeTrueConfServer.start();
  });
  after(() => server.stop());
  afterEach(() => server.faults.clear());

  it('mints a real JWT with exp, answers 201 with expires_in and expires_at', async () => {
    const res = await requestToken(server.url, 'alice', 'alice-pass');
    assert.equal(res.status, 201);
    const body = res.json<{ access_token: string; token_type: string; expires_in: number; expires_at: number }>();
    assert.equal(body.token_type, 'JWT');
    assert.equal(body.expires_in, 3600);
    const claims = decodeJwtPayload(body.access_token);
    assert.ok(claims);
    assert.equal(claims.sub, 'alice@trueconf.test');
    assert.equal(claims.exp, body.expires_at);
    assert.ok(Math.abs((claims.exp as number) - Date.now() / 1000 - 3600) < 5);
    assert.match(body.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('accepts login@domain and form-urlencoded bodies', async () => {
    assert.equal((await requestToken(server.url, 'bob@trueconf.test', 'bob-pass')).status, 201);
    const form = await httpRequest(`${server.url}/bridge/api/client/v1/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'client_id=chat_bot&grant_type=password&username=carol&password=carol-pass',
    });
    assert.equal(form.status, 201);
  });

  it('401 invalid_grant for a bad password; 400 for wrong client or grant', async () => {
    const bad = await requestToken(server.url, 'alice', 'nope');
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json(), { error: 'invalid_grant', error_description: 'Invalid username or password' });
    assert.equal((await requestToken(server.url, 'alice', 'alice-pass', { client_id: 'web' })).json().error, 'invalid_client');
    const grant = await requestToken(server.url, 'alice', 'alice-pass', { grant_type: 'client_credentials' });
    assert.equal(grant.status, 400);
    assert.equal(grant.json().error, 'unsupported_grant_type');
    assert.deepEqual(
      server.log.tokenRequests.slice(-3).map((t) => t.ok),
      [false, false, false],
    );
  });

  it('fault modes: disabled403, error500, drop, hang', async () => {
    server.faults.tokenEndpoint('disabled403');
    const disabled = await requestToken(server.url, 'alice', 'alice-pass');
    assert.equal(disabled.status, 403);
    assert.equal(disabled.json().error, 'auth_method_disabled');
    server.faults.tokenEndpoint('error500');
    assert.equal((await requestToken(server.url, 'alice', 'alice-pass')).status, 500);
    server.faults.tokenEndpoint('drop');
    await assert.rejects(requestToken(server.url, 'alice', 'alice-pass'));
    server.faults.tokenEndpoint('hang');
    const hanging = requestToken(server.url, 'alice', 'alice-pass');
    await server.waitFor(() => server.log.tokenRequests.length >= 1 && server.log.tokenRequests[server.log.tokenRequests.length - 1]);
    const outcome = await Promise.race([hanging.then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('pending'), 150))]);
    assert.equal(outcome, 'pending');
    server.faults.dropAllSockets();
    await assert.rejects(hanging);
  });

  it('tokenTtlSeconds sets expires_in and exp', async () => {
    const short = await FakeTrueConfServer.start({ tokenTtlSeconds: 60 });
    try {
      const body = (await requestToken(short.url, 'alice', 'alice-pass')).json<{ access_token: string; expires_in: number; expires_at: number }>();
      assert.equal(body.expires_in, 60);
      const claims = decodeJwtPayload(body.access_token) as { exp: number; iat: number };
      assert.equal(claims.exp - claims.iat, 60);
    } finally {
      await short.stop();
    }
  });

  it('other paths: GET / is HTML, /api/v4/server has the version, unknown → 404 JSON', async () => {
    const root = await httpRequest(`${server.url}/`);
    assert.equal(root.status, 200);
    assert.match(root.body.toString(), /TrueConf Server \(fake\)/);
    const info = await httpRequest(`${server.url}/api/v4/server`);
    assert.deepEqual(info.json(), { product: { version: '5.5.3.0', display_name: 'trueconf.test' } });
    const missing = await httpRequest(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json().error, 'not_found');
    assert.equal(server.log.http.find((h) => h.path === '/nope')?.status, 404);
  });
});

describe('fake server: WebSocket, auth and envelope mechanics (protocol.md §2, §3)', () => {
  let server: FakeTrueConfServer;
  beforeEach(async () => {
    server = await FakeTrueConfServer.start();
  });
  afterEach(() => server.stop());

  it('echoes json.v1, accepts no subprotocol and both paths; other paths → 404', async () => {
    const offered = await RawClient.connect(server.wsUrl);
    assert.equal(offered.ws.protocol, 'json.v1');
    const none = await RawClient.connect(server.wsUrl.replace(/\/$/, ''), { protocols: [] });
    assert.equal(none.ws.protocol, '');
    await assert.rejects(RawClient.connect(server.wsUrl.replace('chat_bot/', 'other')), /404/);
    assert.equal(server.connectionCount(), 2);
    await Promise.all([offered.close(), none.close()]);
  });

  it('answers 200 before auth, 201 for a forged token, 203 for an expired one', async () => {
    const client = await RawClient.connect(server.wsUrl);
    assert.equal((await client.call('getChats', { count: 10, page: 1 })).errorCode, 200);
    assert.equal((await client.auth('not-a-jwt')).errorCode, 201);
    const good = await tokenFor(server, 'alice');
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    assert.equal((await client.auth(forged)).errorCode, 201);
    assert.equal((await client.auth(server.issueToken('alice', -10).token)).errorCode, 203);
    assert.equal((await client.call('auth', { token: good, tokenType: 'Bearer' })).errorCode, 204);
    assert.equal((await client.call('auth', { tokenType: 'JWT' })).errorCode, 399);
    const ok = await client.auth(good);
    assert.equal(ok.errorCode, 0);
    assert.match(String(ok.userId), /^alice@trueconf\.test\/[0-9a-f]+$/);
    assert.match(String(ok.connectionId), /^[0-9a-f-]{36}$/);
    await client.close();
  });

  it('pushes getFileUploadLimits after auth with its own id; acks are recorded', async () => {
    const client = await RawClient.connect(server.wsUrl, { autoAck: false });
    await client.auth(await tokenFor(server, 'alice'));
    const push = await client.notification('getFileUploadLimits');
    assert.deepEqual(push.payload, { maxSize: null, extensions: null });
    assert.equal(server.unackedNotifications().length, 1);
    client.send({ type: 2, id: push.id });
    await server.waitFor(() => server.log.acks.some((a) => a.id === push.id));
    assert.deepEqual(server.unackedNotifications(), []);

    server.setUploadLimits({ maxSize: 1000, extensions: { mode: 'block', list: ['exe'] } });
    const changed = await client.notification('getFileUploadLimits', (p) => p.maxSize === 1000);
    assert.ok(changed.id > push.id);
    assert.deepEqual((await client.call('getFileUploadLimits')).extensions, { mode: 'block', list: ['exe'] });
    assert.equal(server.unackedNotifications()[0].method, 'getFileUploadLimits');
    await client.close();
  });

  it('unknown method → 307; bad payload → 399; errorCode 0 on success unless switched off', async () => {
    const client = await signIn(server, 'alice');
    assert.equal((await client.call('doSomething')).errorCode, 307);
    assert.equal((await client.call('getChats', { count: '10', page: 1 })).errorCode, 399);
    assert.equal((await client.call('getChats', { count: 10, page: 0 })).errorCode, 399);
    assert.equal((await client.call('getUserDisplayName', { userId: 'bob@trueconf.test' })).errorCode, 0);
    server.options.omitErrorCodeOnSuccess = true;
    assert.deepEqual(await client.call('getUserDisplayName', { userId: 'bob@trueconf.test' }), { displayName: 'Bob Brown' });
    await client.close();
  });

  it('malformed frames: 399 when an id is present, close 1007 otherwise, 1003 for binary', async () => {
    const client = await signIn(server, 'alice');
    client.send({ type: 7, id: 99 });
    assert.equal(((await client.next((f) => f.id === 99)).payload as { errorCode: number }).errorCode, 399);
    client.send({ type: 1, id: 100 });
    assert.equal(((await client.next((f) => f.id === 100)).payload as { errorCode: number }).errorCode, 399);
    client.send('{"type":1,"id":101,"method":"getChats",');
    assert.equal(((await client.next((f) => f.id === 101)).payload as { errorCode: number }).errorCode, 399);
    client.send('{not json');
    assert.equal((await client.closed).code, 1007);
    const other = await signIn(server, 'alice');
    other.ws.send(Buffer.from([1, 2, 3]));
    assert.equal((await other.closed).code, 1003);
  });

  it('duplicate in-flight id → errorCode 2 (switchable)', async () => {
    const client = await signIn(server, 'alice');
    server.faults.delayResponses('getChats', 100);
    const first = client.request('getChats', { count: 5, page: 1 }, 500);
    client.send({ type: 1, id: 500, method: 'getChats', payload: { count: 5, page: 1 } });
    const real = client.next((f) => f.id === 500 && Array.isArray(f.payload));
    // The duplicate's error answer comes first, under the same id.
    assert.equal(((await first).payload as { errorCode?: number }).errorCode, 2);
    await real;
    server.faults.duplicateIdCheck(false);
    const a = client.request('getChats', { count: 5, page: 1 }, 600);
    client.send({ type: 1, id: 600, method: 'getChats', payload: { count: 5, page: 1 } });
    await a;
    await server.waitFor(() => server.log.requests.filter((r) => r.id === 600).length === 2);
    await client.close();
  });

  it('delay and omit responses; expireTokens(n) and expireAllTokens', async () => {
    const client = await signIn(server, 'alice');
    server.faults.omitResponses('getChats', 1);
    const swallowed = client.request('getChats', { count: 1, page: 1 });
    await assert.rejects(Promise.race([swallowed, new Promise((_r, j) => setTimeout(() => j(new Error('silence')), 200))]), /silence/);
    assert.ok(Array.isArray((await client.request('getChats', { count: 1, page: 1 })).payload));
    swallowed.catch(() => undefined);

    server.faults.delayResponses('getUserDisplayName', 150);
    const started = Date.now();
    await client.call('getUserDisplayName', { userId: 'bob@trueconf.test' });
    assert.ok(Date.now() - started >= 140);
    server.faults.delayResponses('getUserDisplayName', 0);

    server.faults.expireTokens(2);
    assert.equal((await client.call('getUserDisplayName', { userId: 'bob@trueconf.test' })).errorCode, 203);
    assert.equal((await client.call('getUserDisplayName', { userId: 'bob@trueconf.test' })).errorCode, 203);
    assert.equal((await client.call('getUserDisplayName', { userId: 'bob@trueconf.test' })).errorCode, 0);

    const oldToken = await tokenFor(server, 'bob');
    server.faults.expireAllTokens();
    assert.equal((await client.call('getUserDisplayName', { userId: 'bob@trueconf.test' })).errorCode, 203);
    const other = await RawClient.connect(server.wsUrl);
    assert.equal((await other.auth(oldToken)).errorCode, 203);
    assert.equal((await other.auth(await tokenFor(server, 'bob'))).errorCode, 0);
    await Promise.all([client.close(), other.close()]);
  });

  it('sendRaw reaches authenticated sockets; closeSockets closes with a code', async () => {
    const alice = await signIn(server, 'alice');
    const bob = await signIn(server, 'bob');
    server.faults.sendRaw('{"type":1,"id":77,"method":"weird","payload":{}}', 'bob');
    await bob.next((f) => f.method === 'weird');
    assert.equal(alice.received.some((f) => f.method === 'weird'), false);
    server.faults.closeSockets(4000, 'bye');
    assert.equal((await alice.closed).code, 4000);
    assert.equal((await bob.closed).code, 4000);
  });

  it('maxConnections: the next upgrade is refused with 503', async () => {
    await server.stop();
    server = await FakeTrueConfServer.start({ maxConnections: 2 });
    const a = await RawClient.connect(server.wsUrl);
    const b = await RawClient.connect(server.wsUrl);
    await assert.rejects(RawClient.connect(server.wsUrl), /503/);
    await a.close();
    await server.waitFor(() => server.connectionCount() === 1);
    const c = await RawClient.connect(server.wsUrl);
    await Promise.all([b.close(), c.close()]);
  });

  it('refuseConnections destroys new TCP connections; dropAllSockets kills open ones', async () => {
    const client = await signIn(server, 'alice');
    server.faults.refuseConnections(true);
    await assert.rejects(requestToken(server.url, 'alice', 'alice-pass'));
    await assert.rejects(RawClient.connect(server.wsUrl));
    server.faults.refuseConnections(false);
    server.faults.dropAllSockets();
    assert.equal((await client.closed).code, 1006);
    await server.waitFor(() => server.connectionCount() === 0);
  });

  it('restart() keeps the port and the data; tokens stay valid', async () => {
    const chatId = server.createChat({ type: 2, title: 'Keep me', participants: ['alice', 'bob'] });
    await server.sendText('bob', chatId, 'before restart');
    const token = await tokenFor(server, 'alice');
    const client = await RawClient.connect(server.wsUrl);
    await client.auth(token);
    const port = server.port;
    await server.restart();
    assert.equal((await client.closed).code, 1006);
    assert.equal(server.port, port);
    const again = await RawClient.connect(server.wsUrl);
    assert.equal((await again.auth(token)).errorCode, 0);
    const history = await again.call<{ messages: Array<{ content: { text: string } }> }>('getChatHistory', { chatId, count: 10 });
    assert.equal(history.messages[0].content.text, 'before restart');
    await again.close();
  });

  it('storage: a default directory is removed on stop(); a given one is kept', async () => {
    const own = server.storageDir;
    assert.ok(existsSync(own));
    await server.sendFile('alice', server.createChat({ type: 5, participants: ['alice'] }), { name: 'a.txt', data: Buffer.from('a') });
    await server.stop();
    assert.equal(existsSync(own), false);
    const dir = mkdtempSync(join(tmpdir(), 'fake-storage-'));
    server = await FakeTrueConfServer.start({ storageDir: dir });
    const { fileId } = await server.sendFile('alice', server.createChat({ type: 5, participants: ['alice'] }), { name: 'b.txt', data: Buffer.from('b') });
    assert.ok(server.filePath(fileId).startsWith(dir));
    await server.stop();
    assert.ok(existsSync(server.filePath(fileId)));
    rmSync(dir, { recursive: true, force: true });
    server = await FakeTrueConfServer.start();
  });

  it('serves HTTPS and WSS with the given certificate', async () => {
    const fixtures = join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures');
    const cert = readFileSync(join(fixtures, 'tls-selfsigned-cert.pem'));
    const key = readFileSync(join(fixtures, 'tls-selfsigned-key.pem'));
    const tls = await FakeTrueConfServer.start({ tls: { key, cert } });
    try {
      assert.match(tls.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await httpRequest(`${tls.url}/api/v4/server`, { ca: cert });
      assert.equal(res.status, 200);
      const ws = await RawClient.connect(tls.wsUrl, { ca: cert });
      assert.equal(ws.ws.protocol, 'json.v1');
      await ws.close();
    } finally {
      await tls.stop();
    }
  });
});

describe('fake server: chats and messages (protocol.md §4.2–4.4, §4.8)', () => {
  let server: FakeTrueConfServer;
  beforeEach(async () => {
    server = await FakeTrueConfServer.start();
  });
  afterEach(() => server.stop());

  it('getChats paginates, most recently active first, in both shapes', async () => {
    const ids = ['one', 'two', 'three'].map((title) => server.createChat({ type: 2, title, participants: ['alice', 'bob'] }));
    await server.sendText('bob', ids[0], 'bump one');
    const client = await signIn(server, 'alice');
    const page1 = await client.call<Array<{ chatId: string; title: string; unreadMessages: number; lastMessage: unknown; avatarUrl: null }>>(
      'getChats',
      { count: 2, page: 1 },
    );
    assert.ok(Array.isArray(page1));
    assert.deepEqual(page1.map((c) => c.title), ['one', 'three']);
    assert.equal(page1[0].unreadMessages, 1);
    assert.equal(page1[0].avatarUrl, null);
    assert.equal(page1[1].lastMessage, null);
    const page2 = await client.call<Array<{ title: string }>>('getChats', { count: 2, page: 2 });
    assert.deepEqual(page2.map((c) => c.title), ['two']);
    server.options.chatsShape = 'object';
    const obj = await client.call<{ chats: Array<{ title: string }>; errorCode: number }>('getChats', { count: 10, page: 1 });
    assert.equal(obj.chats.length, 3);
    assert.equal(obj.errorCode, 0);
    await client.close();
  });

  it('getChatByID 304/305; createP2PChat get-or-create with a push; unknown user 305', async () => {
    const groupOfBob = server.createChat({ type: 2, title: 'Bob only', participants: ['bob', 'carol'] });
    const client = await signIn(server, 'alice');
    assert.equal((await client.call('getChatByID', { chatId: 'nope' })).errorCode, 304);
    assert.equal((await client.call('getChatByID', { chatId: groupOfBob })).errorCode, 305);
    const first = await client.call<{ chatId: string }>('createP2PChat', { userId: 'bob@trueconf.test' });
    assert.match(first.chatId, /^[0-9a-f]{40}$/);
    const push = await client.notification('createP2PChat');
    assert.deepEqual(push.payload, { chatId: first.chatId, title: 'Bob Brown', chatType: 1, lastMessage: null, unreadMessages: 0 });
    const again = await client.call<{ chatId: string }>('createP2PChat', { userId: 'bob@trueconf.test/abc' });
    assert.equal(again.chatId, first.chatId);
    assert.equal(server.p2pChatId('bob', 'alice'), first.chatId);
    assert.equal((await client.call('createP2PChat', { userId: 'zed@trueconf.test' })).errorCode, 305);
    const byId = await client.call<{ title: string; chatType: number }>('getChatByID', { chatId: first.chatId });
    assert.equal(byId.title, 'Bob Brown');
    await client.close();
  });

  it('sendMessage validates, stores, and pushes to the others and to the sender\'s other sessions', async () => {
    const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const alice = await signIn(server, 'alice');
    const alice2 = await signIn(server, 'alice');
    const bob = await signIn(server, 'bob');
    const answer = await alice.call<{ chatId: string; messageId: string; timestamp: number; errorCode: number }>('sendMessage', {
      chatId,
      content: { text: 'hello **bob**', parseMode: 'markdown' },
    });
    assert.equal(answer.errorCode, 0);
    assert.match(answer.messageId, /^[0-9a-f-]{36}$/);
    assert.ok(Math.abs(answer.timestamp - Date.now()) < 5000);
    const atBob = await bob.notification('sendMessage');
    const env = atBob.payload as Record<string, unknown>;
    assert.equal(env.messageId, answer.messageId);
    assert.equal(env.type, 200);
    assert.deepEqual(env.author, { id: 'alice@trueconf.test', type: 1 });
    assert.deepEqual(env.content, { text: 'hello **bob**', parseMode: 'markdown' });
    assert.deepEqual(env.chat, { chatId, chatTitle: 'Alice Anders', chatType: 1 });
    await alice2.notification('sendMessage');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(alice.notifications('sendMessage').length, 0);
    assert.equal(server.chatMessages(chatId).length, 1);

    const send = (payload: Record<string, unknown>): Promise<Record<string, unknown>> => alice.call('sendMessage', payload);
    assert.equal((await send({ chatId, content: { text: 'x', parseMode: 'rtf' } })).errorCode, 399);
    assert.equal((await send({ chatId, content: { text: 'x'.repeat(4097), parseMode: 'text' } })).errorCode, 399);
    assert.equal((await send({ chatId, content: { text: '😀'.repeat(4096), parseMode: 'text' } })).errorCode, 0);
    assert.equal((await send({ chatId: 'missing', content: { text: 'x', parseMode: 'text' } })).errorCode, 304);
    const foreign = server.createChat({ type: 2, title: 'not alice', participants: ['bob'] });
    assert.equal((await send({ chatId: foreign, content: { text: 'x', parseMode: 'text' } })).errorCode, 305);
    assert.equal((await send({ chatId, content: { text: 'x', parseMode: 'text' }, replyMessageId: 'nope' })).errorCode, 306);
    assert.equal((await send({ chatId, content: { text: '<a href="javascript:x()">x</a>', parseMode: 'html' } })).errorCode, 399);
    const html = await send({ chatId, content: { text: '<b onclick="x">hi</b><div>there</div>', parseMode: 'html' } });
    assert.equal(html.errorCode, 0);
    assert.equal(server.chatMessages(chatId).at(-1)?.content.text, '<b>hi</b>there');
    await Promise.all([alice.close(), alice2.close(), bob.close()]);
  });

  it('over-long text can be truncated instead (switch)', async () => {
    server.options.overlongText = 'truncate';
    const chatId = server.createChat({ type: 5, participants: ['alice'] });
    const alice = await signIn(server, 'alice');
    assert.equal((await alice.call('sendMessage', { chatId, content: { text: 'y'.repeat(5000), parseMode: 'text' } })).errorCode, 0);
    assert.equal((server.chatMessages(chatId)[0].content.text as string).length, 4096);
    await alice.close();
  });

  it('getChatHistory newest first with fromMessageId (anchor included by default); getMessageById', async () => {
    const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    const sent = [];
    for (let i = 1; i <= 5; i++) {
      sent.push(await server.sendText(i % 2 ? 'bob' : 'alice', chatId, `m${i}`));
    }
    const alice = await signIn(server, 'alice');
    type History = { chatId: string; count: number; messages: Array<{ messageId: string; content: { text: string }; box: { id: number } }> };
    const latest = await alice.call<History>('getChatHistory', { chatId, count: 2 });
    assert.deepEqual(latest.messages.map((m) => m.content.text), ['m5', 'm4']);
    assert.equal(latest.count, 2);
    const older = await alice.call<History>('getChatHistory', { chatId, count: 2, fromMessageId: sent[2].messageId });
    assert.deepEqual(older.messages.map((m) => m.content.text), ['m3', 'm2']);
    server.options.historyIncludesAnchor = false;
    const exclusive = await alice.call<History>('getChatHistory', { chatId, count: 5, fromMessageId: sent[2].messageId });
    assert.deepEqual(exclusive.messages.map((m) => m.content.text), ['m2', 'm1']);
    assert.equal((await alice.call('getChatHistory', { chatId, count: 0 })).errorCode, 399);
    assert.equal((await alice.call('getChatHistory', { chatId: 'x', count: 1 })).errorCode, 304);
    assert.equal((await alice.call('getChatHistory', { chatId, count: 1, fromMessageId: 'nope' })).errorCode, 306);
    const one = await alice.call<{ messageId: string; box: { id: number } }>('getMessageById', { messageId: sent[0].messageId });
    assert.equal(one.messageId, sent[0].messageId);
    assert.equal(one.box.id, 1);
    assert.equal((await alice.call('getMessageById', { messageId: 'nope' })).errorCode, 306);
    await alice.close();
  });

  it('acks mark messages read; receiveUnread replays unread messages after auth', async () => {
    const chatId = server.createChat({ type: 1, participants: ['alice', 'bob'] });
    await server.sendText('bob', chatId, 'while you were away');
    const alice = await signIn(server, 'alice', { receiveUnread: true });
    const replayed = await alice.notification('sendMessage');
    assert.equal((replayed.payload as { content: { text: string } }).content.text, 'while you were away');
    await server.waitFor(() => server.log.acks.some((a) => a.id === replayed.id));
    const [chat] = await alice.call<Array<{ unreadMessages: number }>>('getChats', { count: 1, page: 1 });
    assert.equal(chat.unreadMessages, 0);
    await alice.close();
  });

  it('system envelopes and push-only chat events (protocol.md §4.9)', async () => {
    const chatId = server.createChat({ type: 2, title: 'Team', participants: ['bob', 'alice'] });
    const alice = await signIn(server, 'alice', { receiveSystemMessageEnvelopes: true });
    const plain = await signIn(server, 'alice');
    server.addParticipant(chatId, 'carol');
    const added = await alice.notification('addChatParticipant');
    assert.deepEqual((added.payload as { userId: string }).userId, 'carol@trueconf.test');
    const sys = await alice.notification('sendMessage', (p) => p.type === 1);
    assert.deepEqual((sys.payload as { author: { type: number } }).author.type, 0);
    await plain.notification('addChatParticipant');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(plain.notifications('sendMessage').length, 0);
    server.editChatTitle(chatId, 'Renamed');
    assert.deepEqual((await alice.notification('editChatTitle')).payload, { chatId, title: 'Renamed' });
    const msg = await server.sendText('bob', chatId, 'typo');
    server.editMessage(msg.messageId, 'fixed');
    assert.equal(((await alice.notification('editMessage')).payload as { messageId: string }).messageId, msg.messageId);
    server.removeMessage(msg.messageId);
    await alice.notification('removeMessage');
    server.removeChat(chatId);
    assert.deepEqual((await alice.notification('removeChat')).payload, { chatId });
    assert.equal((await alice.call('getChatByID', { chatId })).errorCode, 304);
    await Promise.all([alice.close(), plain.close()]);
  });

  it('group chat requests: create, participants, roles, rights', async () => {
    const alice = await signIn(server, 'alice');
    const { chatId } = await alice.call<{ chatId: string }>('createGroupChat', { title: 'Alice team' });
    await alice.notification('createGroupChat');
    assert.equal((await alice.call('addChatParticipant', { chatId, userId: 'bob@trueconf.test' })).errorCode, 0);
    assert.equal((await alice.call('addChatParticipant', { chatId, userId: 'bob@trueconf.test' })).errorCode, 309);
    const list = await alice.call<{ participants: Array<{ userId: string; role: string }> }>('getChatParticipants', { chatId, pageSize: 10, pageNumber: 1 });
    assert.deepEqual(list.participants, [
      { userId: 'alice@trueconf.test', role: 'owner' },
      { userId: 'bob@trueconf.test', role: 'user' },
    ]);
    assert.equal((await alice.call('changeParticipantRole', { chatId, userId: 'bob@trueconf.test', role: 'boss' })).errorCode, 312);
    assert.equal((await alice.call('changeParticipantRole', { chatId, userId: 'bob@trueconf.test', role: 1 })).errorCode, 0);
    const bob = await signIn(server, 'bob');
    assert.equal((await bob.call('removeChat', { chatId })).errorCode, 303);
    const channel = await alice.call<{ chatId: string }>('createChannel', { title: 'News' });
    await alice.call('addChatParticipant', { chatId: channel.chatId, userId: 'bob@trueconf.test' });
    assert.equal((await bob.call('sendMessage', { chatId: channel.chatId, content: { text: 'hi', parseMode: 'text' } })).errorCode, 303);
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe('fake server: sandbox', () => {
  it('starts with the demo user, four chats and earlier files; Anna sends logs and answers', async () => {
    const sandbox = await startSandbox({ port: 0, intervalMs: 0, replyDelayMs: 10 });
    try {
      const { server, chats } = sandbox;
      const res = await requestToken(server.url, 'demo', 'demo');
      assert.equal(res.status, 201);
      const demo = await RawClient.connect(server.wsUrl);
      await demo.auth(res.json<{ access_token: string }>().access_token);
      const list = await demo.call<Array<{ title: string | null; chatType: number }>>('getChats', { count: 10, page: 1 });
      assert.deepEqual(list.map((c) => c.chatType).sort(), [1, 2, 5, 6]);
      assert.ok(list.some((c) => c.title === 'Anna Ivanova'));
      const files = [chats.anna, chats.backend, chats.releases].flatMap((id) => server.chatMessages(id)).filter((m) => m.type === 202);
      assert.deepEqual(files.map((m) => m.content.name).sort(), ['RELEASE_NOTES.md', 'build-41.log', 'dashboard.png', 'retry.ts']);
      const png = files.find((m) => m.content.name === 'dashboard.png');
      assert.deepEqual([...server.fileBytes(png?.content.fileId as string).subarray(1, 4)], [0x50, 0x4e, 0x47]);

      await sandbox.sendLogNow();
      const log = await demo.notification('sendMessage', (p) => (p.content as { name?: string }).name === 'build-42.log');
      assert.equal((log.payload as { content: { readyState: number } }).content.readyState, 1);

      const sent = await demo.call<{ messageId: string }>('sendMessage', { chatId: chats.anna, content: { text: 'hi Anna', parseMode: 'text' } });
      const reply = await demo.notification('sendMessage', (p) => p.replyMessageId === sent.messageId);
      assert.deepEqual((reply.payload as { author: { id: string } }).author.id, server.userId('anna'));
      await demo.close();
    } finally {
      await sandbox.stop();
    }
  });
});
