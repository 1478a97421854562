import * as assert from 'node:assert/strict';
import { STATUS_ENTRY_DOM_ID, useHarness } from './harness';

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

describe('Sign in from the command palette', () => {
  const h = useHarness({ suite: 'sign-in' });

  it('asks for server, user name and password, then shows the account in the status bar', async () => {
    const ui = h();
    await ui.waitForStatusBarText(/^TrueConf: Sign In$/);
    await ui.screenshot('signed-out');

    await ui.runCommand('TrueConf: Sign In');
    await ui.waitForQuickInput();
    assert.equal(
      withoutTrailingSlash(await ui.quickInputValue()),
      withoutTrailingSlash(ui.server.url),
      'the server box is prefilled with the trueconf.server setting',
    );
    await ui.screenshot('server-prefilled');

    await ui.clearQuickInput();
    await ui.typeInQuickInput('not a url');
    const message = await ui.waitForQuickInputMessage();
    assert.ok(message.length > 0);
    assert.ok(await ui.isQuickInputOpen(), 'the box stays open while the server is not a URL');
    await ui.screenshot('server-not-a-url');

    await ui.clearQuickInput();
    await ui.typeInQuickInput(ui.server.url);
    assert.equal(await ui.quickInputMessage(), '', 'a URL is accepted');
    await ui.pressEnter();

    await ui.typeInQuickInput('alice');
    await ui.screenshot('user-name');
    await ui.pressEnter();

    await ui.waitForQuickInput({ password: true });
    assert.ok(await ui.isPasswordInput(), 'the password box hides what is typed');
    await ui.typeInQuickInput('alice-pass');
    await ui.screenshot('password');
    await ui.pressEnter();

    const status = await ui.waitForStatusBarText(/TrueConf: alice@trueconf\.test/);
    // Signing in is over once its progress leaves the screen (the secrets are stored by then).
    await ui.waitForNotificationGone(/^Signing in to/);
    await ui.screenshot('signed-in');
    const entry = ui.statusBarItem(/TrueConf: alice@trueconf\.test/).first();
    assert.equal(await entry.getAttribute('id'), STATUS_ENTRY_DOM_ID, 'the status bar entry has the contract id trueconf.status');
    assert.ok((await entry.locator('.codicon').count()) > 0, 'the status text starts with an icon');
    assert.doesNotMatch(status, /\$\(/, 'the icon is rendered, not shown as $(name) text');

    const { log } = ui.server;
    assert.ok(
      log.tokenRequests.some((r) => r.username === 'alice' && r.ok),
      `the server issued a token to alice (token requests: ${JSON.stringify(log.tokenRequests)})`,
    );
    assert.ok(
      log.requests.some((r) => r.method === 'auth'),
      `the extension authenticated its WebSocket (requests: ${JSON.stringify(log.requests.map((r) => r.method))})`,
    );
  });
});
