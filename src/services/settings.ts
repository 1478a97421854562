import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Settings } from '../constants';
import { parseServerAddress } from '../trueconf/endpoints';
import { CaFileError } from './errors';
import type { Account } from './secrets';

/** The TLS settings and, when a CA file is set, its contents. */
export interface TlsSettings {
  readonly caFile: string;
  readonly ca?: string;
  readonly rejectUnauthorized: boolean;
}

function configuration(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(Settings.section);
}

/** True when a configuration change touches the server, the user name, TLS or the request timeout. */
export function affectsConnection(e: vscode.ConfigurationChangeEvent): boolean {
  return [Settings.server, Settings.username, 'tls', Settings.requestTimeoutSeconds].some((key) =>
    e.affectsConfiguration(`${Settings.section}.${key}`),
  );
}

/** Default, smallest and largest value of `trueconf.requestTimeoutSeconds` (package.json says the same). */
const REQUEST_TIMEOUT_SECONDS = { default: 30, min: 5, max: 600 };

/**
 * How long a request to the server may go unanswered (`trueconf.requestTimeoutSeconds`), in ms.
 * It also bounds the sign-in token request and `auth`.
 */
export function requestTimeoutMs(): number {
  const seconds = configuration().get<number>(Settings.requestTimeoutSeconds, REQUEST_TIMEOUT_SECONDS.default);
  const valid = typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : REQUEST_TIMEOUT_SECONDS.default;
  return Math.min(REQUEST_TIMEOUT_SECONDS.max, Math.max(REQUEST_TIMEOUT_SECONDS.min, valid)) * 1000;
}

/** `trueconf.server` and `trueconf.username` as typed, for prefilling the sign-in boxes. */
export function configuredValues(): { server: string; username: string } {
  const config = configuration();
  return {
    server: config.get<string>(Settings.server, '').trim(),
    username: config.get<string>(Settings.username, '').trim(),
  };
}

/**
 * The account the settings name, or undefined when the server or user name is not set.
 * Throws ServerAddressError when the server setting is not a valid address.
 */
export function configuredAccount(): Account | undefined {
  const { server, username } = configuredValues();
  if (!server || !username) {
    return undefined;
  }
  return { server: parseServerAddress(server).origin, username };
}

/** Remember a successful sign-in in the user settings, so the next start signs in by itself. */
export async function saveAccount(account: Account): Promise<void> {
  const config = configuration();
  await config.update(Settings.server, account.server, vscode.ConfigurationTarget.Global);
  await config.update(Settings.username, account.username, vscode.ConfigurationTarget.Global);
}

export function setCaFile(file: string): Thenable<void> {
  return configuration().update(Settings.tlsCaFile, file, vscode.ConfigurationTarget.Global);
}

/** The TLS settings as set, without reading the CA file. */
function tlsSettingValues(): { caFile: string; rejectUnauthorized: boolean } {
  const config = configuration();
  return {
    caFile: config.get<string>(Settings.tlsCaFile, '').trim(),
    rejectUnauthorized: config.get<boolean>(Settings.tlsRejectUnauthorized, true),
  };
}

/** True when the TLS settings still say what they said when `tls` was read. */
export function tlsSettingsUnchanged(tls: TlsSettings): boolean {
  const now = tlsSettingValues();
  return now.caFile === tls.caFile && now.rejectUnauthorized === tls.rejectUnauthorized;
}

export function sameTls(a: TlsSettings, b: TlsSettings): boolean {
  return a.caFile === b.caFile && a.ca === b.ca && a.rejectUnauthorized === b.rejectUnauthorized;
}

/** Read the TLS settings and the CA file they name. Throws CaFileError when that file cannot be used. */
export async function readTlsSettings(): Promise<TlsSettings> {
  const { caFile, rejectUnauthorized } = tlsSettingValues();
  if (!caFile) {
    return { caFile, rejectUnauthorized };
  }
  const file = caFile.startsWith('~') ? path.join(os.homedir(), caFile.slice(1)) : caFile;
  let ca: string;
  try {
    ca = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? vscode.l10n.t('the file does not exist') : code === 'EACCES' ? vscode.l10n.t('permission denied') : String((err as Error).message);
    throw new CaFileError(caFile, reason, err);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CaFileError(caFile, vscode.l10n.t('it contains no PEM certificate'));
  }
  return { caFile, ca, rejectUnauthorized };
}
