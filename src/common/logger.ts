/**
 * The logging surface the TrueConf client writes to. The extension backs it with a
 * VS Code LogOutputChannel; tests back it with an array. Every message passes through
 * `redact` before it is written, so secrets never reach a log.
 */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export const nullLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** A logger that keeps every line: for tests and for scanning output for leaked secrets. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: LogLevel; text: string }> = [];
  trace(message: string, ...args: unknown[]): void {
    this.push('trace', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.push('debug', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.push('info', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.push('warn', message, args);
  }
  error(message: string | Error, ...args: unknown[]): void {
    this.push('error', message instanceof Error ? message.message : message, args);
  }
  get text(): string {
    return this.lines.map((l) => `[${l.level}] ${l.text}`).join('\n');
  }
  private push(level: LogLevel, message: string, args: unknown[]): void {
    this.lines.push({ level, text: [message, ...args.map(formatArg)].join(' ') });
  }
}

export function formatArg(arg: unknown): string {
  if (arg instanceof Error) {
    return arg.message;
  }
  if (typeof arg === 'string') {
    return arg;
  }
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}
