/**
 * The plan where the user decides, and the run where they watch it, in the real VS Code UI
 * (code-server, headless Chromium) against a sandbox started here: the tree after Verify,
 * the Plan & Run panel's plan in dark and light themes, Execute this plan with its modal
 * by keyboard only, the live run mid-way, a stale plan refused, a console link, and
 * markup put into an error message through the emulator staying text in panel and report.
 */
import * as assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { openWorkbench, recordFailure, rehearsalWorkspace, runCommand, snap, uiRun, type UiRun } from './workbench';

const STUCK_MS = 90_000;
const PROJECT = 'ui-plan-project';
/** Each would set window.__pwned if it ever ran as markup. */
const PAYLOAD =
  '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"><a href="javascript:window.__pwned=3">link</a>';

describe('the plan and the run in the VS Code UI (code-server)', function () {
  this.timeout(600_000);
  let run: UiRun;
  let browser: Browser;
  let page: Page;
  let sandbox: Sandbox;

  /** The Plan & Run panel's document (the webview's inner frame). */
  const panel = (): FrameLocator =>
    page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');

  before(async () => {
    run = uiRun();
    sandbox = await startSandbox({
      port: 0,
      dataDir: path.join(run.workspace, '.orchestra', 'ui-sandbox'),
      seedRecords: 3000,
      // Slow enough operations that a screenshot finds the run in the middle.
      gcp: { lroDelayMs: 1500, projects: [PROJECT] },
    });
    await rm(path.join(run.workspace, '.orchestra', `state-${PROJECT}.json`), { force: true });
    await rehearsalWorkspace(run, sandbox, PROJECT);
    ({ browser, page } = await openWorkbench(run, { width: 1400, height: 900 }, STUCK_MS));
    await runCommand(page, 'View: Close All Editors');
    await page.locator('.activitybar [aria-label^="Orchestra"]').first().click();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Core Infrastructure' }).first().waitFor();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await recordFailure(page, run, `plan-failed-${this.currentTest.title.replace(/\W+/g, '-')}`);
    }
  });

  after(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  it('before Verify the steps are listed, not planned yet; after it each shows its action, the tooltip the field diff', async () => {
    const core = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Core Infrastructure' }).first();
    await core.click();
    const account = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Runtime service account' }).first();
    await account.waitFor();
    assert.match(await account.innerText(), /not planned yet/);
    await snap(page, run, 'plan-01-tree-not-planned');
    // One permission denied, so the plan shows a blocked step and what to grant.
    sandbox.gcp.setFaults({ deniedPermissions: ['workstations.workstations.create'] });
    await runCommand(page, 'Orchestra: Verify Migration Plan');
    await page.locator('.notifications-toasts', { hasText: 'Orchestra plan for' }).first().waitFor();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'to create' }).first().waitFor();
    assert.match(await account.innerText(), /to create/);
    // An API the project has not enabled yet: an update with its field diff.
    // (The phase row's own summary says "to update" too: an API's row is wanted.)
    const services = page
      .locator('.part.sidebar .monaco-list-row', { hasText: /googleapis\.com API\s*to update/ })
      .first();
    assert.match(await services.innerText(), /to update/);
    assert.match(await core.innerText(), /\d+ to create, \d+ to update/);
    await services.hover();
    const hover = page.locator('.monaco-hover', { hasText: 'desired' }).first();
    await hover.waitFor();
    assert.match(await hover.innerText(), /field\s+live\s+desired/);
    await snap(page, run, 'plan-02-tree-after-verify-tooltip');
    await page.mouse.move(700, 600);
  });

  it('the panel shows the plan by phase with its diffs, counts, the missing permission and the gcloud grant; console links; dark and light', async () => {
    await runCommand(page, 'Orchestra: Open Plan & Run');
    const doc = panel();
    await doc.locator('#plan-meta').waitFor();
    assert.match(
      await doc.locator('#plan-meta').innerText(),
      new RegExp(`Project ${PROJECT} · planned .* · \\d+ to create`),
    );
    const blocked = doc.locator('tr[data-step="workstation-configuration/workstation"]');
    assert.match(await blocked.innerText(), /! blocked[\s\S]*workstations\.workstations\.create/);
    assert.match(
      await doc.locator('#preflight').innerText(),
      /gcloud iam roles create orchestraMigrate --project=ui-plan-project .*workstations\.workstations\.create/,
    );
    assert.match(
      await doc.locator('tr[data-action="update"]').first().innerText(),
      /~ update[\s\S]*disabled services: /,
    );
    const link = doc.locator('tr[data-step="core-infrastructure/reports-bucket"] a.console');
    assert.equal(
      await link.getAttribute('href'),
      `https://console.cloud.google.com/storage/browser/${PROJECT}-orchestra-reports?project=${PROJECT}`,
    );
    // Both themes, whichever the workbench starts in.
    const theme = () =>
      page.evaluate(() =>
        document.querySelector('.monaco-workbench')?.classList.contains('vs-dark') ? 'dark' : 'light',
      );
    const first = await theme();
    const other = first === 'dark' ? 'light' : 'dark';
    await snap(page, run, `plan-03-panel-${first}`);
    await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
    await page.waitForFunction((want) => {
      const dark = document.querySelector('.monaco-workbench')?.classList.contains('vs-dark');
      return want === 'dark' ? dark === true : dark === false;
    }, other);
    await doc.locator('#plan-meta').waitFor();
    await snap(page, run, `plan-04-panel-${other}`);
    await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
    await page.waitForFunction((want) => {
      const dark = document.querySelector('.monaco-workbench')?.classList.contains('vs-dark');
      return want === 'dark' ? dark === true : dark === false;
    }, first);
  });

  it('keyboard only: Tab to "Execute this plan", Enter; the modal shows the counts; Enter executes; mid-run the panel shows running and done steps and the copy', async () => {
    // The cluster's create operation fails with markup in its message (the XSS probe below).
    sandbox.gcp.setFaults({
      deniedPermissions: ['workstations.workstations.create'],
      operationFailures: [{ count: 1, pathContains: 'workstationClusters', code: 9, message: PAYLOAD }],
    });
    const doc = panel();
    await doc.locator('#verify').focus();
    await page.keyboard.press('Tab');
    assert.equal(await doc.locator(':focus').getAttribute('id'), 'execute');
    await snap(page, run, 'plan-05-keyboard-focus-execute');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(
      await dialog.innerText(),
      /Execute this plan against Google Cloud project "ui-plan-project"\? \d+ to create/,
    );
    await snap(page, run, 'plan-06-execute-modal');
    await page.keyboard.press('Enter');
    await doc.locator('#run-heading').waitFor();
    // Mid-run: running and done steps and the copy's progress on screen at once.
    const midRun = () =>
      doc
        .locator('body')
        .evaluate(
          () =>
            document.querySelector('#run-steps tr[data-state="done"]') !== null &&
            document.querySelector('#run-steps tr[data-state="running"]') !== null &&
            document.querySelector('#copy .copy-text') !== null,
        );
    const deadline = Date.now() + 240_000;
    while (!(await midRun())) {
      if (Date.now() > deadline) throw new Error('the run never showed running and done steps with the copy');
      await new Promise((r) => setTimeout(r, 50)); // a poll interval, not a wait for time to pass
    }
    assert.match(await doc.locator('#copy .copy-text').innerText(), /[\d,]+ \/ 3,000 records · [\d,]+ records\/s/);
    await doc.locator('#run-heading').scrollIntoViewIfNeeded();
    await snap(page, run, 'plan-07-mid-run');
    await doc.locator('#run-heading', { hasText: /— (completed|failed)/ }).waitFor({ timeout: 300_000 });
    await doc.locator('#run-heading').scrollIntoViewIfNeeded();
    await snap(page, run, 'plan-08-run-finished');
  });

  it('markup in an error message shows as text in the panel and in the report, and never runs', async () => {
    const doc = panel();
    const failed = doc.locator('#run-steps tr[data-step="workstation-configuration/cluster"]');
    await failed.waitFor();
    assert.equal(await failed.getAttribute('data-state'), 'failed');
    assert.ok((await failed.innerText()).includes('<img src=x onerror="window.__pwned=2">'), await failed.innerText());
    const probe = await doc.locator('body').evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      imgs: document.querySelectorAll('img').length,
      // VS Code adds its own script to the page: none may carry the payload.
      scripts: Array.from(document.querySelectorAll('script')).filter((x) => x.textContent?.includes('__pwned')).length,
      js: Array.from(document.querySelectorAll('a')).filter((a) => a.href.startsWith('javascript:')).length,
    }));
    assert.deepEqual(probe, { pwned: undefined, imgs: 0, scripts: 0, js: 0 });
    await failed.scrollIntoViewIfNeeded();
    await snap(page, run, 'plan-09-xss-inert-panel');
    await runCommand(page, 'Orchestra: Show Migration Report');
    const report = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
    await report.getByText('window.__pwned=2', { exact: false }).first().waitFor();
    const inReport = await report.locator('body').evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      imgs: Array.from(document.querySelectorAll('img')).filter((i) => i.getAttribute('onerror') !== null).length,
      // VS Code adds its own script to the page: none may carry the payload.
      scripts: Array.from(document.querySelectorAll('script')).filter((x) => x.textContent?.includes('__pwned')).length,
      js: Array.from(document.querySelectorAll('a')).filter((a) => a.href.startsWith('javascript:')).length,
    }));
    assert.deepEqual(inReport, { pwned: undefined, imgs: 0, scripts: 0, js: 0 });
    await snap(page, run, 'plan-10-xss-inert-report');
    // Only the panel's webview from here on.
    await runCommand(page, 'View: Close Editor');
  });

  it('a stale plan is refused: the run changed the state, and Execute says so and changes nothing', async () => {
    await runCommand(page, 'Orchestra: Open Plan & Run');
    const doc = panel();
    await doc.locator('#plan-stale').waitFor();
    assert.match(await doc.locator('#plan-stale').innerText(), /The plan is stale: the state file changed/);
    sandbox.gcp.clearRequestLog();
    await doc.locator('#execute').click();
    await doc.locator('#panel-error', { hasText: 'The plan is stale' }).waitFor();
    const writes = sandbox.gcp
      .requestLog()
      .filter((r) => r.method !== 'GET' && !/:(getIamPolicy|testIamPermissions)$/.test(r.path));
    assert.deepEqual(writes, [], 'nothing was changed');
    await snap(page, run, 'plan-11-stale-refused');
  });
});
