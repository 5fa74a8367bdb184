import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots of every view, and of any failing test, land here (kept by CI as artefacts). */
export const ARTEFACTS = path.resolve(process.env.FERRY_TEST_ARTEFACTS ?? '.test-runtime/artefacts');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does, or set CHROMIUM_PATH.`);
  }
  mkdirSync(ARTEFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/**
 * A fresh tab (its own sessionStorage) that records what the page would hide from a test: script
 * errors, dialogs (an injected alert) and console errors, including CSP violations.
 */
export async function openTab(browser: Browser, viewport = { width: 1280, height: 800 }) {
  const context: BrowserContext = await browser.newContext({ viewport });
  const page: Page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return {
    page,
    problems,
    async screenshot(name: string) {
      await page.screenshot({ path: path.join(ARTEFACTS, `${name}.png`), fullPage: true });
    },
    close: () => context.close(),
  };
}

/** Runs a browser step; on failure saves a screenshot named after it before failing. */
export async function step<T>(tab: { screenshot(name: string): Promise<void> }, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    await tab.screenshot(`FAILED-${name}`).catch(() => undefined);
    throw error;
  }
}

/** Signs the tab in with a token through the console's sign-in form. */
export async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
}
