/**
 * What a person sees of a run's outcome in the VS Code UI (code-server): Execute from the
 * palette against the local emulators, Cancel in its notification, the tree's rows; Reset
 * from a row's context menu making Validation stale; a broken config file whose error
 * offers Open at the line and column.
 */
import * as assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import {
  contextMenu,
  openWorkbench,
  recordFailure,
  rehearsalWorkspace,
  runCommand,
  snap,
  uiRun,
  type UiRun,
} from './workbench';

const STUCK_MS = 120_000;
const PROJECT = 'ui-outcomes-project';
const ROWS = '.part.sidebar .monaco-list-row';

describe('Run outcomes in the VS Code UI (code-server)', function () {
  this.timeout(600_000);
  let run: UiRun;
  let browser: Browser;
  let page: Page;
  let sandbox: Sandbox;

  /** The seven phase rows' texts, as shown. */
  const rowTexts = () => page.locator(ROWS).allInnerTexts();
  const row = (title: string) => page.locator(ROWS, { hasText: title }).first();

  /**
   * Opens the Orchestra container unless the workbench restored it open (a click on its
   * activity bar item would then close it), and waits for the seven rows.
   */
  async function showPhases(): Promise<void> {
    const item = page.locator('.activitybar .action-item', { has: page.locator('[aria-label^="Orchestra"]') }).first();
    await item.waitFor();
    const deadline = Date.now() + STUCK_MS;
    while ((await page.locator(ROWS).count()) < 7) {
      if (Date.now() > deadline) assert.fail('the Orchestra phases do not show');
      if (!/\bchecked\b/.test((await item.getAttribute('class')) ?? '')) await item.click();
      await page
        .waitForFunction((sel) => document.querySelectorAll(sel).length >= 7, ROWS, { timeout: 5_000 })
        .catch(() => undefined);
    }
  }

  async function executeFromPalette(): Promise<void> {
    await runCommand(page, 'Orchestra: Execute Migration');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.getByRole('button', { name: 'Execute' }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  before(async () => {
    run = uiRun();
    await rm(path.join(run.workspace, '.orchestra'), { recursive: true, force: true });
    sandbox = await startSandbox({
      port: 0,
      dataDir: path.join(run.workspace, '.ui-outcomes-sandbox'),
      seedRecords: 200,
      // Operations long enough that a person can cancel a run under way.
      gcp: { lroDelayMs: 1500, projects: [PROJECT] },
    });
    await rehearsalWorkspace(run, sandbox, PROJECT);
    ({ browser, page } = await openWorkbench(run, { width: 1280, height: 800 }, STUCK_MS));
    await showPhases();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await recordFailure(page, run, `failed-${this.currentTest.title.replace(/\W+/g, '-')}`);
    }
  });

  after(async () => {
    await browser?.close();
    await sandbox?.close();
    for (const dir of ['.orchestra', '.ui-outcomes-sandbox', 'api', 'config', 'logs']) {
      await rm(path.join(run.workspace, dir), { recursive: true, force: true });
    }
  });

  it('Cancel in the progress notification: the phases under way show cancelled, finished ones completed', async () => {
    await executeFromPalette();
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Orchestra: migrating' });
    await toast.waitFor();
    // A completed phase beside one in progress: then cancel, as a person would mid-run.
    await page.waitForFunction(
      (sel) => {
        const texts = Array.from(document.querySelectorAll(sel)).map((r) => (r as HTMLElement).innerText);
        return texts.some((t) => /completed/.test(t)) && texts.some((t) => /in progress/.test(t));
      },
      ROWS,
      { timeout: STUCK_MS },
    );
    const before = await rowTexts();
    await snap(page, run, '20-run-under-way');
    await toast.hover();
    await toast.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(ROWS, { hasText: 'cancelled' }).first().waitFor();
    await page.waitForFunction(
      (sel) =>
        !Array.from(document.querySelectorAll(sel)).some((r) => /in progress/.test((r as HTMLElement).innerText)),
      ROWS,
    );
    const after = await rowTexts();
    await snap(page, run, '21-run-cancelled');
    assert.deepEqual(
      after.filter((t) => /failed/.test(t)),
      [],
      `no phase shows failed: ${after.join(' | ')}`,
    );
    for (const [i, text] of before.entries()) {
      if (/completed/.test(text)) assert.match(after[i], /completed/, `stays completed: ${text}`);
    }
    const cancelled = page.locator(ROWS, { hasText: 'cancelled' }).first();
    assert.ok(await cancelled.locator('.codicon-debug-stop').count(), 'a cancelled phase has the stop icon');
  });

  it('Reset Phase on Core Infrastructure from its context menu: Validation shows stale', async () => {
    await executeFromPalette();
    await page.waitForFunction(
      (sel) =>
        Array.from(document.querySelectorAll(sel)).filter((r) => /completed/.test((r as HTMLElement).innerText))
          .length === 7,
      ROWS,
      { timeout: STUCK_MS * 2 },
    );
    await contextMenu(page, row('Core Infrastructure'), 'Reset Phase');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.getByRole('button', { name: 'Reset' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const validation = row('Validation');
    await page.locator(ROWS, { hasText: 'stale' }).first().waitFor();
    assert.match(await validation.innerText(), /completed · \d+\/\d+ · stale/);
    assert.ok(await validation.locator('.codicon-history').count(), 'the stale icon');
    assert.match(await row('Core Infrastructure').innerText(), /not started/);
    await snap(page, run, '22-validation-stale');
  });

  it('a broken config file: the tree keeps the statuses, and the error offers Open at the line and column', async () => {
    await writeFile(
      path.join(run.workspace, 'config', 'common.json'),
      `{\n  "projectId": "${PROJECT}",\n  "memory": { "timeoutMs": "soon" }\n}\n`,
    );
    await page.locator('.part.sidebar', { hasText: 'The configuration has 1 problem' }).first().waitFor();
    assert.match(await row('Hybrid Config').innerText(), /completed/, 'the state file still shows');
    await snap(page, run, '23-config-problem-tree');
    await runCommand(page, 'Orchestra: Verify Migration Plan');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'memory.timeoutMs' });
    await toast.waitFor();
    await toast.hover();
    await toast.getByRole('button', { name: 'Open' }).click();
    await page.locator('.tab.active', { hasText: 'common.json' }).waitFor();
    // The status bar's cursor position: line 3, at the start of "soon".
    await page
      .locator('.statusbar-item', { hasText: /Ln 3, Col 28/ })
      .first()
      .waitFor();
    await snap(page, run, '24-config-problem-open');
  });
});
