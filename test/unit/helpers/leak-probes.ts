/**
 * Counting what a client holds on to (listeners, pending requests, sockets, file descriptors), so
 * a test can check it is all back where it started. Private members are reached with TypeScript's
 * bracket access, for counting only: nothing here changes the objects it looks at.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { TrueConfClient } from '../../../src/trueconf/client';
import type { FileApi } from '../../../src/trueconf/files';
import type { RpcSocket } from '../../../src/trueconf/rpc';

export type Counts = Record<string, number>;

/** Events ws and RpcSocket use; counted even when nobody listens, so a new listener shows as 0 → 1. */
const WS_EVENTS = ['message', 'close', 'error', 'pong', 'ping', 'open', 'upgrade', 'unexpected-response', 'redirect'];

/** Listener counts of the socket's `ws` object, its request emitter, and what it waits for. */
export function socketCounts(socket: RpcSocket): Counts {
  const ws = socket['ws'];
  const counts: Counts = {};
  for (const name of new Set([...WS_EVENTS, ...ws.eventNames().map(String)])) {
    counts[`ws.${name}`] = ws.listenerCount(name);
  }
  counts['socket.onRequest'] = socket['requestEmitter'].listenerCount;
  counts['socket.pending'] = socket.pendingCount;
  counts['socket.idleWaiters'] = socket['idleWaiters'].size;
  return counts;
}

/** The client's emitters, notification listeners and waiting requests, plus its current socket's counts. */
export function clientCounts(client: TrueConfClient): Counts {
  const counts: Counts = {
    'client.onDidChangeState': client['stateEmitter'].listenerCount,
    'client.onDidChangeToken': client['tokenEmitter'].listenerCount,
    'client.onDidAuthenticate': client['authEmitter'].listenerCount,
    'client.waiters': client['waiters'].size,
  };
  for (const [method, listeners] of client['notificationListeners']) {
    counts[`client.on(${method})`] = listeners.size;
  }
  const socket = client['socket'];
  return socket ? { ...counts, ...socketCounts(socket) } : counts;
}

export function fileApiCounts(files: FileApi): Counts {
  return { 'files.onDidChangeLimits': files['limitsEmitter'].listenerCount };
}

/** Open file descriptors of this process (sockets, files, pipes); undefined where /proc is missing. */
export function openFdCount(): number | undefined {
  return existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : undefined;
}

/** Records unhandled rejections and uncaught exceptions while installed. */
export interface ProcessTraps {
  readonly problems: string[];
  dispose(): void;
}

export function trapProcessErrors(): ProcessTraps {
  const problems: string[] = [];
  const onRejection = (reason: unknown) => problems.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (err: unknown) => problems.push(`uncaughtException: ${describe(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    problems,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
}
