import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, Settings } from '../constants';
import type { Credentials, SessionService } from '../services/connection';
import { describeFailure, Fixes, hostOf, offerFixes, runFix, showFailure } from '../services/errors';
import type { LogService } from '../services/log';
import type { Account } from '../services/secrets';
import { configuredValues, setCaFile } from '../services/settings';
import { fixesForState, statusSummary } from '../services/statusBar';
import { parseServerAddress, ServerAddressError } from '../trueconf/endpoints';
import { TrueConfError } from '../trueconf/errors';
import { showErrorMessage, showInformationMessage } from '../services/messages';

const SESSION_COMMAND_IDS = [
  Commands.signIn,
  Commands.signOut,
  Commands.reconnect,
  Commands.showLog,
  Commands.chooseCaFile,
  Commands.showSessionMenu,
] as const;

/** Sign in, sign out, reconnect, the log, the CA file and the session menu behind the status bar item. */
export function registerSessionCommands(session: SessionService, log: LogService): vscode.Disposable {
  const handlers: Record<(typeof SESSION_COMMAND_IDS)[number], (arg?: unknown) => unknown> = {
    [Commands.signIn]: (arg) => signIn(session, arg),
    [Commands.signOut]: () => signOut(session),
    [Commands.reconnect]: () => reconnect(session),
    [Commands.showLog]: () => log.show(),
    [Commands.chooseCaFile]: () => chooseCaFile(session),
    [Commands.showSessionMenu]: () => showSessionMenu(session),
  };
  return vscode.Disposable.from(
    ...SESSION_COMMAND_IDS.map((id) => vscode.commands.registerCommand(id, handlers[id])),
    session.onDidFail(({ error, context }) => void showFailure(error, context)),
  );
}

/**
 * With `{ server, username, password }` (executeCommand from tests, scripts, CI) it signs in
 * without asking and rejects with a readable error. Otherwise it asks, prefilled from the
 * argument's `server`/`username` (a failure's "Sign In" button) or from the settings.
 */
async function signIn(session: SessionService, arg: unknown): Promise<void> {
  if (isCredentials(arg)) {
    try {
      await session.signIn(arg);
    } catch (err) {
      if (err instanceof TrueConfError) {
        const context = { account: attemptedAccount(arg), signedIn: session.isSignedIn };
        throw new TrueConfError(err.kind, describeFailure(err, context).message, { cause: err });
      }
      throw err;
    }
    return;
  }
  const prefill = isObject(arg) ? arg : {};
  const settings = configuredValues();
  const credentials = await askCredentials({
    server: typeof prefill.server === 'string' ? prefill.server : settings.server,
    username: typeof prefill.username === 'string' ? prefill.username : settings.username,
  });
  if (!credentials) {
    return;
  }
  const account = attemptedAccount(credentials);
  try {
    const userId = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Signing in to {0} as {1}…', hostOf(account.server), account.username),
        cancellable: true,
      },
      async (_progress, token) => {
        const abort = new AbortController();
        const onCancel = token.onCancellationRequested(() => abort.abort());
        try {
          return await session.signIn(credentials, abort.signal);
        } finally {
          onCancel.dispose();
        }
      },
    );
    void showInformationMessage(vscode.l10n.t('Signed in to TrueConf as {0}.', userId));
  } catch (err) {
    if (err instanceof TrueConfError) {
      if (err.kind !== 'cancelled') {
        void showFailure(err, { account, signedIn: session.isSignedIn });
      }
    } else {
      void showErrorMessage(vscode.l10n.t('Could not sign in to TrueConf: {0}', err instanceof Error ? err.message : String(err)));
    }
  }
}

async function signOut(session: SessionService): Promise<void> {
  const account = session.isSignedIn ? session.account : undefined;
  await session.signOut();
  void showInformationMessage(
    account
      ? vscode.l10n.t('Signed out of {0}. Your TrueConf password and token are deleted from VS Code.', hostOf(account.server))
      : vscode.l10n.t('You are not signed in to TrueConf.'),
  );
}

async function reconnect(session: SessionService): Promise<void> {
  if (!session.isSignedIn) {
    void offerFixes('info', vscode.l10n.t('You are not signed in to TrueConf.'), [Fixes.signIn()]);
    return;
  }
  await session.reconnect();
}

/**
 * Lets the user pick a PEM file and puts it in `trueconf.tls.caFile`. A signed-in session
 * reconnects with it by itself; otherwise signing in comes next.
 */
async function chooseCaFile(session: SessionService): Promise<void> {
  const current = vscode.workspace.getConfiguration(Settings.section).get<string>(Settings.tlsCaFile, '');
  const picked = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Choose the certificate authority (PEM) that issued your TrueConf Server\'s certificate'),
    openLabel: vscode.l10n.t('Use This CA File'),
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: current ? vscode.Uri.file(path.dirname(current)) : undefined,
    filters: { [vscode.l10n.t('Certificates')]: ['pem', 'crt', 'cer'], [vscode.l10n.t('All Files')]: ['*'] },
  });
  if (!picked?.[0]) {
    return;
  }
  await setCaFile(picked[0].fsPath);
  if (!session.isSignedIn) {
    await runFix(Fixes.signIn(session.account));
  }
}

