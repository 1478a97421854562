import type { IDisposable } from '../common/lifecycle';
import type { Event } from '../common/event';
import type { RequestFrame } from './types';

export interface RequestOptions {
  /** Abort the wait for the answer (the request may still have reached the server). */
  signal?: AbortSignal;
  /** Per-request timeout; the client's default applies when omitted. */
  timeoutMs?: number;
  /**
   * Retry once after re-authentication when the server answers errorCode 203 (token expired).
   * Default true. Requests that must not be repeated (for example `sendFile`, whose temporal
   * id is single-use) can still retry safely on 203 because the server refused them.
   */
  retryOnExpiredToken?: boolean;
}

/**
 * The request/notification surface of a signed-in connection. `TrueConfClient` implements it;
 * the chat and file APIs are written against it only, so they are testable on their own.
 */
export interface RpcChannel {
  /**
   * Send a request and resolve with the response payload. A non-zero `errorCode` rejects with a
   * TrueConfError (see errors.ts). While the client is reconnecting the request waits (bounded in
   * number and time) and is sent after the next successful auth.
   */
  request<T = unknown>(method: string, payload?: unknown, options?: RequestOptions): Promise<T>;
  /** Listen to a server notification (type 1) by method name. It has already been acked. */
  onNotification(method: string, listener: (payload: unknown, frame: RequestFrame) => void): IDisposable;
  /** Fires after every successful (re)authentication on a new socket. */
  readonly onDidAuthenticate: Event<{ userId: string; reconnected: boolean }>;
}
