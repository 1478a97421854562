import { useHarness } from './harness';

describe('TrueConf commands in the command palette', () => {
  const h = useHarness({ suite: 'palette' });

  it('lists the signed-out TrueConf commands when a person types "TrueConf"', async () => {
    const ui = h();
    await ui.openCommandPalette();
    await ui.typeInQuickInput('TrueConf: ');
    // Signed out: sending is hidden until a person signs in.
    for (const title of ['TrueConf: Sign In', 'TrueConf: Show Log']) {
      await ui.waitForQuickPickItem(title);
    }
    await ui.screenshot('trueconf-commands');
    await ui.page.keyboard.press('Escape');
  });

  it('"TrueConf: Show Log" shows the TrueConf output channel', async () => {
    const ui = h();
    await ui.runCommand('TrueConf: Show Log');
    await ui.waitForOutputChannel('TrueConf');
    await ui.screenshot('log');
  });
});