/** What clicking the status bar item opens: the state in the title, the fixes that apply below. */
async function showSessionMenu(session: SessionService): Promise<void> {
  const context = session.failureContext;
  const items = fixesForState(session.state, context).map((fix) => ({ label: fix.title, fix }));
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('TrueConf: {0}', statusSummary(session.state, context.account)),
    placeHolder: vscode.l10n.t('Choose what to do'),
  });
  if (picked) {
    await runFix(picked.fix);
  }
}

// ---- asking for the credentials -------------------------------------------------------------

const BACK = Symbol('back');

interface Step {
  readonly step: number;
  readonly value: string;
  readonly prompt: string;
  readonly placeholder?: string;
  readonly password?: boolean;
  /** A message saying what is wrong, or undefined when the value is fine. */
  validate(value: string): string | undefined;
}

/** Three boxes (server, user name, password), validated as the user types, with a Back button. */
async function askCredentials(initial: { server: string; username: string }): Promise<Credentials | undefined> {
  const values = { server: initial.server, username: initial.username, password: '' };
  const steps: Array<() => Step & { key: keyof typeof values }> = [
    () => ({
      key: 'server',
      step: 1,
      value: values.server,
      prompt: vscode.l10n.t('The address of your TrueConf Server'),
      placeholder: 'https://video.example.com',
      validate: validateServer,
    }),
    () => ({
      key: 'username',
      step: 2,
      value: values.username,
      prompt: vscode.l10n.t('Your user name on {0}', hostOf(values.server)),
      placeholder: vscode.l10n.t('user name, or login@server'),
      validate: validateUsername,
    }),
    () => ({
      key: 'password',
      step: 3,
      value: '',
      password: true,
      prompt: vscode.l10n.t('The password of {0} on {1}. VS Code keeps it in its secret storage.', values.username, hostOf(values.server)),
      validate: (value) => (value ? undefined : vscode.l10n.t('Enter your password.')),
    }),
  ];
  for (let i = 0; i < steps.length; ) {
    const step = steps[i]();
    const answer = await ask(step, steps.length);
    if (answer === undefined) {
      return undefined;
    }
    if (answer === BACK) {
      i--;
      continue;
    }
    values[step.key] = step.key === 'password' ? answer : answer.trim();
    i++;
  }
  return values;
}

function ask(step: Step, totalSteps: number): Promise<string | typeof BACK | undefined> {
  const box = vscode.window.createInputBox();
  box.title = vscode.l10n.t('Sign In to TrueConf');
  box.step = step.step;
  box.totalSteps = totalSteps;
  box.value = step.value;
  box.prompt = step.prompt;
  box.placeholder = step.placeholder;
  box.password = step.password ?? false;
  // Switching to a password manager must not lose what was typed.
  box.ignoreFocusOut = true;
  box.buttons = step.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  // An empty box is not an error yet: it says so when the user tries to go on.
  const check = (value: string) => (value ? step.validate(value) : undefined);
  box.validationMessage = check(box.value);
  return new Promise((resolve) => {
    const listeners: vscode.Disposable[] = [];
    const finish = (result: string | typeof BACK | undefined) => {
      listeners.forEach((l) => l.dispose());
      box.dispose();
      resolve(result);
    };
    listeners.push(
      box.onDidChangeValue((value) => {
        box.validationMessage = check(value);
      }),
      box.onDidAccept(() => {
        const problem = step.validate(box.value);
        if (problem) {
          box.validationMessage = problem;
        } else {
          finish(box.value);
        }
      }),
      box.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) {
          finish(BACK);
        }
      }),
      box.onDidHide(() => finish(undefined)),
    );
    box.show();
  });
}

function validateServer(value: string): string | undefined {
  try {
    parseServerAddress(value);
    return undefined;
  } catch (err) {
    return err instanceof ServerAddressError ? describeAddressProblem(err) : err instanceof Error ? err.message : String(err);
  }
}

/** ServerAddressError's message, in the user's language. */
function describeAddressProblem(err: ServerAddressError): string {
  switch (err.problem) {
    case 'empty':
      return vscode.l10n.t('Enter the address of your TrueConf Server, for example https://video.example.com');
    case 'spaces':
      return vscode.l10n.t('The server address cannot contain spaces.');
    case 'scheme':
      return vscode.l10n.t('Use an http:// or https:// address, not {0}://.', err.subject);
    case 'noHost':
      return vscode.l10n.t('The server address needs a host name.');
    case 'credentials':
      return vscode.l10n.t('Do not put a user name or password in the server address.');
    case 'path':
      return vscode.l10n.t('Enter only the server address, without a path, for example https://video.example.com');
    case 'invalid':
      return vscode.l10n.t('"{0}" is not a valid server address. Example: https://video.example.com', err.subject);
  }
}

function validateUsername(value: string): string | undefined {
  const name = value.trim();
  if (!name) {
    return vscode.l10n.t('Enter your TrueConf user name.');
  }
  if (/\s/.test(name)) {
    return vscode.l10n.t('A TrueConf user name has no spaces.');
  }
  return undefined;
}

// ---- helpers --------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isCredentials(value: unknown): value is Credentials {
  return isObject(value) && typeof value.server === 'string' && typeof value.username === 'string' && typeof value.password === 'string';
}

/** The account a sign-in is for, as the session will store it (the server's normalised origin). */
function attemptedAccount(credentials: { server: string; username: string }): Account {
  let server = credentials.server.trim();
  try {
    server = parseServerAddress(server).origin;
  } catch {
    // Shown as typed; the sign-in itself reports the address problem.
  }
  return { server, username: credentials.username.trim() };
}
