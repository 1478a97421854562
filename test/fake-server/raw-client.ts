/**
 * Bare-wire helpers for exercising the fake server without the project's client:
 * a WebSocket client that speaks the frame format of protocol.md §3, a token request,
 * and a hand-built multipart upload. Used by test/unit/fake-server*.test.ts.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import WebSocket from 'ws';

export interface Frame {
  type: number;
  id: number;
  method?: string;
  payload?: unknown;
}

interface Waiter {
  match: (f: Frame) => boolean;
  resolve: (f: Frame) => void;
}

export interface RawClientOptions {
  /** Subprotocols to offer; default 'json.v1'. Pass [] to offer none. */
  protocols?: string | string[];
  /** Ack every server request ({type: 2, id}) on receipt. Default true. */
  autoAck?: boolean;
  /** TLS: trust this CA. */
  ca?: string | Buffer;
}

export class RawClient {
  readonly received: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  autoAck: boolean;
  private nextId = 1;
  private waiters: Waiter[] = [];

  private constructor(readonly ws: WebSocket, autoAck: boolean) {
    this.autoAck = autoAck;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(data)) as Frame;
      } catch {
        frame = { type: -1, id: -1, payload: String(data) };
      }
      this.received.push(frame);
      if (this.autoAck && frame.type === 1 && typeof frame.id === 'number') {
        this.send({ type: 2, id: frame.id });
      }
      for (const w of [...this.waiters]) {
        if (w.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
  }

  static connect(wsUrl: string, opts: RawClientOptions = {}): Promise<RawClient> {
    const protocols = opts.protocols ?? 'json.v1';
    const ws = new WebSocket(wsUrl, protocols, { ca: opts.ca });
    const client = new RawClient(ws, opts.autoAck ?? true);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Send a request and resolve with the whole response frame. */
  request(method: string, payload: unknown = {}, id = this.nextId++): Promise<Frame> {
    const answer = this.next((f) => f.type === 2 && f.id === id, 5000, `answer to ${method}#${id}`);
    this.send({ type: 1, id, method, payload });
    return answer;
  }

  /** Send a request and resolve with its payload (whatever errorCode it carries). */
  async call<T = Record<string, unknown>>(method: string, payload: unknown = {}): Promise<T> {
    return (await this.request(method, payload)).payload as T;
  }

  /** The next frame (from now on) matching `match`. */
  next(match: (f: Frame) => boolean, timeoutMs = 3000, what = 'frame'): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`RawClient: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** A notification already received or arriving later. */
  notification(method: string, match: (payload: Record<string, unknown>) => boolean = () => true, timeoutMs = 3000): Promise<Frame> {
    const test = (f: Frame): boolean => f.type === 1 && f.method === method && match((f.payload ?? {}) as Record<string, unknown>);
    const seen = this.received.find(test);
    return seen ? Promise.resolve(seen) : this.next(test, timeoutMs, `${method} notification`);
  }

  notifications(method: string): Frame[] {
    return this.received.filter((f) => f.type === 1 && f.method === method);
  }

  async auth(token: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.call('auth', { token, tokenType: 'JWT', ...extra });
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** A plain HTTP(S) request with node:http; resolves with the whole answer. */
export function httpRequest(
  url: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string; ca?: string | Buffer } = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          });
        });
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** POST the password grant; resolves with the answer. */
export function requestToken(baseUrl: string, username: string, password: string, extra: Record<string, unknown> = {}): Promise<HttpAnswer> {
  return httpRequest(`${baseUrl}/bridge/api/client/v1/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: 'chat_bot', grant_type: 'password', username, password, ...extra }),
  });
}

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

/** A multipart/form-data body built by hand (RFC 7578). */
export function buildMultipart(parts: FormPart[], boundary = `----RawClient${Date.now().toString(16)}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) {
      head += `; filename="${p.filename}"`;
    }
    head += '\r\n';
    if (p.contentType) {
      head += `Content-Type: ${p.contentType}\r\n`;
    }
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST a multipart body to the upload endpoint with an optional Upload-Task-Id header. */
export function uploadParts(baseUrl: string, taskId: string | null, parts: FormPart[], headers: http.OutgoingHttpHeaders = {}): Promise<HttpAnswer> {
  const { body, contentType } = buildMultipart(parts);
  return httpRequest(`${baseUrl}/bridge/api/client/v1/files`, {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'Content-Length': body.length,
      ...(taskId !== null ? { 'Upload-Task-Id': taskId } : {}),
      ...headers,
    },
    body,
  });
}
