/**
 * Helpers for driving code-server's workbench in headless Chromium. The runner
 * (scripts/run-ui-tests.mjs) starts code-server with the VSIX installed and passes
 * its URL and the run's folders through the environment.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Sandbox } from '../../src/sandbox';

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

/** config/common.json of a rehearsal against `sandbox`: the emulator, both memory servers, relaxed latency targets. */
function rehearsalConfig(sandbox: Sandbox, projectId: string): string {
  return JSON.stringify({
    projectId,
    gcp: { emulator: true },
    endpoints: { memory: sandbox.urls.memory, gcpEmulator: sandbox.urls.gcp },
    phases: { memorySystem: { targetEndpoint: sandbox.urls.memoryTarget }, validation: { samples: 3 } },
    validation: { targets: { memoryReadMs: 2000, apiMs: 2000 } },
  });
}

/** The opened folder as a rehearsal needs it: the demo API's source in api/ and the rehearsal's config. */
export async function rehearsalWorkspace(run: UiRun, sandbox: Sandbox, projectId: string): Promise<void> {
  await cp(path.resolve(__dirname, '../../demo/api'), path.join(run.workspace, 'api'), { recursive: true });
  await mkdir(path.join(run.workspace, 'config'), { recursive: true });
  await writeFile(path.join(run.workspace, 'config', 'common.json'), rehearsalConfig(sandbox, projectId));
}

/** Chromium on the workbench, loaded: the page waits `stuckMs` at most for anything. */
export async function openWorkbench(
  run: UiRun,
  viewport: { width: number; height: number },
  stuckMs: number,
): Promise<{ browser: Browser; page: Page }> {
  const browser = await launch(run);
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(stuckMs);
  await page.goto(run.url);
  await page.locator('.monaco-workbench').waitFor();
  return { browser, page };
}

/** Saves a numbered screenshot of the step, for a person to look at afterwards. */
export async function snap(page: Page, run: UiRun, name: string): Promise<string> {
  const file = path.join(run.screenshots, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** What covers the workbench just now (a modal dialog, a context menu), for an error message. */
async function blocking(page: Page): Promise<string> {
  const dialog = page.locator('.monaco-dialog-box');
  if (await dialog.isVisible()) return `a dialog is open: ${(await dialog.innerText()).replace(/\s+/g, ' ')}`;
  if (await page.locator('.context-view .monaco-menu').isVisible()) return 'a context menu is open';
  return 'nothing covers the workbench';
}

/**
 * Runs a command from the command palette by its title. Keys pressed while a webview's frame
 * has the focus reach the workbench only through the webview's message channel, and a quick
 * input closes when something takes the focus: so the focus goes back to the workbench first,
 * and a palette that did not open, or closed before Enter, is opened again until `timeoutMs`.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 120_000): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const input = await openPalette(page, Math.max(1_000, deadline - Date.now()));
      const step = Math.max(1_000, Math.min(15_000, deadline - Date.now()));
      await input.fill(`>${title}`, { timeout: step });
      await row.waitFor({ timeout: Math.max(1_000, deadline - Date.now()) });
      if (!(await input.isVisible())) throw new Error('the palette closed before Enter');
      await page.keyboard.press('Enter');
      return;
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(
          `the command palette did not run "${title}" in ${attempt} attempt(s) (${await blocking(page)}): ${(error as Error).message}`,
        );
      }
      const input = page.locator('.quick-input-widget .quick-input-box input');
      if (await input.isVisible()) await page.keyboard.press('Escape');
    }
  }
}

/**
 * Opens the command palette and returns its input. Keys pressed while a webview's frame has the
 * focus reach the workbench only through the webview's message channel (and were lost in the
 * project's CI): the focus goes back to the workbench first, and F1 is pressed again until the
 * palette shows or `timeoutMs` has passed.
 */
export async function openPalette(page: Page, timeoutMs = 120_000): Promise<ReturnType<Page['locator']>> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.evaluate(() => {
      const active = document.activeElement;
      if (active instanceof HTMLIFrameElement) active.blur();
    });
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: Math.max(1_000, Math.min(15_000, deadline - Date.now())) });
      return input;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
  }
}

/**
 * Picks `item` from the context menu of `target` (a tree row). A row redrawn under the pointer
 * (the tree refreshes while a run ends) can drop the menu before the click: it is opened again
 * until `timeoutMs`.
 */
