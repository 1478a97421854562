import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { Commands, Settings } from '../../src/constants';
import { ourExtension } from './helpers';

/** The command ids design.md promises; more commands are welcome, these stay. */
const CONTRACT_COMMANDS = [
  'trueconf.signIn',
  'trueconf.signOut',
  'trueconf.reconnect',
  'trueconf.sendActiveFile',
  'trueconf.sendSelection',
  'trueconf.sendFiles',
  'trueconf.openIncomingFile',
  'trueconf.saveIncomingFileAs',
  'trueconf.refreshIncomingFiles',
  'trueconf.showLog',
];

function contributedCommands(): { command: string; category?: string }[] {
  return (ourExtension().packageJSON as { contributes: { commands: { command: string; category?: string }[] } }).contributes.commands;
}

describe('TrueConf Share in a real VS Code', () => {
  before(async function () {
    this.timeout(60_000);
    await ourExtension().activate();
  });

  it('activates', () => {
    assert.equal(ourExtension().isActive, true);
  });

  it('registers every command in src/constants.ts', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = Object.values(Commands).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], 'commands in src/constants.ts that are not registered');
  });

  it('registers every command it contributes', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributedCommands()
      .map((c) => c.command)
      .filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], 'commands in package.json that are not registered');
  });

  it('contributes the design contract commands, in the TrueConf category', () => {
    const byId = new Map(contributedCommands().map((c) => [c.command, c]));
    for (const id of CONTRACT_COMMANDS) {
      assert.equal(byId.get(id)?.category, 'TrueConf', `${id} is contributed in the TrueConf category`);
    }
  });

  it('contributes the contract settings with their defaults', () => {
    const config = vscode.workspace.getConfiguration(Settings.section);
    const defaults: Record<string, unknown> = {
      [Settings.server]: '',
      [Settings.username]: '',
      [Settings.tlsCaFile]: '',
      [Settings.tlsRejectUnauthorized]: true,
      [Settings.selectionSendAs]: 'file',
      [Settings.notificationsNewFiles]: 'whenHidden',
      [Settings.downloadMaxSizeMB]: 100,
    };
    for (const [key, expected] of Object.entries(defaults)) {
      assert.deepEqual(config.inspect(key)?.defaultValue, expected, `default of ${Settings.section}.${key}`);
    }
  });
});
