/** Multi-step paths a person takes, shared by the e2e tests. */
import type { Harness } from './harness';

export interface Account {
  username: string;
  password: string;
  /** Defaults to what the server box is prefilled with (the `trueconf.server` setting). */
  server?: string;
}

/**
 * Runs "TrueConf: Sign In" and answers its three boxes: server (keeps the prefilled value
 * unless `server` is given), user name, password. With `screenshots`, takes one per box.
 */
export async function signInThroughPalette(ui: Harness, account: Account, { screenshots = false } = {}): Promise<void> {
  await ui.runCommand('TrueConf: Sign In');
  await ui.waitForQuickInput();
  if (account.server !== undefined) {
    await ui.clearQuickInput();
    await ui.typeInQuickInput(account.server);
  }
  if (screenshots) {
    await ui.screenshot('server');
  }
  await ui.pressEnter();
  await ui.typeInQuickInput(account.username);
  if (screenshots) {
    await ui.screenshot('user-name');
  }
  await ui.pressEnter();
  await ui.waitForQuickInput({ password: true });
  await ui.typeInQuickInput(account.password);
  if (screenshots) {
    await ui.screenshot('password');
  }
  await ui.pressEnter();
}
