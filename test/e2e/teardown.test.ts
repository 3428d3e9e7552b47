/**
 * Finishing and undoing a migration in the real VS Code UI (code-server, headless
 * Chromium) against a sandbox of this file's own: the pending sync delta in the tree after
 * Verify; Cutover's confirmation with its plan, and Rollback Cutover refused before one; Destroy's plan (adopted and data-holding resources kept, the include-data
 * choice), its typed project-id confirmation refusing a wrong id, and the tree after it.
 * Every dialog, input box, notification and editor opened here is closed before the next
 * test and the next file.
 */
import * as assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { contextMenu, openWorkbench, rehearsalWorkspace, runCommand, snap, uiRun, type UiRun } from './workbench';

const STUCK_MS = 120_000;
const PROJECT = 'ui-teardown-project';
const LOCATION = 'us-central1';
const RECORDS = 400;
const ROWS = '.part.sidebar .monaco-list-row';
const PICK_ROWS = '.quick-input-widget .quick-input-list .monaco-list-row';
/** What this file puts in the shared workspace folder, removed in after(). */
const MADE_HERE = ['.orchestra', '.ui-teardown-sandbox', 'api', 'config', 'logs'];

describe('Finishing and undoing a migration in the VS Code UI (code-server)', function () {
  this.timeout(600_000);
  let run: UiRun;
  let browser: Browser;
  let page: Page;
  let sandbox: Sandbox;
  let token: string;
  /** The sidebar's width as this file found it, put back in after(). */
  let sidebarWidth: number | undefined;

  const row = (title: string | RegExp) => page.locator(ROWS, { hasText: title }).first();
  const repository = `projects/${PROJECT}/locations/${LOCATION}/repositories/orchestra`;

  /** One call to the emulator, as a client of Google's REST API would make it. */
  async function gcp(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${sandbox.urls.gcp}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  }

  /** Starts a long-running operation and polls it until done (the emulator's delay is short here). */
  async function operation(method: string, url: string, body: unknown): Promise<void> {
    const started = await gcp(method, url, body);
    assert.ok(started.status < 300, `${method} ${url}: ${started.status} ${JSON.stringify(started.json)}`);
    let op = started.json as { name: string; done?: boolean };
    const deadline = Date.now() + STUCK_MS;
    while (!op.done) {
      if (Date.now() > deadline) assert.fail(`operation ${op.name} never finished`);
      await new Promise((r) => setTimeout(r, 50)); // a poll interval, not a wait for time to pass
      op = (await gcp('GET', `/v1/${op.name}`)).json as { name: string; done?: boolean };
    }
  }

  /** Opens the Orchestra container unless it is open already, and waits for the seven rows. */
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

  /**
   * Drags the sidebar's edge to `width` pixels (its rows' descriptions then read whole in
   * the screenshots); resolves with its width before.
   */
  async function dragSidebarTo(width: number): Promise<number> {
    const box = (await page.locator('.part.sidebar').boundingBox())!;
    const edge = box.x + box.width;
    const y = box.y + box.height / 2;
    await page.mouse.move(edge - 1, y);
    await page.mouse.down();
    await page.mouse.move(box.x + width, y, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(
      (want) => Math.abs((document.querySelector('.part.sidebar')?.getBoundingClientRect().width ?? 0) - want) < 8,
      width,
    );
    return box.width;
  }

  /**
   * Destroy from a phase row's context menu, until its plan shows. A menu's item clicked
   * just as the menu opens can be ignored by the workbench (the menu stays open): Enter on
   * the item then picks it. While the plan is read the menu is gone and nothing is repeated.
   */
  async function destroyFromRow(title: string, planTitle: string): Promise<void> {
    const item = 'Destroy Migration Resources…';
    const pick = page.locator('.quick-input-widget', { hasText: planTitle });
    const menu = page.locator('.context-view .monaco-menu');
    const planning = page.locator('.notifications-toasts', { hasText: 'planning the teardown' });
    await contextMenu(page, row(title), item);
    const deadline = Date.now() + STUCK_MS;
    while (!(await pick.isVisible())) {
      if (Date.now() > deadline) assert.fail(`Destroy's plan did not show from the ${title} row`);
      if (await menu.isVisible()) {
        await menu.getByRole('menuitem', { name: item }).first().hover();
        await page.keyboard.press('Enter');
      } else if (!(await planning.isVisible())) {
        await contextMenu(page, row(title), item);
      }
      await pick.waitFor({ timeout: 5_000 }).catch(() => undefined);
    }
  }

  /** Leaves no toast, quick input or dialog behind for the next test. */
  async function tidy(): Promise<void> {
    for (let i = 0; i < 3 && (await page.locator('.monaco-dialog-box').count()); i++)
      await page.keyboard.press('Escape');
    if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached' });
  }

  before(async () => {
    run = uiRun();
    for (const dir of MADE_HERE) await rm(path.join(run.workspace, dir), { recursive: true, force: true });
    sandbox = await startSandbox({
      port: 0,
      dataDir: path.join(run.workspace, '.ui-teardown-sandbox'),
      seedRecords: RECORDS,
      gcp: { lroDelayMs: 200, projects: [PROJECT] },
    });
    token = sandbox.gcp.issueToken();
    // Made outside the tool before the migration: execute adopts it, Destroy must keep it.
    await operation('POST', `/v1/projects/${PROJECT}/services/artifactregistry.googleapis.com:enable`, {});
    await operation('POST', `/v1/projects/${PROJECT}/locations/${LOCATION}/repositories?repositoryId=orchestra`, {
      format: 'DOCKER',
    });
    await rehearsalWorkspace(run, sandbox, PROJECT);
    ({ browser, page } = await openWorkbench(run, { width: 1400, height: 900 }, STUCK_MS));
    await runCommand(page, 'View: Close All Editors');
    await showPhases();
    sidebarWidth = await dragSidebarTo(620);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await snap(page, run, `teardown-failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
    if (page) await tidy().catch(() => undefined);
  });

  after(async () => {
    if (page) {
      await tidy().catch(() => undefined);
      await runCommand(page, 'View: Close All Editors').catch(() => undefined);
      if (sidebarWidth) await dragSidebarTo(sidebarWidth).catch(() => undefined);
    }
    await browser?.close();
    await sandbox?.close();
    for (const dir of MADE_HERE) await rm(path.join(run.workspace, dir), { recursive: true, force: true });
  });

  it('after execute and changes on the source, Verify shows the pending sync on Memory System and its copy step', async () => {
    await runCommand(page, 'Orchestra: Execute Migration');
    await page.locator('.monaco-dialog-box').getByRole('button', { name: 'Execute' }).click();
    await page.waitForFunction(
      (sel) =>
        Array.from(document.querySelectorAll(sel)).filter((r) => /completed/.test((r as HTMLElement).innerText))
          .length === 7,
      ROWS,
      { timeout: STUCK_MS * 2 },
    );
    await page.locator('.notifications-toasts', { hasText: 'completed in' }).first().waitFor();
    await tidy();
    // The team kept working: 50 records added, 30 changed, 20 deleted on the source.
    const store = sandbox.memory.store;
    const keys = store.list('', undefined, RECORDS).records.map((r) => r.key);
    await store.writeMany([
      ...Array.from({ length: 50 }, (_, i) => ({ op: 'set' as const, key: `ui/new/${i}`, content: { text: `${i}` } })),
      ...keys.slice(0, 30).map((key) => ({ op: 'set' as const, key, content: { text: `changed ${key}` } })),
      ...keys.slice(30, 50).map((key) => ({ op: 'delete' as const, key })),
    ]);
    await runCommand(page, 'Orchestra: Verify Migration Plan');
    await page.locator('.notifications-toasts', { hasText: 'Orchestra plan for' }).first().waitFor();
    const memory = row('Memory System');
    await page.locator(ROWS, { hasText: '+50 ~30 −20 to sync' }).first().waitFor();
    assert.match(await memory.innerText(), /Memory System[\s\S]*\+50 ~30 −20 to sync/);
    await memory.click();
    const copy = row('Copy memory records');
    await copy.waitFor();
    assert.match(await copy.innerText(), /\+50 ~30 −20 to sync/);
    await copy.hover();
    const hover = page.locator('.monaco-hover', { hasText: '50 new, 30 updated, 20 deleted' }).first();
    await hover.waitFor();
    await snap(page, run, 'teardown-01-sync-delta-in-tree');
    await page.mouse.move(900, 700);
    await memory.click();
  });

  it("Cutover from the Memory System row's menu asks first: the modal shows its plan (source read-only, the final delta, each endpoint switched); Cancel changes nothing", async () => {
    const common = await readFile(path.join(run.workspace, 'config', 'common.json'), 'utf8');
    // Offered where the copy it finishes is shown, once that copy is complete.
    await contextMenu(page, row('Memory System'), 'Cutover to the Cloud…');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Cut project "${PROJECT}" over to the cloud\\?`));
    assert.match(text, /Final delta to .*: 50 new, 30 updated, 20 deleted/);
    assert.match(text, /memory\.endpoint -> http\S+ in config\/: local\.json, /);
    // The plan's advice names the palette command, not the CLI an editor user may not have.
    assert.match(text, /"Orchestra: Rollback Cutover…" undoes a finished cutover/);
    assert.doesNotMatch(text, /orchestra-migrate/);
    await page.locator('.notification-toast', { hasText: 'planning the cutover' }).waitFor({ state: 'detached' });
    await snap(page, run, 'teardown-02-cutover-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await readFile(path.join(run.workspace, 'config', 'common.json'), 'utf8'), common);
    assert.deepEqual(await readdir(path.join(run.workspace, 'config')), ['common.json'], 'no config file written');
    const write = await fetch(`${sandbox.urls.memory}/api/memory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'ui/still-writable', content: { ok: true } }),
    });
    assert.equal(write.status, 201, 'the source still takes writes');
  });

  it('Rollback Cutover before any cutover says there is nothing to roll back', async () => {
    await runCommand(page, 'Orchestra: Rollback Cutover');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'No cutover has run' }).first();
    await toast.waitFor();
    assert.match(
      await toast.innerText(),
      new RegExp(`No cutover has run for project ${PROJECT}: there is nothing to roll back`),
    );
    assert.match(await toast.innerText(), /"Orchestra: Cutover to the Cloud…" switches them to the cloud/);
    await page
      .locator('.notification-toast', { hasText: 'planning the cutover rollback' })
      .waitFor({ state: 'detached' });
    await snap(page, run, 'teardown-03-rollback-refused');
  });

  it('Destroy shows its plan: what goes in deletion order, the adopted repository and the data kept, an include-data choice', async () => {
    await runCommand(page, 'Orchestra: Destroy Migration Resources');
    const pick = page.locator('.quick-input-widget', { hasText: `Orchestra: Destroy in ${PROJECT}` });
    await pick.waitFor();
    const first = page.locator(PICK_ROWS).first();
    assert.match(await first.innerText(), /Delete \d+ resources…/);
    const include = page.locator(PICK_ROWS, { hasText: 'Include data-holding resources' }).first();
    await include.waitFor();
    await snap(page, run, 'teardown-04-destroy-plan');
    // The list draws only the rows in view: the filter finds the adopted repository's.
    const filter = pick.locator('.quick-input-box input');
    await filter.fill('Artifact Registry repository');
    const adopted = page.locator(PICK_ROWS, { hasText: 'Artifact Registry repository' }).first();
    assert.match(await adopted.innerText(), /existed before the migration \(adopted\): never deleted/);
    await filter.fill('');
    await include.waitFor();
    // With data: the plan is read again and offers to keep the data instead.
    await include.click();
    const keep = page.locator(PICK_ROWS, { hasText: 'Keep data-holding resources' }).first();
    await keep.waitFor();
    assert.match((await filter.getAttribute('placeholder')) ?? '', /resources to delete, .*\(data included\)/);
    await snap(page, run, 'teardown-05-destroy-plan-with-data');
    await keep.click();
    await page.locator(PICK_ROWS, { hasText: 'Include data-holding resources' }).first().waitFor();
  });

  it("from API Deployment's context menu: the typed confirmation refuses a wrong project id, takes the right one; that phase's resources go, the tree shows it", async () => {
    await destroyFromRow('API Deployment', `Orchestra: Destroy in ${PROJECT} (api-deployment)`);
    await page.locator(PICK_ROWS, { hasText: 'Delete 1 resource…' }).first().click();
    const box = page.locator('.quick-input-widget', {
      hasText: new RegExp(`Orchestra: Destroy \\d+ resources? in ${PROJECT}`),
    });
    await box.locator('.quick-input-message', { hasText: `Type the project id (${PROJECT}) to confirm` }).waitFor();
    const input = box.locator('.quick-input-box input');
    await input.fill(`${PROJECT}-typo`);
    const message = box.locator('.quick-input-message', { hasText: 'is not the project id' });
    await message.waitFor();
    await page.keyboard.press('Enter');
    // Refused: the box stays open with the message, and nothing was deleted.
    assert.match(
      await message.innerText(),
      new RegExp(`"${PROJECT}-typo" is not the project id: type ${PROJECT} exactly`),
    );
    assert.equal(
      (await gcp('GET', `/v2/projects/${PROJECT}/locations/${LOCATION}/services/orchestra-api`)).status,
      200,
    );
    await snap(page, run, 'teardown-06-typed-confirm-refused');
    await input.fill(PROJECT);
    await message.waitFor({ state: 'detached' });
    await snap(page, run, 'teardown-07-typed-confirm');
    await page.keyboard.press('Enter');
    await page
      .locator('.notifications-toasts', { hasText: `destroy of ${PROJECT} done` })
      .first()
      .waitFor();
    await page.locator(ROWS, { hasText: 'stale' }).first().waitFor();
    assert.match(await row('API Deployment').innerText(), /stale/);
    assert.doesNotMatch(await row('Hybrid Config').innerText(), /stale/, 'other phases untouched');
    await row('API Deployment').click();
    // The plan made before the teardown no longer describes anything: the rows say so.
    assert.match(await row('Cloud Run service').innerText(), /not planned yet/);
    await snap(page, run, 'teardown-08-tree-after-destroy');
    await row('API Deployment').click();
    // The emulator is the judge: the service is gone; the adopted repository and the data stay.
    assert.equal(
      (await gcp('GET', `/v2/projects/${PROJECT}/locations/${LOCATION}/services/orchestra-api`)).status,
      404,
    );
    assert.equal((await gcp('GET', `/v1/${repository}`)).status, 200, 'the adopted repository is kept');
    assert.equal(
      (await gcp('GET', `/v1/projects/${PROJECT}/databases/(default)`)).status,
      200,
      'the Firestore database (data) is kept',
    );
    assert.equal(
      (await gcp('GET', `/v1/projects/${PROJECT}/secrets/orchestra-config`)).status,
      200,
      "another phase's secret is kept",
    );
  });
});
