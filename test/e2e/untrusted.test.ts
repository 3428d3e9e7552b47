/**
 * An untrusted workspace in the real UI: code-server with workspace trust on, the folder
 * opened in Restricted Mode. The phase tree and the report show; Verify, Execute and the
 * health checks are unavailable; two recording listeners, named as the memory server and
 * every Google API by the workspace's config files and by its .vscode/settings.json,
 * receive no request. Trusting the folder enables them, and the settings' listener is
 * then called. Screenshots under test-results/screenshots/untrusted-*.
 */
import * as assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { emulatorOverrides } from '../../src/core/gcp/endpoints';
import { builtInPhases } from '../../src/core/migration/phases';
import { StateStore } from '../../src/core/migration/store';
import {
  launch,
  openPalette,
  runCommand,
  snap,
  startOwnCodeServer,
  uiRun,
  type OwnCodeServer,
  type UiRun,
  recordFailure,
} from './workbench';

const STUCK_MS = 60_000;
const PROJECT = 'ui-untrusted';

interface Recorder {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Records every request and answers 503: what matters is whether anything was sent at all. */
async function recorder(): Promise<Recorder> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 503, message: 'recording listener', status: 'UNAVAILABLE' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Waits until `check` holds, polling: a condition, bounded for a stuck run. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + STUCK_MS;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('an untrusted workspace in the VS Code UI (code-server, workspace trust on)', function () {
  this.timeout(400_000);
  let run: UiRun;
  let server: OwnCodeServer;
  let browser: Browser;
  let page: Page;
  let files: Recorder;
  let settings: Recorder;

  before(async () => {
    run = uiRun();
    [files, settings] = await Promise.all([recorder(), recorder()]);
    server = await startOwnCodeServer(
      'untrusted',
      {
        'workbench.startupEditor': 'none',
        'telemetry.telemetryLevel': 'off',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'update.mode': 'none',
        'workbench.enableExperiments': false,
        'git.openRepositoryInParentFolders': 'never',
        'security.workspace.trust.enabled': true,
        // No modal at start: the folder opens in Restricted Mode, as after "Don't Trust".
        'security.workspace.trust.startupPrompt': 'never',
      },
      async (ws) => {
        await mkdir(path.join(ws, 'config'), { recursive: true });
        await writeFile(
          path.join(ws, 'config', 'common.json'),
          JSON.stringify({
            projectId: PROJECT,
            endpoints: { memory: files.url },
            memory: { endpoint: files.url },
            phases: { memorySystem: { sourceEndpoint: files.url, targetEndpoint: files.url } },
            gcp: { emulator: true, endpointOverrides: emulatorOverrides(files.url) },
          }),
        );
        await mkdir(path.join(ws, '.vscode'));
        await writeFile(
          path.join(ws, '.vscode', 'settings.json'),
          JSON.stringify({
            'orchestra.memory.endpoint': settings.url,
            'orchestra.gcp.endpointOverrides': emulatorOverrides(settings.url),
          }),
        );
        // A recorded run, so the tree and the report have something to show.
        const store = await StateStore.open(path.join(ws, '.orchestra'), PROJECT, {
          phases: builtInPhases()
            .infos()
            .map((p) => p.id),
        });
        await store.update((s) => {
          s.phases['core-infrastructure'].status = 'completed';
          Object.assign(s.phases['core-infrastructure'].metrics, { steps: 5, created: 5, durationMs: 4200 });
          s.metrics = { ...s.metrics, runs: 1, steps: 5, created: 5, requests: 30, lastRunMs: 4200 };
        });
        await store.flush();
      },
    );
    browser = await launch(run);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(STUCK_MS);
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await recordFailure(page, run, `untrusted-failed-${this.currentTest.title.replace(/\W+/g, '-')}`);
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await Promise.all([files?.close(), settings?.close()]);
  });

  it('opens in Restricted Mode: the phase tree shows the recorded run', async () => {
    await page.locator('.statusbar', { hasText: 'Restricted Mode' }).first().waitFor();
    await page.locator('.activitybar [aria-label^="Orchestra"]').first().click();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Core Infrastructure' }).first().waitFor();
    const core = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Core Infrastructure' }).first();
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('.part.sidebar .monaco-list-row')).some(
          (row) => row.textContent?.includes('Core Infrastructure') && row.textContent.includes('completed'),
        ),
      undefined,
    );
    assert.match(await core.innerText(), /completed/);
    assert.equal(await page.locator('.part.sidebar .monaco-list-row').count(), 7);
    await snap(page, run, 'untrusted-01-tree');
  });

  it('shows the report', async () => {
    await runCommand(page, 'Orchestra: Show Migration Report');
    const report = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await report.getByRole('heading', { name: `Migration report: ${PROJECT}` }).waitFor();
    assert.match(await report.locator('tr', { hasText: 'Core Infrastructure' }).innerText(), /completed/);
    await snap(page, run, 'untrusted-02-report');
  });

