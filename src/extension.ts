import * as vscode from 'vscode';
import type { Event } from './common/event';
import { registerCertificateCommands } from './commands/certificates';
import { IncomingFilesApi, registerIncomingFiles } from './commands/incoming';
import { registerSendCommands } from './commands/send';
import { registerSessionCommands } from './commands/session';
import { CertificateTrustService } from './services/certificateTrust';
import { SessionService, SessionState } from './services/connection';
import { LogService } from './services/log';
import { logShownMessages, ShownMessage, shownMessages } from './services/messages';
import { SecretsService } from './services/secrets';
import { StatusBarService } from './services/statusBar';

/**
 * What `activate` returns: `vscode.extensions.getExtension('trueconf-share.trueconf-share').exports`.
 * The integration tests observe the extension through it.
 */
export interface TrueConfShareApi {
  readonly session: {
    readonly state: SessionState;
    readonly onDidChangeState: Event<SessionState>;
  };
  readonly log: {
    /** The most recent lines of the "TrueConf" log, exactly as written there (already redacted). */
    readonly lines: readonly string[];
  };
  readonly messages: {
    /** The most recent notifications shown (each is also in the log), exactly as shown, oldest first. */
    readonly shown: readonly ShownMessage[];
  };
  readonly incomingFiles: IncomingFilesApi;
}

export function activate(context: vscode.ExtensionContext): TrueConfShareApi {
  const log = new LogService();
  context.subscriptions.push(logShownMessages(log.logger));
  // Certificates trusted per server: globalState, keyed by origin (a fingerprint is no secret).
  const trust = new CertificateTrustService(context.globalState, log);
  const session = new SessionService(new SecretsService(context.secrets), log, trust);
  const statusBar = new StatusBarService(session);
  // Disposed in this order: the UI first, the log last so closing the session can still write to it.
  context.subscriptions.push(registerSessionCommands(session, log), registerCertificateCommands(session, trust), statusBar, session, log);
  const send = registerSendCommands(context, { connection: session, logger: log.logger });
  const incomingFiles = registerIncomingFiles(context, { connection: session, logger: log.logger, send });

  // Sign back in from the stored secrets once activation has returned: activate() stays off the network.
  const restore = setTimeout(() => {
    session.restore().catch((err: unknown) => log.logger.error('Could not restore the TrueConf session:', err));
  }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(restore) });

  return {
    session: {
      get state() {
        return session.state;
      },
      onDidChangeState: session.onDidChangeState,
    },
    log: {
      get lines() {
        return log.logger.lines;
      },
    },
    messages: {
      get shown() {
        return shownMessages();
      },
    },
    incomingFiles,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
