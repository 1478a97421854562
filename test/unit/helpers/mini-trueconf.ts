/**
 * A scriptable stand-in for a TrueConf Server, for what the fake server cannot be made to do:
 * answer `auth` with an error that echoes the token, send bytes that are not UTF-8 in a text
 * frame. It issues a token for any user name and password, accepts `auth`, and lets the test
 * answer everything else (or anything at all) itself.
 */
import type WebSocket from 'ws';
import { InlineServer, makeJwt, sendJson, startInlineServer } from './transport-servers';

export interface MiniFrame {
  type: number;
  id: number;
  method?: string;
  payload?: unknown;
}

export interface MiniTrueConfOptions {
  /**
   * Answer a client request; return undefined to fall back to the default (auth succeeds,
   * everything else answers `{errorCode: 0}`), or null to stay silent.
   */
  answer?(frame: MiniFrame, ws: WebSocket, socketIndex: number): unknown;
}

export interface MiniTrueConf {
  server: InlineServer;
  url: string;
  /** The tokens issued so far, in order. */
  tokens: string[];
  close(): Promise<void>;
}

export async function startMiniTrueConf(options: MiniTrueConfOptions = {}): Promise<MiniTrueConf> {
  const tokens: string[] = [];
  const server = await startInlineServer({
    http: (req, res) => {
      if (req.method === 'POST' && req.url === '/bridge/api/client/v1/oauth/token') {
        const token = makeJwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600, jti: `t${tokens.length}` });
        tokens.push(token);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'JWT', expires_in: 3600 }));
      } else {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not Found</html>');
      }
    },
    onConnection: (ws, index) => {
      ws.on('message', (data) => {
        let frame: MiniFrame;
        try {
          frame = JSON.parse(String(data)) as MiniFrame;
        } catch {
          return;
        }
        if (frame.type !== 1) {
          return;
        }
        const scripted = options.answer?.(frame, ws, index);
        if (scripted === null) {
          return;
        }
        const payload = scripted ?? (frame.method === 'auth' ? { userId: 'alice@mini.test/1', connectionId: `c${index}`, errorCode: 0 } : { errorCode: 0 });
        sendJson(ws, { type: 2, id: frame.id, payload });
      });
    },
  });
  return { server, url: server.origin, tokens, close: () => server.close() };
}