export async function contextMenu(
  page: Page,
  target: ReturnType<Page['locator']>,
  item: string,
  timeoutMs = 120_000,
): Promise<void> {
  const entry = page.locator('.context-view .monaco-menu').getByRole('menuitem', { name: item }).first();
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await target.click({ button: 'right', timeout: Math.max(1_000, deadline - Date.now()) });
      await entry.waitFor({ timeout: Math.max(1_000, Math.min(15_000, deadline - Date.now())) });
      await entry.click({ timeout: 5_000 });
      // A click landing while the menu fades in can be ignored, leaving the menu open (a menu
      // that took the click closes at once): then Enter on the item, as a keyboard user would.
      const menu = page.locator('.context-view .monaco-menu');
      if (
        !(await menu.waitFor({ state: 'hidden', timeout: 3_000 }).then(
          () => true,
          () => false,
        ))
      ) {
        await entry.focus();
        await page.keyboard.press('Enter');
        await menu.waitFor({ state: 'hidden', timeout: 5_000 });
      }
      return;
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(
          `the context menu did not offer "${item}" in ${attempt} attempt(s) (${await blocking(page)}): ${(error as Error).message}`,
        );
      }
      if (await page.locator('.context-view .monaco-menu').isVisible()) await page.keyboard.press('Escape');
    }
  }
}

/**
 * After a failed test: a screenshot, and what covered the workbench printed to the test output
 * (the dialogs, notifications and quick input open, where the focus was), so a failure in a CI
 * log whose screenshots are gone still says what the user would have seen.
 */
export async function recordFailure(page: Page | undefined, run: UiRun, name: string): Promise<void> {
  if (!page) return;
  await snap(page, run, name).catch(() => undefined);
  // A source string, not a function: the test runner's transpiler names inner functions with
  // a helper the page does not have (ReferenceError: __name is not defined).
  const seen = await page
    .evaluate(
      `(() => {
        const text = (sel) => Array.from(document.querySelectorAll(sel))
          .filter((e) => e.offsetParent !== null)
          .map((e) => e.innerText.replace(/\\s+/g, ' ').slice(0, 300));
        const active = document.activeElement;
        return {
          focus: active ? active.tagName.toLowerCase() + (active.className ? '.' + String(active.className).split(' ').join('.') : '') : 'none',
          dialogs: text('.monaco-dialog-box'),
          notifications: text('.notifications-toasts .notification-toast'),
          quickInput: text('.quick-input-widget'),
          contextMenu: text('.context-view .monaco-menu'),
        };
      })()`,
    )
    .catch((error: unknown) => ({ unreadable: (error as Error).message }));
  console.log(`[ui] ${name}: the workbench at the failure: ${JSON.stringify(seen)}`);
}

/** A code-server of a test's own (its own settings, e.g. workspace trust on), in its own process group. */
export interface OwnCodeServer {
  url: string;
  /** The folder it opened. */
  workspace: string;
  stop(): Promise<void>;
}

/**
 * Starts code-server on a fresh set of folders under the run's folder, with the extension
 * the runner installed, `settings` as the user settings, and `workspace` prepared by the
 * caller before the window opens. Resolves when it answers on /healthz.
 */
export async function startOwnCodeServer(
  name: string,
  settings: Record<string, unknown>,
  prepare: (workspace: string) => Promise<void>,
): Promise<OwnCodeServer> {
  const entry = process.env.OM_UI_CODE_SERVER_ENTRY;
  const extensions = process.env.OM_UI_EXTENSIONS;
  const runs = process.env.OM_UI_RUN_DIR;
  if (!entry || !extensions || !runs) {
    throw new Error(
      'OM_UI_CODE_SERVER_ENTRY, OM_UI_EXTENSIONS or OM_UI_RUN_DIR is not set: run with `npm run test:e2e`',
    );
  }
  // Short folder names: VS Code's socket paths under TMPDIR must stay below 108 characters.
  const base = path.join(runs, name);
  const dir = (sub: string) => {
    const d = path.join(base, sub);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const userData = dir('ud');
  const workspace = dir('ws');
  writeFileSync(path.join(dir('ud/User'), 'settings.json'), JSON.stringify(settings, null, 2));
  await prepare(workspace);
  const { PORT: _port, ...inherited } = process.env;
  const env = {
    ...inherited,
    XDG_CONFIG_HOME: dir('xdg/config'),
    XDG_DATA_HOME: dir('xdg/data'),
    XDG_CACHE_HOME: dir('xdg/cache'),
    XDG_STATE_HOME: dir('xdg/state'),
    XDG_RUNTIME_DIR: dir('tmp'),
    TMPDIR: dir('tmp'),
  };
  const port = await freePort();
  const args = [
    entry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--ignore-last-opened',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensions,
    workspace,
  ];
  const log = createWriteStream(path.join(base, 'code-server.log'));
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const grace = new Promise<'grace'>((resolve) => setTimeout(() => resolve('grace'), 5000).unref());
    if ((await Promise.race([exited, grace])) === 'grace') {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      await exited;
    }
  };
  const url = `http://127.0.0.1:${port}/`;
  try {
    await untilAnswers(`${url}healthz`, exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, workspace, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers below 500; fails when the server exits first (a bound of 3 minutes for a stuck start). */
async function untilAnswers(url: string, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`code-server exited before answering ${url}`);
    const status = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 599,
    );
    if (status < 500) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within 3 minutes`);
}
