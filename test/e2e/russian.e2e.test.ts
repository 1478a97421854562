/**
 * The extension in Russian: code-server started with `--locale ru`. VS Code's own UI stays in
 * English here (its Russian language pack cannot be downloaded on these machines; the harness
 * installs an empty one), but the extension's strings come from package.nls.ru.json (command
 * titles, the view, its welcome content, the walkthrough) and l10n/bundle.l10n.ru.json (status
 * bar, input boxes, messages) — what a Russian-speaking user with the language pack sees.
 */
import * as assert from 'node:assert/strict';
import type { Harness } from './harness';
import { useHarness } from './harness';

/**
 * A box opened from a button in the walkthrough or on a notification comes up without the
 * keyboard (the page keeps it); a person clicks into it first.
 */
async function clickIntoQuickInput(ui: Harness): Promise<void> {
  await ui.page.locator('.quick-input-widget input.input').click();
  await ui.waitForQuickInput();
}

/** Answers the three sign-in boxes (the server is prefilled from the settings), checking the Russian title. */
async function answerSignIn(ui: Harness, username: string, password: string): Promise<void> {
  await ui.waitForQuickInputTitle(/^Вход в TrueConf \(1\/3\)$/);
  await clickIntoQuickInput(ui);
  await ui.pressEnter();
  await ui.waitForQuickInputTitle(/^Вход в TrueConf \(2\/3\)$/);
  await ui.clearQuickInput();
  await ui.typeInQuickInput(username);
  await ui.pressEnter();
  await ui.waitForQuickInput({ password: true });
  await ui.typeInQuickInput(password);
  await ui.pressEnter();
}

describe('TrueConf Share in Russian (--locale ru)', () => {
  const h = useHarness({ suite: 'russian', locale: 'ru' });
  const walkthroughStep = (title: string) => h().page.locator('.part.editor .getting-started-step').filter({ hasText: title }).first();

  it('shows the status bar entry in Russian', async () => {
    const ui = h();
    await ui.waitForStatusBarText(/^TrueConf: Войти$/);
  });

  it('lists its commands in the palette under their Russian titles', async () => {
    const ui = h();
    await ui.openCommandPalette();
    await ui.page.keyboard.type('TrueConf: ');
    await ui.waitForQuickPickItem('TrueConf: Войти');
    await ui.waitForQuickPickItem('TrueConf: Показать журнал');
    await ui.screenshot('palette');
    await ui.page.keyboard.press('Escape');
  });

  it('shows the Incoming Files view and its welcome content in Russian', async () => {
    const ui = h();
    await ui.openView('TrueConf');
    const sideBar = ui.page.locator('.part.sidebar');
    await sideBar.getByText('Входящие файлы', { exact: false }).first().waitFor({ state: 'visible' });
    await sideBar.getByText(/Войдите на сервер TrueConf вашей компании/).waitFor({ state: 'visible' });
    await sideBar.locator('.welcome-view-content .monaco-button', { hasText: /^Войти$/ }).waitFor({ state: 'visible' });
    await ui.screenshot('incoming-files-view');
  });

  it('shows the getting-started walkthrough in Russian', async () => {
    const ui = h();
    await ui.runCommand('Welcome: Open Walkthrough');
    await ui.pickQuickPickItem('Начало работы с TrueConf');
    for (const title of ['Войдите в TrueConf', 'Отправьте файл в чат', 'Откройте входящие файлы']) {
      await walkthroughStep(title).waitFor({ state: 'visible' });
    }
    assert.equal(await walkthroughStep('Войдите в TrueConf').getAttribute('aria-checked'), 'false', 'the sign-in step is not done yet');
    await ui.screenshot('walkthrough');
  });

  it('signs in from the walkthrough through Russian input boxes, and says in Russian that the password is wrong', async () => {
    const ui = h();
    await walkthroughStep('Войдите в TrueConf').locator('.monaco-button', { hasText: /^Войти$/ }).click();
    // The address is checked as it is typed, in Russian too.
    await ui.waitForQuickInputTitle(/^Вход в TrueConf \(1\/3\)$/);
    await clickIntoQuickInput(ui);
    await ui.clearQuickInput();
    await ui.typeInQuickInput('ftp://video.example.com');
    assert.equal(await ui.waitForQuickInputMessage(), 'Используйте адрес http:// или https://, а не ftp://.');
    await ui.screenshot('address-check');
    await ui.clearQuickInput();
    await ui.typeInQuickInput(ui.server.url);
    await answerSignIn(ui, 'alice', 'nope');

    const message = await ui.waitForNotification(/^Неверное имя пользователя или пароль для alice на сервере /);
    await ui.screenshot('wrong-password');
    assert.match(message, /Проверьте их и войдите снова\.$/);
    await ui.waitForStatusBarText(/^TrueConf: неверный пароль$/);
  });

  it('signs in again from the message, says so in Russian, and ticks the walkthrough step', async () => {
    const ui = h();
    await ui.clickNotificationButton('Войти', { notification: /Неверное имя пользователя или пароль/ });
    await answerSignIn(ui, 'alice', 'alice-pass');

    await ui.waitForNotification(/^Вы вошли в TrueConf как alice@/);
    await ui.waitForStatusBarText(/^TrueConf: alice@/);
    await walkthroughStep('Войдите в TrueConf').and(ui.page.locator('[aria-checked="true"]')).waitFor({ state: 'visible' });
    await ui.page.locator('.part.sidebar').getByText(/Входящих файлов пока нет/).waitFor({ state: 'visible' });
    await ui.screenshot('signed-in');
  });

  it('sends the active file with its keyboard shortcut (Ctrl+Shift+Alt+T, F), asking in Russian', async () => {
    const ui = h();
    await ui.openFile('src/hello.ts');
    await ui.page.keyboard.press('Control+Shift+Alt+KeyT');
    await ui.page.keyboard.press('KeyF');
    await ui.waitForQuickInputTitle('Отправить hello.ts в…');
    await ui.screenshot('shortcut-chat-picker');
    await ui.page.keyboard.press('Escape');
  });
});
