import * as vscode from 'vscode';
import { Commands } from './constants';

export function activate(context: vscode.ExtensionContext): void {
  const notYet = (name: string) => () =>
    vscode.window.showInformationMessage(`TrueConf: ${name} is not available in this build yet.`);
  for (const [name, id] of Object.entries(Commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, notYet(name)));
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
