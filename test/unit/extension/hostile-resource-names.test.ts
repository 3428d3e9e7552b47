/**
 * Resource names are what the APIs answer, and an endpoint that is compromised or buggy (or
 * something between this machine and it) can answer anything. With the emulator's fault
 * injection (answeredNames) naming an operation, an image digest, a secret version and a
 * service account with markup, a `javascript:` URL, `|`, a backtick and a newline, a rehearsal
 * through the command line (child processes) refuses each name it would poll, deploy or
 * record, naming it and where it came from; and every place that shows them (the report's
 * Markdown and HTML, the Plan & Run panel's real bundle in Chromium, the tree's tooltips)
 * shows the characters as spelled: no element, no handler, no link but the console's.
 */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import { after, before, describe, it } from 'mocha';
import { chromium, type Browser } from 'playwright-core';
import type { MigrationState } from '../../../src/core/migration/state';
import { builtInPhases } from '../../../src/core/migration/phases';
import { snapshotOf } from '../../../src/core/migration/monitor';
import { openWorkspace, type Plan, type WorkspaceReport } from '../../../src/core/workspace';
import { PhaseTreeProvider } from '../../../src/extension/phase-tree';
import { RunModel, toPanelPlan } from '../../../src/extension/plan-panel-model';
import { PlanTracker } from '../../../src/extension/plan-tracker';
import { phaseNodes, shortValue, type PhaseNode, type StepNode } from '../../../src/extension/presentation';
import { PROTOCOL_VERSION, type HostMessage } from '../../../src/shared/plan-protocol';
import type { AnsweredName } from '../../../src/sandbox/gcp/faults';
import { runCli, type CliResult } from '../hardening/harness';
import { cliWorkspace, PROJECT, startWorld, type World } from '../migration/world';
import { renderedReports } from '../report/rendered';
import { panelPage } from './panel-page';
import type { MarkdownString } from './vscode-stub';

/** Each name as the emulator answers it, and the step that reads it back. */
const NAMES = {
  /** Firestore's create answers this as its operation's name: the product would poll it. */
  operation: { value: '<script>alert(1)</script>', step: 'memory-system/firestore-database' },
  /** Cloud Build's results name this digest: the product would record and deploy it. */
  digest: { value: 'sha256:<img src=x onerror=alert(1)>', step: 'api-deployment/image' },
  /** Secret Manager's addVersion answers this as the new version's name: recorded at cutover. */
  version: { value: 'javascript:alert(1)//a|b`c\nd', step: 'hybrid-config/secret-version' },
} as const;
/** Cloud Run answers this as the live service's account: shown in Verify's field diff only. */
const SERVICE_ACCOUNT = 'javascript:alert(1)//<img src=x onerror=alert(1)><script>alert(1)</script>|a`b\nc';
const SERVICE_STEP = 'api-deployment/service';
/** A build id that would end the log line and forge one of its own. */
const FORGED_LINE = 'b1\n[error] forged <img src=x onerror=alert(1)>';

const REFUSALS: AnsweredName[] = [
  { method: 'POST', pathContains: `/projects/${PROJECT}/databases`, field: 'name', value: NAMES.operation.value },
  { pathContains: '/operations/', field: 'response.results.images.0.digest', value: NAMES.digest.value },
  { method: 'POST', pathContains: ':addVersion', field: 'name', value: NAMES.version.value },
  // Only logged: the build's id and its log page, which the Output channel would make a link.
  { method: 'POST', pathContains: '/builds', field: 'metadata.build.id', value: FORGED_LINE },
  { method: 'POST', pathContains: '/builds', field: 'metadata.build.logUrl', value: 'javascript:alert(1)' },
];