  it('offers no Verify, Execute or health check, and the health item says it checks nothing', async () => {
    const health = page.locator('.statusbar .statusbar-item', { hasText: 'Services not checked' }).first();
    await health.waitFor();
    for (const title of ['Verify Migration Plan', 'Execute Migration']) {
      const action = page.locator(`.part.sidebar .title-actions [aria-label="${title}"]`).first();
      await action.waitFor();
      assert.ok(await isDisabled(action), `${title} is disabled in the view title`);
    }
    // The palette does not offer a command whose enablement is false (and does offer the report).
    assert.equal(await paletteOffers(page, 'Orchestra: Show Migration Report'), true, 'the report is offered');
    for (const title of [
      'Orchestra: Verify Migration Plan',
      'Orchestra: Execute Migration',
      'Orchestra: Check Service Health',
    ]) {
      assert.equal(await paletteOffers(page, title), false, `${title} is not offered`);
    }
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Memory System' }).first().hover();
    await snap(page, run, 'untrusted-03-disabled');
    await health.click();
    await snap(page, run, 'untrusted-04-health-click');
    await page.keyboard.press('Escape');
  });

  it('sends no request to the endpoints the workspace names', async () => {
    // By now the extension has loaded the config, drawn the tree and the report and decided
    // about health checks (the item says "not checked"): anything it would send, it has sent.
    assert.deepEqual(files.requests, [], 'requests to the endpoint in config/common.json');
    assert.deepEqual(settings.requests, [], 'requests to the endpoint in .vscode/settings.json');
  });

  it('trusting the folder enables Verify, Execute and the health checks, which then call the endpoints', async () => {
    await runCommand(page, 'Workspaces: Manage Workspace Trust');
    const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ }).first();
    await trust.waitFor();
    await snap(page, run, 'untrusted-05-trust-editor');
    await trust.click();
    await page.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ state: 'detached' });
    // The health item checks the memory server at once (the workspace's setting, or its file
    // when the check starts before the settings are read again).
    await until('a health check to an endpoint the workspace names', () =>
      [...settings.requests, ...files.requests].some((r) => r.includes('/api/')),
    );
    await page
      .locator('.statusbar .statusbar-item', { hasText: 'Services not checked' })
      .waitFor({ state: 'detached' });
    // Back to the phase tree (the trust editor has the focus; a click on the container would toggle it).
    await runCommand(page, 'Orchestra: Focus on Migration Phases View');
    for (const title of ['Verify Migration Plan', 'Execute Migration']) {
      const action = page.locator(`.part.sidebar .title-actions [aria-label="${title}"]`).first();
      await page.waitForFunction((label) => {
        const el = document.querySelector(`.part.sidebar .title-actions [aria-label="${label}"]`);
        return el !== null && !el.classList.contains('disabled') && el.getAttribute('aria-disabled') !== 'true';
      }, title);
      assert.equal(await isDisabled(action), false);
    }
    await snap(page, run, 'untrusted-06-trusted');
    const before = settings.requests.length;
    await runCommand(page, 'Orchestra: Verify Migration Plan');
    await until('a Google API request from Verify to the endpoint of .vscode/settings.json', () =>
      settings.requests.slice(before).some((r) => /\/v1\/|token/.test(r)),
    );
    await snap(page, run, 'untrusted-07-verify-called');
  });
});

async function isDisabled(action: ReturnType<Page['locator']>): Promise<boolean> {
  return action.evaluate(
    (el) =>
      el.classList.contains('disabled') ||
      el.getAttribute('aria-disabled') === 'true' ||
      el.closest('.action-item')?.classList.contains('disabled') === true,
  );
}

/** Whether the command palette lists a command of this exact title. */
async function paletteOffers(page: Page, title: string): Promise<boolean> {
  const input = await openPalette(page);
  await input.fill(`>${title}`);
  // The list is filtered once every row shows the query's matches highlighted, or VS Code
  // says nothing matches; then it either has a row of that title or not.
  const offered = await page.waitForFunction((wanted) => {
    const widget = document.querySelector('.quick-input-widget');
    if (widget?.textContent?.includes('No matching commands')) return 'no';
    const rows = Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row'));
    // With no match, VS Code lists "similar commands" instead (unhighlighted).
    const filtered =
      rows.every((row) => row.querySelector('.highlight')) || widget?.textContent?.includes('similar commands');
    if (!rows.length || !filtered) return false;
    return rows.some((row) => (row.getAttribute('aria-label') ?? row.textContent ?? '').includes(wanted))
      ? 'yes'
      : 'no';
  }, title);
  const answer = await offered.jsonValue();
  await page.keyboard.press('Escape');
  return answer === 'yes';
}
