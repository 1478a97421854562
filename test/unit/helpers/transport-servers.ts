/**
 * Tiny, fully scriptable servers on 127.0.0.1 for the transport tests (token, rpc, client), for
 * the cases where the fake TrueConf server is too well-behaved: odd token answers, malformed
 * frames, refused upgrades, a peer that stops answering pings.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';

export interface TlsPair {
  key: string;
  cert: string;
}

/** The committed self-signed certificate for localhost / 127.0.0.1 (see fixtures/README.md). */
export function selfSignedTls(): TlsPair {
  const dir = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'unit', 'fixtures');
  return {
    key: readFileSync(path.join(dir, 'tls-selfsigned-key.pem'), 'utf8'),
    cert: readFileSync(path.join(dir, 'tls-selfsigned-cert.pem'), 'utf8'),
  };
}

/** An unsigned but well-formed JWT with the given claims. */
export function makeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${Buffer.from('signature').toString('base64url')}`;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type HttpHandler = (req: RecordedRequest, res: http.ServerResponse) => void;

export interface InlineServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (or https). */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  readonly wss: WebSocketServer;
  /** Server-side sockets, in connection order. */
  readonly sockets: WebSocket[];
  /** Text frames received, per socket index, parsed as JSON where possible. */
  readonly frames: unknown[][];
  close(): Promise<void>;
}

export interface InlineServerOptions {
  http?: HttpHandler;
  tls?: TlsPair;
  /** Answer pings (default true). */
  autoPong?: boolean;
  /** Refuse the upgrade with this status (and an HTML body) instead of accepting it. */
  refuseUpgrade?: number;
  /** Called for each accepted WebSocket. */
  onConnection?: (ws: WebSocket, index: number) => void;
}

/** One HTTP(S) server that also accepts WebSocket upgrades on any path, echoing `json.v1`. */
export async function startInlineServer(options: InlineServerOptions = {}): Promise<InlineServer> {
  const requests: RecordedRequest[] = [];
  const sockets: WebSocket[] = [];
  const frames: unknown[][] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      if (options.http) {
        options.http(recorded, res);
      } else {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>');
      }
    });
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, onRequest) : http.createServer(onRequest);
  const wss = new WebSocketServer({
    noServer: true,
    autoPong: options.autoPong ?? true,
    handleProtocols: (protocols) => (protocols.has('json.v1') ? 'json.v1' : false),
  });
  server.on('upgrade', (req, socket, head) => {
    if (options.refuseUpgrade !== undefined) {
      const body = '<html><body>Refused</body></html>';
      socket.end(`HTTP/1.1 ${options.refuseUpgrade} Refused\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const index = sockets.length;
      sockets.push(ws);
      frames.push([]);
      ws.on('message', (data) => {
        const text = String(data);
        try {
          frames[index].push(JSON.parse(text));
        } catch {
          frames[index].push(text);
        }
      });
      options.onConnection?.(ws, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    wss,
    sockets,
    frames,
    async close() {
      for (const ws of sockets) {
        ws.terminate();
      }
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Poll `condition` until it holds; fail with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Send a JSON frame from the server side. */
export function sendJson(ws: WebSocket, frame: unknown): void {
  ws.send(JSON.stringify(frame));
}
