/**
 * Waiting for a file that is still arriving at the server (seed page, "Subscribe to upload
 * progress"; protocol.md §4.6). The server reports bytes received with progress events until
 * `progress` reaches the file's size; a file that is already complete gets one final event.
 *
 * Order matters: the listener is in place before `subscribeFileProgress` is sent, because the
 * first event can arrive before the subscribe answer. Both method names are listened to: the
 * seed page says `uploadingProgress`, live servers send `uploadFileProgress`.
 */
import { DisposableStore, toDisposable } from '../common/lifecycle';
import { Logger, nullLogger } from '../common/logger';
import type { RpcChannel } from './channel';
import { cancelledError, isTrueConfError, TrueConfError } from './errors';
import { isObject } from './validate';

const PROGRESS_METHODS = ['uploadFileProgress', 'uploadingProgress'] as const;

export interface UploadProgressTarget {
  fileId: string;
  name: string;
  size: number;
}

export interface UploadProgressOptions {
  signal?: AbortSignal;
  onProgress?(bytes: number, total: number): void;
  /** Give up when no progress arrives for this long. */
  stallTimeoutMs: number;
  logger?: Logger;
}

/**
 * Resolve when the server reports the whole file received, or when it declines the
 * subscription (then the caller's readiness check decides). Subscribes again after every
 * reconnect, since a new socket has no subscriptions. Listeners and timers are always released,
 * and the subscription is cancelled whatever the outcome.
 */
export function waitForUploadProgress(rpc: RpcChannel, file: UploadProgressTarget, options: UploadProgressOptions): Promise<void> {
  const { signal, stallTimeoutMs } = options;
  const logger = options.logger ?? nullLogger;
  const { fileId, size } = file;
  if (signal?.aborted) {
    return Promise.reject(cancelledError(signal.reason));
  }
  return new Promise<void>((resolve, reject) => {
    const store = new DisposableStore();
    let subscribed = false;
    let settled = false;
    let received = -1;
    let stallTimer: NodeJS.Timeout | undefined;

    const finish = (err?: unknown) => {
      if (settled) {
        return;
      }
      settled = true;
      store.dispose();
      if (subscribed) {
        rpc.request('unsubscribeFileProgress', { fileId }).catch((e: unknown) => logger.debug(`unsubscribeFileProgress for ${fileId} failed:`, e));
      }
      if (err === undefined) {
        resolve();
      } else {
        reject(err);
      }
    };

    const restartStallTimer = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => finish(stalled(file, stallTimeoutMs)), stallTimeoutMs);
    };

    const onEvent = (payload: unknown) => {
      if (!isObject(payload) || payload.fileId !== fileId || typeof payload.progress !== 'number') {
        return;
      }
      if (payload.progress > received) {
        received = payload.progress;
        restartStallTimer();
        options.onProgress?.(Math.min(received, size), size);
      }
      if (received >= size) {
        finish();
      }
    };

    const subscribe = () => {
      subscribed = true;
      rpc.request('subscribeFileProgress', { fileId }, { signal }).then(
        (answer) => {
          if (isObject(answer) && answer.result === false) {
            logger.info(`The server declined progress updates for ${fileId}; checking the file's state instead.`);
            finish();
          }
        },
        (err: unknown) => {
          if (signal?.aborted) {
            finish(cancelledError(signal.reason));
          } else if (isTrueConfError(err) && (err.kind === 'unreachable' || err.kind === 'timeout')) {
            // The connection dropped: subscribe again after the next sign-in (onDidAuthenticate).
            logger.debug(`subscribeFileProgress for ${fileId} was interrupted:`, err);
          } else {
            finish(err);
          }
        },
      );
    };

    for (const method of PROGRESS_METHODS) {
      store.add(rpc.onNotification(method, onEvent));
    }
    store.add(rpc.onDidAuthenticate(() => subscribe()));
    if (signal) {
      const onAbort = () => finish(cancelledError(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      store.add(toDisposable(() => signal.removeEventListener('abort', onAbort)));
    }
    store.add(toDisposable(() => clearTimeout(stallTimer)));
    restartStallTimer();
    subscribe();
  });
}

function stalled(file: UploadProgressTarget, stallTimeoutMs: number): TrueConfError {
  const seconds = Math.round(stallTimeoutMs / 1000);
  return new TrueConfError('fileNotReady', `"${file.name}" is still being uploaded by its sender, with no progress for ${seconds} s. Try again later.`);
}
