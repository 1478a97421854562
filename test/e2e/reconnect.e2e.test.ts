import { signInThroughPalette } from './flows';
import { useHarness } from './harness';

describe('Losing the connection', () => {
  const h = useHarness({ suite: 'reconnect' });

  it('shows "reconnecting" in the status bar, then reconnects by itself', async () => {
    const ui = h();
    await ui.waitForStatusBarText(/^TrueConf: Sign In$/);
    await signInThroughPalette(ui, { username: 'alice', password: 'alice-pass' });
    await ui.waitForStatusBarText(/TrueConf: alice@trueconf\.test/);
    await ui.screenshot('connected');

    ui.server.faults.dropAllSockets();
    await ui.waitForStatusBarText(/reconnecting/i);
    await ui.screenshot('reconnecting');

    await ui.waitForStatusBarText(/TrueConf: alice@trueconf\.test/, { timeout: 60_000 });
    await ui.screenshot('reconnected');
  });
});
