// Debian's Chromium, driven by playwright-core (never `npx playwright install`: no downloads here).
import * as fs from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Flags that work on these machines (root, no GPU, no network beyond npm and Debian). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Options for playwright-core's `chromium.launch()`; throws naming the Debian package if absent. */
export function chromiumLaunchOptions({ headless = true } = {}) {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install the Debian package chromium ` +
        '(apt-get update && apt-get install -y chromium), or set CHROMIUM_PATH.',
    );
  }
  return { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless };
}

/**
 * Opens VS Code's workbench at `url` in a playwright `page` and waits until it is on screen:
 * the workbench and its status bar are visible.
 */
export async function openWorkbench(page, url, { timeoutMs = 90_000 } = {}) {
  await page.goto(url, { timeout: timeoutMs });
  try {
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
    await page.locator('#workbench\\.parts\\.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  } catch (error) {
    throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for VS Code's workbench at ${url}`, { cause: error });
  }
}
