/**
 * A local HTTP server whose answers a test scripts request by request, for the download
 * edge cases the fake TrueConf server has no switch for (ranges, validators, odd statuses).
 */
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ScriptedServer {
  url: string;
  /** Headers of every request received, in order. */
  requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Answer the n-th request with `handlers[n]`; requests beyond the script get a 599. */
export async function scriptedServer(handlers: Handler[]): Promise<ScriptedServer> {
  const requests: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    const handler = handlers[requests.length];
    requests.push(req.headers);
    if (handler) {
      handler(req, res);
    } else {
      res.writeHead(599).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bridge/api/client/v1/files/f1?token=secret`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Send headers claiming the whole body, write only `upTo` bytes of it, then cut the connection
 * — once `cut` resolves, if given (e.g. when the client has stored some bytes), else at once.
 */
export function cutAfter(body: Buffer, upTo: number, headers: Record<string, string> = {}, cut?: Promise<void>): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream', ...headers });
    res.write(body.subarray(0, upTo), () => {
      void (cut ?? Promise.resolve()).then(() => res.socket?.destroy());
    });
  };
}

/** Answer with the whole body, or the part a `Range: bytes=N-` header asks for. */
export function serve(body: Buffer, headers: Record<string, string> = {}): Handler {
  return (req, res) => {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      res.writeHead(206, {
        'Content-Length': String(body.length - start),
        'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'Content-Type': 'application/octet-stream',
        ...headers,
      });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream', ...headers });
    res.end(body);
  };
}
