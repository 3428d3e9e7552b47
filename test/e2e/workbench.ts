/**
 * Helpers for driving code-server's workbench in headless Chromium. The runner
 * (scripts/run-ui-tests.mjs) starts code-server with the VSIX installed and passes
 * its URL and the run's folders through the environment.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export interface UiRun {
  url: string;
  /** The folder code-server opened. */
  workspace: string;
  screenshots: string;
  /** Environment for the browser: the run's XDG folders and TMPDIR. */
  browserEnv: Record<string, string>;
  /** How Chromium is launched on these machines, as the runner defines it. */
  browser: { executablePath: string; args: string[] };
}

export function uiRun(): UiRun {
  const url = process.env.OM_UI_URL;
  if (!url) throw new Error('OM_UI_URL is not set: run the UI tests with `npm run test:e2e`');
  const screenshots = process.env.OM_UI_SCREENSHOTS ?? path.resolve('test-results', 'screenshots');
  mkdirSync(screenshots, { recursive: true });
  const browserEnv = JSON.parse(process.env.OM_UI_BROWSER_ENV ?? '{}') as Record<string, string>;
  const browser = process.env.OM_UI_BROWSER;
  if (!browser) throw new Error('OM_UI_BROWSER is not set: run the UI tests with `npm run test:e2e`');
  const workspace = process.env.OM_UI_WORKSPACE;
  if (!workspace) throw new Error('OM_UI_WORKSPACE is not set: run the UI tests with `npm run test:e2e`');
  return { url, workspace, screenshots, browserEnv, browser: JSON.parse(browser) as UiRun['browser'] };
}

export function launch(run: UiRun): Promise<Browser> {
  return chromium.launch({
    ...run.browser,
    headless: true,
    env: { ...process.env, ...run.browserEnv } as Record<string, string>,
  });
}

/** Saves a numbered screenshot of the step, for a person to look at afterwards. */
export async function snap(page: Page, run: UiRun, name: string): Promise<string> {
  const file = path.join(run.screenshots, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Runs a command from the command palette by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}
