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

export interface ChatPickerAnswers {
  /** The title of the chat to pick; typed into the picker's filter, then its row is clicked. */
  chat: string;
  /** What is being sent, as the picker's title names it: `hello.ts`, `2 files`. Checked when given. */
  what?: string;
  /** The caption to send: replaces the suggestion; '' sends none. Left out, the suggestion (if any) is kept. */
  caption?: string;
  /** Take a screenshot of the picker and of the caption box. */
  screenshots?: boolean;
}

/**
 * Answers the questions of "send to a chat" (after a send command or menu item): in the chat
 * picker, types the chat's title and picks it; in the caption box, keeps or replaces the
 * caption and presses Enter. Returns the caption the box suggested ('' for none).
 */
export async function answerChatPicker(ui: Harness, answers: ChatPickerAnswers): Promise<string> {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const what = answers.what !== undefined ? escape(answers.what) : '.+';
  await ui.waitForQuickInputTitle(new RegExp(`^Send ${what} to…$`));
  await ui.typeInQuickInput(answers.chat);
  await ui.waitForQuickPickItem(answers.chat);
  if (answers.screenshots) {
    await ui.screenshot('chat-picker');
  }
  await ui.pickQuickPickItem(answers.chat);

  await ui.waitForQuickInputTitle(new RegExp(`^Send ${what} to ${escape(answers.chat)}$`));
  await ui.waitForQuickInput();
  const suggested = await ui.quickInputValue();
  if (answers.caption !== undefined && answers.caption !== suggested) {
    if (suggested !== '') {
      await ui.clearQuickInput();
    }
    if (answers.caption !== '') {
      await ui.typeInQuickInput(answers.caption);
    }
  }
  if (answers.screenshots) {
    await ui.screenshot('caption');
  }
  await ui.pressEnter();
  return suggested;
}
