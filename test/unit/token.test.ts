import * as assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { parseServerAddress } from '../../src/trueconf/endpoints';
import { HttpTransport } from '../../src/trueconf/http';
import { fetchToken, isTokenExpired, jwtExpiry } from '../../src/trueconf/token';
import { closedPort, InlineServer, makeJwt, selfSignedTls, startInlineServer } from './helpers/transport-servers';
import { rejection } from './helpers/rejection';

const PASSWORD = 'S3cret-p4ss!';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

describe('trueconf/token', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  let server: InlineServer | undefined;
  let http: HttpTransport;

  beforeEach(() => {
    http = new HttpTransport();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await http.close();
  });

  /** A token endpoint that answers every POST with `answer`. */
  async function tokenServer(answer: (res: ServerResponse) => void) {
    server = await startInlineServer({ http: (_req, res) => answer(res) });
    return parseServerAddress(server.origin);
  }

  describe('fetchToken', () => {
    it('posts the password grant as JSON to the token URL and reads expires_at (absolute seconds)', async () => {
      const jwt = makeJwt({ sub: 'alice', exp: nowSeconds() + 999_999 });
      const endpoints = await tokenServer((res) => json(res, 201, { access_token: jwt, token_type: 'JWT', expires_at: 2_000_000_000, expires_in: 5 }));

      const token = await fetchToken(http, endpoints, 'alice', PASSWORD);

      assert.deepEqual(token, { accessToken: jwt, expiresAt: 2_000_000_000_000 });
      const [req] = server!.requests;
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/bridge/api/client/v1/oauth/token');
      assert.match(String(req.headers['content-type']), /^application\/json/);
      assert.deepEqual(JSON.parse(req.body), { client_id: 'chat_bot', grant_type: 'password', username: 'alice', password: PASSWORD });
    });

    it('sends a numeric password as a string', async () => {
      const endpoints = await tokenServer((res) => json(res, 200, { access_token: makeJwt({}), expires_in: 60 }));
      await fetchToken(http, endpoints, 'alice', 12345 as unknown as string);
      assert.equal(JSON.parse(server!.requests[0].body).password, '12345');
    });

    it('reads expires_in (relative seconds) when there is no expires_at, and accepts 200', async () => {
      const endpoints = await tokenServer((res) => json(res, 200, { access_token: makeJwt({ exp: 1 }), expires_in: 3600 }));
      const before = Date.now();
      const token = await fetchToken(http, endpoints, 'alice', PASSWORD);
      assert.ok(token.expiresAt >= before + 3_600_000 && token.expiresAt <= Date.now() + 3_600_000, String(token.expiresAt));
    });

    it("falls back to the JWT's exp claim", async () => {
      const exp = nowSeconds() + 7200;
      const endpoints = await tokenServer((res) => json(res, 201, { access_token: makeJwt({ sub: 'alice', exp }) }));
      const token = await fetchToken(http, endpoints, 'alice', PASSWORD);
      assert.equal(token.expiresAt, exp * 1000);
    });

    it('rejects an answer without any expiry', async () => {
      const endpoints = await tokenServer((res) => json(res, 201, { access_token: makeJwt({ sub: 'alice' }) }));
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
      assert.equal(err.kind, 'protocol');
      assert.match(err.message, /without an expiry time/);
    });

    for (const [label, accessToken] of [
      ['not a three-part JWT', 'opaque-token-value'],
      ['a JWT with whitespace', `${makeJwt({ exp: 2_000_000_000 })} `],
      ['missing', undefined],
    ] as const) {
      it(`rejects a token that is ${label}, without echoing it`, async () => {
        const endpoints = await tokenServer((res) => json(res, 201, { access_token: accessToken, expires_in: 60 }));
        const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
        assert.equal(err.kind, 'protocol');
        assert.equal(err.message, `${endpoints.host} sent a sign-in token that is not a JWT.`);
      });
    }

    it('maps 401 to wrongCredentials without revealing the password', async () => {
      const endpoints = await tokenServer((res) => json(res, 401, { error: 'invalid_grant', error_description: `bad password ${PASSWORD}` }));
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
      assert.equal(err.kind, 'wrongCredentials');
      assert.equal(err.message, 'Wrong user name or password.');
      assert.equal(err.details.status, 401);
    });

    it('maps invalid_grant with another status to wrongCredentials', async () => {
      const endpoints = await tokenServer((res) => json(res, 400, { error: 'invalid_grant' }));
      assert.equal((await rejection(fetchToken(http, endpoints, 'alice', PASSWORD))).kind, 'wrongCredentials');
    });

    it('maps 403 auth_method_disabled to passwordSignInDisabled', async () => {
      const endpoints = await tokenServer((res) => json(res, 403, { error: 'auth_method_disabled' }));
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
      assert.equal(err.kind, 'passwordSignInDisabled');
      assert.match(err.message, /^Password sign-in is disabled on this server/);
    });

    it('maps a 404 web page to notTrueConf, naming the host', async () => {
      const endpoints = await tokenServer((res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not here</html>'));
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
      assert.equal(err.kind, 'notTrueConf');
      assert.equal(
        err.message,
        `${endpoints.host} answered, but not as a TrueConf Server: check the address (TrueConf Server 5.5 or later with the chatbot API)`,
      );
    });

    it('maps a 200 web page (some other site) to notTrueConf', async () => {
      const endpoints = await tokenServer((res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Welcome</title>'));
      assert.equal((await rejection(fetchToken(http, endpoints, 'alice', PASSWORD))).kind, 'notTrueConf');
    });

    it('maps 5xx to api with the status, even when the body is an HTML error page', async () => {
      const endpoints = await tokenServer((res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'));
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
      assert.equal(err.kind, 'api');
      assert.equal(err.details.status, 502);
      assert.match(err.message, /HTTP 502/);
    });

    it("shows another 4xx with the server's description, scrubbed of the password", async () => {
      const endpoints = await tokenServer((res) => json(res, 400, { error: 'invalid_request', error_description: `password "${PASSWORD}" is malformed` }));
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
      assert.equal(err.kind, 'api');
      assert.equal(err.details.status, 400);
      assert.match(err.message, /malformed/);
      assert.ok(!err.message.includes(PASSWORD), err.message);
    });

    it('reports a refused connection as unreachable', async () => {
      const endpoints = parseServerAddress(`http://127.0.0.1:${await closedPort()}`);
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD));
      assert.equal(err.kind, 'unreachable');
      assert.match(err.message, /refused/);
    });

    it('gives up after the timeout when the endpoint never answers', async () => {
      const endpoints = await tokenServer(() => undefined);
      const err = await rejection(fetchToken(http, endpoints, 'alice', PASSWORD, undefined, 100));
      assert.equal(err.kind, 'timeout');
    });

    it('stops when the signal aborts', async () => {
      const endpoints = await tokenServer(() => undefined);
      const controller = new AbortController();
      const pending = fetchToken(http, endpoints, 'alice', PASSWORD, controller.signal);
      controller.abort();
      assert.equal((await rejection(pending)).kind, 'cancelled');
    });

    describe('over TLS with a self-signed certificate', () => {
      const tls = selfSignedTls();
      const answer = (res: ServerResponse) => json(res, 201, { access_token: makeJwt({ exp: 2_000_000_000 }), expires_in: 60 });

      it('refuses the certificate by default (certificate)', async () => {
        server = await startInlineServer({ tls, http: (_req, res) => answer(res) });
        const err = await rejection(fetchToken(http, parseServerAddress(server.origin), 'alice', PASSWORD));
        assert.equal(err.kind, 'certificate');
        assert.match(err.message, /not trusted/);
      });

      it('works when the certificate is given as ca', async () => {
        server = await startInlineServer({ tls, http: (_req, res) => answer(res) });
        const trusting = new HttpTransport({ ca: tls.cert });
        try {
          const token = await fetchToken(trusting, parseServerAddress(server.origin), 'alice', PASSWORD);
          assert.ok(token.expiresAt > Date.now());
        } finally {
          await trusting.close();
        }
      });
    });
  });

  describe('jwtExpiry', () => {
    it('returns exp in milliseconds', () => {
      assert.equal(jwtExpiry(makeJwt({ exp: 1_767_090_000 })), 1_767_090_000_000);
    });

    it('returns undefined without exp, for garbage, and for a non-JWT', () => {
      assert.equal(jwtExpiry(makeJwt({ sub: 'x' })), undefined);
      assert.equal(jwtExpiry(makeJwt({ exp: 'soon' })), undefined);
      assert.equal(jwtExpiry('a.%%%.c'), undefined);
      assert.equal(jwtExpiry('opaque'), undefined);
    });
  });

  describe('isTokenExpired', () => {
    const now = 1_000_000_000_000;
    it('is true once expiry is within the skew (60 s by default)', () => {
      assert.equal(isTokenExpired({ accessToken: 't', expiresAt: now + 61_000 }, now), false);
      assert.equal(isTokenExpired({ accessToken: 't', expiresAt: now + 60_000 }, now), true);
      assert.equal(isTokenExpired({ accessToken: 't', expiresAt: now - 1 }, now, 0), true);
      assert.equal(isTokenExpired({ accessToken: 't', expiresAt: now + 1 }, now, 0), false);
    });
  });
});
