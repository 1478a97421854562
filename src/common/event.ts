import { IDisposable, toDisposable } from './lifecycle';

/** A subscription function, shaped like VS Code's `Event<T>`, so services can pass these straight through. */
export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: IDisposable[]) => IDisposable;

/** Fires events to listeners. A throwing listener never stops the others; its error goes to `onListenerError`. */
export class Emitter<T> implements IDisposable {
  private listeners: Array<(e: T) => unknown> = [];
  private disposed = false;
  private eventFn: Event<T> | undefined;

  constructor(private readonly onListenerError: (err: unknown) => void = defaultListenerError) {}

  get event(): Event<T> {
    this.eventFn ??= (listener, thisArgs, disposables) => {
      if (this.disposed) {
        return toDisposable(() => undefined);
      }
      const bound = thisArgs === undefined ? listener : listener.bind(thisArgs);
      this.listeners.push(bound);
      const sub = toDisposable(() => {
        const i = this.listeners.indexOf(bound);
        if (i >= 0) {
          this.listeners.splice(i, 1);
        }
      });
      disposables?.push(sub);
      return sub;
    };
    return this.eventFn;
  }

  /** Number of listeners attached: used by tests that check nothing leaks. */
  get listenerCount(): number {
    return this.listeners.length;
  }

  fire(e: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners = [];
  }
}

function defaultListenerError(err: unknown): void {
  // Surface it without breaking the emitter; callers that care pass their own handler.
  queueMicrotask(() => {
    throw err;
  });
}

/** Resolves with the first event that passes `filter`, or rejects when `signal` aborts. */
export function once<T>(event: Event<T>, filter: (e: T) => boolean = () => true, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      sub.dispose();
      reject(signal?.reason);
    };
    const sub = event((e) => {
      if (filter(e)) {
        sub.dispose();
        signal?.removeEventListener('abort', onAbort);
        resolve(e);
      }
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
