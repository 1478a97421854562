import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../common/lifecycle';
import { Redactor } from '../common/redact';
import { RedactingLogger } from '../common/redactingLogger';
import { LOG_CHANNEL_NAME } from '../constants';

/**
 * The "TrueConf" log output channel. Everything reaches it through `logger`, which masks the
 * password and token it has been told about (`keepSecret`), any JWT and download-URL queries.
 */
export class LogService extends Disposable {
  private readonly redactor = new Redactor();
  private readonly channel: vscode.LogOutputChannel;
  readonly logger: RedactingLogger;

  constructor() {
    super();
    this.channel = this._register(vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true }));
    const channel = this.channel;
    // Services disposed after the log may still say goodbye; those lines go nowhere.
    let open = true;
    this._register(toDisposable(() => (open = false)));
    this.logger = new RedactingLogger(this.redactor, (level, line) => {
      if (open) {
        channel[level](line);
      }
    });
  }

  /** Mask this value wherever it appears in the log from now on (a password, a token). */
  keepSecret(secret: string | undefined): void {
    this.redactor.addSecret(secret);
  }

  show(): void {
    this.channel.show();
  }
}
