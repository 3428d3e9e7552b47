/**
 * What a person sees: code-server with the packaged VSIX installed, in headless
 * Chromium. One screenshot per step under test-results/screenshots/.
 */
import * as assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { builtInPhases } from '../../src/core/migration/phases';

const PHASES = builtInPhases().infos();
const PHASE_IDS = PHASES.map((p) => p.id);
import { pushHistory } from '../../src/core/migration/state';
import { StateStore } from '../../src/core/migration/store';
import { startMemoryServer } from '../../src/sandbox/memory';
import { launch, runCommand, snap, uiRun, type UiRun, recordFailure } from './workbench';

/** How long a condition may take before the run counts as stuck. */
const STUCK_MS = 60_000;

describe('Orchestra in the VS Code UI (code-server)', function () {
  // Bounds for a stuck run, not waits tuned to a quiet machine: every wait below is on a
  // condition, and a busy machine (npm run test:load) is slow, not wrong.
  this.timeout(300_000);
  let run: UiRun;
  let browser: Browser;
  let page: Page;

  before(async () => {
    run = uiRun();
    browser = await launch(run);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(STUCK_MS);
    await page.goto(run.url);
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.activitybar').waitFor();
    await snap(page, run, '01-workbench');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await recordFailure(page, run, `failed-${this.currentTest.title.replace(/\W+/g, '-')}`);
    }
  });

  after(async () => {
    await browser?.close();
  });

  it('has the Orchestra container in the activity bar', async () => {
    const item = page.locator('.activitybar [aria-label^="Orchestra"]').first();
    await item.waitFor();
    await item.click();
    await page.locator('.part.sidebar').getByText('Orchestra', { exact: false }).first().waitFor();
    await snap(page, run, '02-orchestra-container');
  });

  it('lists the seven phases in order, each not started', async () => {
    const rows = page.locator('.part.sidebar .monaco-list-row');
    await page.waitForFunction(
      (count) => document.querySelectorAll('.part.sidebar .monaco-list-row').length >= count,
      PHASES.length,
    );
    const texts = await rows.allInnerTexts();
    assert.equal(texts.length, 7, `seven rows, got: ${texts.join(' | ')}`);
    for (const [index, phase] of PHASES.entries()) {
      assert.match(texts[index], new RegExp(`${phase.order}\\. ${phase.title}`));
      assert.match(texts[index], /not started/);
    }
    await snap(page, run, '03-seven-phases');
  });

  it('shows the detected environment in the status bar, with the evidence in its tooltip', async () => {
    const item = page.locator('.statusbar .statusbar-item', { hasText: 'Orchestra:' }).first();
    await item.waitFor();
    assert.match(await item.innerText(), /Orchestra: (Local|Codespaces|Cloud Workstation|Cloud Run)/);
    await item.hover();
    await page.locator('.monaco-hover', { hasText: 'Signal' }).first().waitFor();
    await snap(page, run, '04-status-bar-tooltip');
    await page.mouse.move(640, 300);
  });

  it('shows the evidence in a quick pick when the status bar item is clicked', async () => {
    await page.locator('.statusbar .statusbar-item', { hasText: 'Orchestra:' }).first().click();
    const widget = page.locator('.quick-input-widget');
    await widget.getByText('Orchestra environment:').first().waitFor();
    assert.ok((await page.locator('.quick-input-list .monaco-list-row').count()) >= 2, 'evidence rows are listed');
    await snap(page, run, '05-environment-quick-pick');
    await page.keyboard.press('Escape');
    // Focus goes back to the item, which then shows its tooltip: move focus to the editor area.
    await page.locator('.part.editor').click({ position: { x: 300, y: 200 } });
  });

  it('opens its log from the command palette', async () => {
    await runCommand(page, 'Orchestra: Show Log');
    await page.locator('.part.panel').getByText('activated in').first().waitFor();
    await snap(page, run, '06-log');
  });

  it('shows the migration report of a recorded run, styled by the theme', async () => {
    // A project and a run as `orchestra-migrate execute` records them.
    await mkdir(path.join(run.workspace, 'config'), { recursive: true });
    await writeFile(path.join(run.workspace, 'config', 'common.json'), JSON.stringify({ projectId: 'ui-project' }));
    const store = await StateStore.open(path.join(run.workspace, '.orchestra'), 'ui-project', { phases: PHASE_IDS });
    await store.update((s) => {
      const at = new Date().toISOString();
      s.phases['core-infrastructure'].status = 'completed';
      Object.assign(s.phases['core-infrastructure'].metrics, { steps: 5, created: 5, durationMs: 4200 });
      s.phases['memory-system'].status = 'failed';
      s.phases['memory-system'].error = 'Firestore database create failed: PERMISSION_DENIED';
      s.metrics = { ...s.metrics, runs: 1, steps: 7, created: 5, failed: 1, requests: 40, lastRunMs: 6100 };
      // Timed steps, as execute records them: the report draws them as a Gantt chart.
      const t0 = Date.now() - 6100;
      const iso = (ms: number) => new Date(t0 + ms).toISOString();
      const step = (id: string, phase: 'core-infrastructure' | 'memory-system', from: number, to: number) => {
        s.steps[id] = { id, phase, status: 'done', startedAt: iso(from), finishedAt: iso(to), attempts: 1 };
      };
      step('core-infrastructure/services', 'core-infrastructure', 0, 1500);
      step('core-infrastructure/service-account', 'core-infrastructure', 1500, 4200);
      step('memory-system/firestore-database', 'memory-system', 4200, 6100);
      s.steps['memory-system/firestore-database'].status = 'failed';
      s.run = {
        id: 'run-1',
        startedAt: iso(0),
        finishedAt: iso(6100),
        status: 'failed',
        phases: ['core-infrastructure'],
        pid: 1,
        host: 'ui',
      };
      pushHistory(s, { at, type: 'run-started', message: 'run run-1: core-infrastructure, memory-system' });
    });
    // The tree follows the new config and state: Core Infrastructure shows completed.
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'completed' }).first().waitFor();
    await runCommand(page, 'Orchestra: Show Migration Report');
    const report = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await report.getByRole('heading', { name: 'Migration report: ui-project' }).waitFor();
    // The Phases table's row (the events table names the phase too).
    const failed = report.locator('h2:text-is("Phases") ~ table').first().locator('tr', { hasText: 'Memory System' });
    assert.match(await failed.innerText(), /failed[\s\S]*PERMISSION_DENIED/);
    const chart = report.locator('figure.timeline svg');
    await chart.waitFor();
    // Steps are named by their titles in the chart.
    assert.match(await chart.innerHTML(), /Runtime service account/);
    await chart.scrollIntoViewIfNeeded();
    await snap(page, run, '07-report-timeline');
    await report.getByRole('heading', { name: 'Migration report: ui-project' }).scrollIntoViewIfNeeded();
    // The tab's title bar offers the Markdown export.
    await page.locator('.editor-actions [aria-label^="Export Migration Report (Markdown)"]').first().waitFor();
    await snap(page, run, '07-report');
  });

  it('offers Verify and Execute on each phase row and in the view title', async () => {
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Memory System' }).first();
    await row.hover();
    for (const title of ['Verify Migration Plan', 'Execute Migration']) {
      await row.locator(`.actions [aria-label="${title}"]`).first().waitFor();
      await page.locator(`.part.sidebar .title-actions [aria-label="${title}"]`).first().waitFor();
    }
    await snap(page, run, '08-phase-actions');
    // A failed phase can be skipped or reset from its context menu, which also opens the report and the log.
    await row.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    for (const title of ['Skip Phase', 'Reset Phase', 'Show Migration Report', 'Show Log']) {
      await menu.getByRole('menuitem', { name: title }).first().waitFor();
    }
    await page.waitForTimeout(300); // the menu fades in: a readable screenshot, not a condition
    await snap(page, run, '08-phase-context-menu');
    await page.keyboard.press('Escape');
  });

  it("shows the memory server's health in the status bar: ok while it answers, red and named when it stops", async () => {
    const memory = await startMemoryServer({ dataDir: path.join(run.workspace, '.orchestra', 'ui-memory') });
    try {
      await writeFile(
        path.join(run.workspace, 'config', 'common.json'),
        JSON.stringify({
          projectId: 'ui-project',
          endpoints: { memory: memory.url },
          breaker: { retry: { maxAttempts: 1 } },
          // A loaded machine answers slower than the 50 ms default: "ok" here is about up, not fast.
          validation: { targets: { memoryReadMs: 5_000 } },
        }),
      );
      await runCommand(page, 'Orchestra: Check Service Health');
      // The result as a quick pick: the service with its endpoint and round trip, then what can be done.
      const widget = page.locator('.quick-input-widget');
      await widget.getByText('Orchestra services: all ok').first().waitFor();
      const first = widget.locator('.quick-input-list .monaco-list-row').first();
      assert.match(await first.innerText(), new RegExp(`Memory server[\\s\\S]*${memory.url}[\\s\\S]*ok · [\\d.]+ ms`));
      await widget.getByText('Check again').first().waitFor();
      await snap(page, run, '09-health-quick-pick');
      await page.keyboard.press('Escape');

      const item = page.locator('.statusbar [aria-label^="Orchestra services"]').first();
      await page.locator('.statusbar [aria-label="Orchestra services: all ok"]').first().waitFor();
      assert.match(await item.innerText(), /Services ok/);
      await item.hover();
      const hover = page.locator('.monaco-hover', { hasText: 'target 5000 ms' }).first();
      await hover.waitFor();
      assert.ok((await hover.innerText()).includes(memory.url), 'the tooltip names the endpoint');
      await snap(page, run, '10-health-tooltip');
      await page.mouse.move(640, 300);
    } finally {
      await memory.close();
    }
    // A click on the item checks again: the server is gone.
    await page.locator('.statusbar [aria-label^="Orchestra services"]').first().click();
    await page.locator('.statusbar [aria-label="Orchestra services: Memory server down"]').first().waitFor();
    const widget = page.locator('.quick-input-widget');
    await widget.getByText('Orchestra services: down').first().waitFor();
    assert.match(
      await widget.locator('.quick-input-list .monaco-list-row').first().innerText(),
      /Memory server[\s\S]*down/,
    );
    await snap(page, run, '11-health-down');
    await page.keyboard.press('Escape');
  });
  it('offers a getting-started walkthrough, each step with its button', async () => {
    await page.mouse.move(900, 300); // away from the status bar, whose tooltip would cover the page
    const widget = page.locator('.quick-input-widget');
    // VS Code registers an extension's walkthrough after an experiment lookup that may take up to 5 s: ask again.
    const deadline = Date.now() + STUCK_MS;
    for (;;) {
      await runCommand(page, 'Welcome: Open Walkthrough...');
      await widget.getByText('Learn the Fundamentals').first().waitFor();
      if (await widget.getByText('Get started with Orchestra Migrate').count()) break;
      if (Date.now() > deadline) assert.fail('the Orchestra walkthrough is not offered');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
    await widget.getByText('Get started with Orchestra Migrate').first().click();
    const welcome = page.locator('.gettingStartedContainer');
    await welcome.getByText('Initialize the configuration').first().waitFor();
    for (const title of [
      'Name the Google Cloud project',
      'Give the memory API key',
      'Verify the plan',
      'Execute the migration',
    ]) {
      await welcome.getByText(title).first().waitFor();
    }
    await welcome.getByRole('button', { name: 'Initialize Configuration' }).first().waitFor();
    await snap(page, run, '12-walkthrough');
  });
});
