import * as vscode from 'vscode';
import { SecretKeys } from '../constants';
import type { TokenInfo } from '../trueconf/token';

/** Whose credentials: the server's normalised origin and the user name as typed. */
export interface Account {
  readonly server: string;
  readonly username: string;
}

export function sameAccount(a: Account | undefined, b: Account | undefined): boolean {
  return a !== undefined && b !== undefined && a.server === b.server && a.username === b.username;
}

/**
 * The password and current token of an account, kept in VS Code's SecretStorage and nowhere else.
 * Operations run one after another, so a token saved late can never bring back an entry that a
 * sign-out has just deleted.
 */
export class SecretsService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: vscode.SecretStorage) {}

  /** Fires with the key of an entry changed here or in another VS Code window. */
  get onDidChange(): vscode.Event<vscode.SecretStorageChangeEvent> {
    return this.storage.onDidChange;
  }

  isPasswordKey(key: string, account: Account): boolean {
    return key === SecretKeys.password(account.server, account.username);
  }

  getPassword(account: Account): Promise<string | undefined> {
    return this.run(() => this.storage.get(SecretKeys.password(account.server, account.username)));
  }

  /** The stored token, or undefined when there is none or it is unreadable. */
  getToken(account: Account): Promise<TokenInfo | undefined> {
    return this.run(async () => parseToken(await this.storage.get(SecretKeys.token(account.server, account.username))));
  }

  storePassword(account: Account, password: string): Promise<void> {
    return this.run(() => this.storage.store(SecretKeys.password(account.server, account.username), password));
  }

  storeToken(account: Account, token: TokenInfo): Promise<void> {
    const value = JSON.stringify({ accessToken: token.accessToken, expiresAt: token.expiresAt });
    return this.run(() => this.storage.store(SecretKeys.token(account.server, account.username), value));
  }

  delete(account: Account): Promise<void> {
    return this.run(async () => {
      await this.storage.delete(SecretKeys.token(account.server, account.username));
      await this.storage.delete(SecretKeys.password(account.server, account.username));
    });
  }

  private run<T>(operation: () => Thenable<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function parseToken(text: string | undefined): TokenInfo | undefined {
  if (!text) {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<TokenInfo> | null;
    return typeof value?.accessToken === 'string' && typeof value.expiresAt === 'number'
      ? { accessToken: value.accessToken, expiresAt: value.expiresAt }
      : undefined;
  } catch {
    return undefined;
  }
}