/** The text a reader sees in an HTML page: tags dropped, the entities markdown-it writes decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** No element, handler or script link from the data; every link the console's. */
function assertInert(page: string, where: string): void {
  // The Markdown export's own picture: the timeline it writes beside itself.
  const html = page.replace(/<img src="report\.timeline\.svg" alt="[^"<>]*">/, '');
  const element = /<(script|img|iframe)\b[^>]*>?/i.exec(html);
  assert.equal(element, null, `${where}: an element from the data: ${element?.[0]}`);
  assert.doesNotMatch(html, /<[^>]*\son\w+\s*=/i, `${where}: an event handler`);
  assert.doesNotMatch(html, /(href|src|action)\s*=\s*"?\s*javascript:/i, `${where}: a javascript: link`);
  for (const a of html.matchAll(/<a\s[^>]*>/gi))
    assert.match(a[0], /href="https:\/\/console\.cloud\.google\.com\//, `${where}: a link that is not the console's`);
}

describe('resource names an API answers with markup in them (emulator fault injection)', function () {
  this.timeout(240_000);
  let world: World;
  const runs: Record<string, CliResult> = {};
  let failedState: MigrationState;
  let markdown: string;
  let html: string;
  let rendered: { page: WorkspaceReport; standalone: WorkspaceReport };
  let plan: Plan;

  const run = (args: string[]) => runCli(args, world.workspace);

  const readState = async () =>
    JSON.parse(
      await readFile(path.join(world.workspace, '.orchestra', `state-${PROJECT}.json`), 'utf8'),
    ) as MigrationState;

  before(async () => {
    world = await startWorld({ records: 20 });
    await cliWorkspace(world);
    world.emulator.setFaults({ answeredNames: REFUSALS });
    runs.refused = await run(['execute', '--yes']);
    failedState = await readState();
    runs.markdown = await run(['report', '--out', 'report.md']);
    runs.html = await run(['report', '--html', '--out', 'report.html']);
    markdown = await readFile(path.join(world.workspace, 'report.md'), 'utf8');
    html = await readFile(path.join(world.workspace, 'report.html'), 'utf8');
    const workspace = openWorkspace({ folder: world.workspace, env: {} });
    try {
      rendered = await renderedReports(workspace);
    } finally {
      await workspace.close();
    }
    // Then the names come back right, the migration completes, and Cloud Run names a hostile account.
    world.emulator.setFaults({ answeredNames: [] });
    runs.completed = await run(['execute', '--yes']);
    world.emulator.setFaults({
      answeredNames: [
        {
          method: 'GET',
          pathContains: '/services/orchestra-api',
          field: 'template.serviceAccount',
          value: SERVICE_ACCOUNT,
        },
      ],
    });
    runs.verify = await run(['verify', '--out', 'plan.json']);
    plan = JSON.parse(await readFile(path.join(world.workspace, 'plan.json'), 'utf8')) as Plan;
  });
  after(async () => world?.close());

  it('execute fails each step whose name it would use, naming the name as answered and where it came from', () => {
    assert.equal(runs.refused.code, 1, runs.refused.stderr);
    const error = (step: string) => failedState.steps[step]?.error ?? '';
    assert.equal(failedState.steps[NAMES.operation.step]?.status, 'failed');
    assert.match(
      error(NAMES.operation.step),
      /firestore: the answer to POST \/v1\/projects\/orchestra-test\/databases named its operation "<script>alert\(1\)<\/script>", which is not a Google operation name .*so it is not polled/,
    );
    assert.ok(
      error(NAMES.digest.step).includes(`Cloud Build answered ${JSON.stringify(NAMES.digest.value)} as the digest of`),
      error(NAMES.digest.step),
    );
    assert.match(error(NAMES.digest.step), /neither recorded nor deployed/);
    assert.ok(
      error(NAMES.version.step).includes(`Secret Manager answered ${JSON.stringify(NAMES.version.value)} as the name`),
      error(NAMES.version.step),
    );
    assert.match(error(NAMES.version.step), /so it is not recorded/);
    assert.equal(failedState.steps[SERVICE_STEP]?.status, 'blocked', 'nothing deployed the refused image');
    // The terminal shows them too, escaped as JSON: the newline cannot forge a line.
    assert.ok((runs.refused.stdout + runs.refused.stderr).includes(JSON.stringify(NAMES.version.value)));
  });

  it("the log quotes what Cloud Build answered: no forged line, and no link but the console's", async () => {
    const dir = path.join(world.workspace, 'logs', 'migration');
    const log = (await Promise.all((await readdir(dir)).map((f) => readFile(path.join(dir, f), 'utf8')))).join('\n');
    const line = log.split('\n').find((l) => l.includes('api image: Cloud Build'));
    assert.ok(line?.includes(`Cloud Build ${JSON.stringify(FORGED_LINE)} building`), line);
    assert.match(
      line!,
      /logs: \(not shown: Cloud Build answered "javascript:alert\(1\)", not a console\.cloud\.google\.com URL\)/,
    );
    assert.doesNotMatch(log, /^\S*\s*\[error\] forged/m, 'a forged line');
  });

  it('nothing polls, records or deploys a refused name', () => {
    assert.equal(failedState.outputs.apiImage, undefined, 'no image recorded');
    const sent = world.emulator
      .requestLog()
      .filter((r) => /<script|onerror|%3C|javascript:/i.test(`${r.path} ${JSON.stringify(r.body ?? '')}`));
    assert.deepEqual(sent, [], 'a refused name was sent back to the API');
  });

  it('the report (Markdown export, report tab, --html) shows each refusal as the characters answered', () => {
    assert.equal(runs.markdown.code, 0, runs.markdown.stderr);
    assert.equal(runs.html.code, 0, runs.html.stderr);
    const pages: [string, string][] = [
      [html, 'report --html'],
      [rendered.page.html!, 'report tab'],
      [rendered.standalone.html!, 'report --html (in process)'],
      // A viewer that renders raw HTML in Markdown (html: true) still finds no element in the export.
      [new MarkdownIt({ html: true }).render(markdown), 'report.md rendered with HTML on'],
    ];
    for (const [page, where] of pages) {
      assertInert(page, where);
      const shown = visibleText(page);
      for (const { value } of Object.values(NAMES))
        assert.ok(shown.includes(JSON.stringify(value)), `${where}: ${JSON.stringify(value)} is not shown as spelled`);
    }
  });

  it('the Markdown export keeps each name on its row: a | or a newline in it splits nothing', () => {
    const failures = markdown.split('\n').filter((line) => line.includes('not a version name'));
    assert.ok(failures.length > 0, 'the refusal is in the export');
    for (const line of failures) assert.doesNotMatch(line.replace(/\\\|/g, ''), /a\|b/, line);
    assert.doesNotMatch(markdown, /(^|[^\\])<(script|img)/m, 'raw markup in the Markdown');
  });

  it('once the names come back right the migration completes; Verify then shows the hostile account as the live value', () => {
    assert.equal(runs.completed.code, 0, runs.completed.stderr);
    assert.equal(runs.verify.code, 0, runs.verify.stderr);
    const step = plan.phases.flatMap((p) => p.steps).find((s) => s.id === SERVICE_STEP)!;
    assert.equal(step.action, 'update');
    const diff = step.diff?.find((d) => d.field === 'template.serviceAccount');
    assert.equal(diff?.live, SERVICE_ACCOUNT);
    assert.ok(runs.verify.stdout.includes(JSON.stringify(SERVICE_ACCOUNT)), runs.verify.stdout);
  });

  it('the tree tooltips (the planned diff, each failed step) render as text: no element, no link, not trusted', () => {
    const md = new MarkdownIt({ html: false, linkify: false });
    const tips = [
      { tip: tooltip(SERVICE_STEP, { plan }), expect: [shortValue(SERVICE_ACCOUNT)] },
      ...Object.values(NAMES).map(({ value, step }) => ({
        tip: tooltip(step, { state: failedState }),
        expect: [JSON.stringify(value).replace(/\n/g, ' ')],
      })),
    ];
    for (const { tip, expect } of tips) {
      assert.ok(!(tip as { isTrusted?: unknown }).isTrusted, 'commands in links stay disabled');
      assert.ok(!(tip as { supportHtml?: unknown }).supportHtml, 'HTML is not rendered');
      const page = md.render(tip.value);
      assertInert(page, 'tooltip');
      assert.doesNotMatch(page, /<a /, 'no link in a tooltip');
      for (const text of expect)
        assert.ok(visibleText(page).replace(/\s+/g, ' ').includes(text), `${text} in ${tip.value}`);
    }
  });

  it('the panel (its real bundle, in Chromium) shows the diff and the failures as text; its links are the console', async () => {
    const browser: Browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const dialogs: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.setContent(await panelPage());
      await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
      const init: HostMessage = {
        type: 'init',
        protocol: PROTOCOL_VERSION,
        plan: toPanelPlan(plan),
        run: failedRun(failedState),
      };
      await page.evaluate((message) => window.postMessage(message, '*'), init);
      const live = shortValue(SERVICE_ACCOUNT, 200);
      const row = page.locator(`tr[data-step="${SERVICE_STEP}"]`);
      await row.locator('del').first().waitFor();
      assert.equal(await row.locator('del').first().textContent(), live);
      const causes = page.locator('.cause');
      await causes.first().waitFor();
      const shown = (await causes.allTextContents()).join('\n');
      for (const { value } of Object.values(NAMES))
        assert.ok(shown.includes(JSON.stringify(value)), `${JSON.stringify(value)} in the panel: ${shown}`);
      assert.equal(await page.locator('#app img, #app script, #app iframe').count(), 0);
      assert.equal(await page.locator('#app [onerror], #app [onload], #app [onclick]').count(), 0);
      const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
      assert.ok(hrefs.length > 0, 'the console links are there');
      for (const href of hrefs) assert.match(href, /^https:\/\/console\.cloud\.google\.com\//);
      assert.deepEqual(dialogs, [], 'a script ran');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});

/** The step's tooltip in the phase tree, from a plan (its planned row) or a state (its record). */
function tooltip(stepId: string, from: { plan?: Plan; state?: MigrationState }): MarkdownString {
  const phases = builtInPhases().infos();
  const plans = new PlanTracker();
  if (from.plan) plans.set(from.plan);
  const steps = (from.plan?.phases ?? []).flatMap((ph) =>
    ph.steps.map((s) => ({ id: s.id, phase: ph.phase, title: s.title, kind: s.kind })),
  );
  const provider = new PhaseTreeProvider();
  const state = from.state ?? (undefined as unknown as MigrationState);
  provider.show(phaseNodes(phases, state ? snapshotOf(state, phases) : undefined, { steps, plans }), undefined);
  const phaseId = stepId.split('/')[0];
  const phase = provider.getChildren().find((n): n is PhaseNode => n.kind === 'phase' && n.phase.id === phaseId)!;
  const node = provider.getChildren(phase).find((n): n is StepNode => n.kind === 'step' && n.step.id === stepId);
  assert.ok(node, `no row for ${stepId}`);
  return provider.getTreeItem(node).tooltip as unknown as MarkdownString;
}

/** The refused run as the panel followed it: each step's start and end as the engine sent them. */
function failedRun(state: MigrationState): NonNullable<Extract<HostMessage, { type: 'init' }>['run']> {
  const steps = Object.values(state.steps);
  const start = Math.min(...steps.map((s) => Date.parse(s.startedAt ?? new Date().toISOString())));
  const model = new RunModel('refused', start, []);
  for (const s of steps) {
    if (!s.startedAt) continue;
    model.apply({ type: 'step-started', step: s.id, phase: s.phase, at: s.startedAt });
    if (s.status === 'failed')
      model.apply({
        type: 'step-failed',
        step: s.id,
        phase: s.phase,
        error: s.error ?? '',
        at: s.finishedAt ?? s.startedAt,
      });
  }
  return model.snapshot();
}
