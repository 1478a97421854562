import * as assert from 'node:assert/strict';
import { signInThroughPalette } from './flows';
import { useHarness } from './harness';

describe('Sign in with a wrong password', () => {
  const h = useHarness({ suite: 'wrong-password' });

  it('says the user name or password is wrong and stays signed out', async () => {
    const ui = h();
    await ui.waitForStatusBarText(/^TrueConf: Sign In$/);
    await signInThroughPalette(ui, { username: 'alice', password: 'nope' });

    const message = await ui.waitForNotification(/wrong user name or password/i);
    // The sign-in progress is over: only the error stays on screen.
    await ui.waitForNotificationGone(/^Signing in to/);
    await ui.screenshot('wrong-password');
    assert.match(message, /wrong user name or password/i);

    const status = await ui.waitForStatusBarText(/^TrueConf: (?!connecting)/);
    assert.doesNotMatch(status, /alice@trueconf\.test/, 'the status bar does not say connected');
    assert.ok(
      ui.server.log.tokenRequests.some((r) => r.username === 'alice' && !r.ok),
      `the server refused a token to alice (token requests: ${JSON.stringify(ui.server.log.tokenRequests)})`,
    );
  });
});
