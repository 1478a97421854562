import { formatArg, Logger, LogLevel } from './logger';
import { Redactor } from './redact';

/** Receives finished, already-redacted log lines (the extension writes them to its output channel). */
export type LogSink = (level: LogLevel, line: string) => void;

/**
 * A Logger that formats each message with its arguments, masks secrets with a `Redactor` and hands
 * the line to a sink. It remembers the last `capacity` lines: exactly what the sink received, so a
 * test can check the log for leaked secrets.
 */
export class RedactingLogger implements Logger {
  private readonly recent: string[] = [];

  constructor(
    private readonly redactor: Redactor,
    private readonly sink: LogSink,
    private readonly capacity = 2000,
  ) {}

  /** The most recent lines, oldest first, as the sink received them. */
  get lines(): readonly string[] {
    return this.recent;
  }

  trace(message: string, ...args: unknown[]): void {
    this.write('trace', message, args);
  }

  debug(message: string, ...args: unknown[]): void {
    this.write('debug', message, args);
  }

  info(message: string, ...args: unknown[]): void {
    this.write('info', message, args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.write('warn', message, args);
  }

  error(message: string | Error, ...args: unknown[]): void {
    this.write('error', message instanceof Error ? message.message : message, args);
  }

  private write(level: LogLevel, message: string, args: unknown[]): void {
    const line = this.redactor.redact([message, ...args.map(formatArg)].join(' '));
    this.recent.push(line);
    if (this.recent.length > this.capacity) {
      this.recent.shift();
    }
    this.sink(level, line);
  }
}
