/**
 * The reference for the round-trip figure: the least a client of the chatbot API can do —
 * a token over HTTP, one WebSocket, `auth`, then requests matched to answers by id (server
 * requests are acked, as the protocol requires). No validation, logging or bookkeeping.
 */
import { request } from 'node:http';
import WebSocket from 'ws';

export interface RawSession {
  request(method: string, payload: unknown): Promise<unknown>;
  close(): void;
}

function fetchToken(serverUrl: string, username: string, password: string): Promise<string> {
  const body = JSON.stringify({ client_id: 'chat_bot', grant_type: 'password', username, password });
  return new Promise((resolve, reject) => {
    const req = request(`${serverUrl}/bridge/api/client/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { access_token?: string };
        if (typeof answer.access_token === 'string') {
          resolve(answer.access_token);
        } else {
          reject(new Error(`token request failed: HTTP ${res.statusCode}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function openRawSession(serverUrl: string, username: string, password: string): Promise<RawSession> {
  const token = await fetchToken(serverUrl, username, password);
  const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/websocket/chat_bot/`, ['json.v1'], { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pending = new Map<number, (payload: unknown) => void>();
  let lastId = 0;
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: number; id: number; payload?: unknown };
    if (frame.type === 1) {
      ws.send(JSON.stringify({ type: 2, id: frame.id }));
    } else if (frame.type === 2) {
      const answer = pending.get(frame.id);
      pending.delete(frame.id);
      answer?.(frame.payload);
    }
  });
  const session: RawSession = {
    request(method, payload) {
      const id = ++lastId;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ type: 1, id, method, payload }));
      });
    },
    close() {
      ws.close(1000);
    },
  };
  const auth = (await session.request('auth', { token, tokenType: 'JWT', receiveUnread: false, receiveSystemMessageEnvelopes: false })) as {
    userId?: string;
    errorCode?: number;
  };
  if (!auth.userId) {
    throw new Error(`auth failed: ${JSON.stringify(auth)}`);
  }
  return session;
}
