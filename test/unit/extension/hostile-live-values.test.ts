/**
 * Values a person sets outside the tool (in the Cloud console) come back in Verify's plan as
 * the live side of a field diff. They are shown in the Plan & Run panel and the tree's tooltip:
 * both must show them as text, whatever they hold. The report shows no plan values (only step
 * errors, covered by the report's own hostile-text tests).
 */
import './vscode-stub';
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { chromium, type Browser } from 'playwright-core';
import type { Plan } from '../../../src/core/workspace';
import { builtInPhases } from '../../../src/core/migration/phases';
import { snapshotOf } from '../../../src/core/migration/monitor';
import { emptyState } from '../../../src/core/migration/state';
import { PhaseTreeProvider } from '../../../src/extension/phase-tree';
import { toPanelPlan } from '../../../src/extension/plan-panel-model';
import { PlanTracker } from '../../../src/extension/plan-tracker';
import { phaseNodes, type PhaseNode, type StepNode } from '../../../src/extension/presentation';
import { PROTOCOL_VERSION, type HostMessage } from '../../../src/shared/plan-protocol';
import { migratedWorld, openEngine, PROJECT, type World } from '../migration/world';
import { panelPage } from './panel-page';
import type { MarkdownString } from './vscode-stub';

const MARKUP = '<img src=x onerror="window.__pwned=3"><script>window.__pwned=4</script>';
/** A well-formed image reference Google admits, whose name reads as a `javascript:` URL. */
const JS_IMAGE = 'docker.io/javascript:alert1';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('values changed in the Cloud console reach the plan, the panel and the tooltip as text', function () {
  this.timeout(90_000);
  let world: World;
  let servicePath: string;

  /** What the console sends: a PATCH of the service, with the user's token. */
  const consolePatch = (body: unknown) =>
    fetch(`${world.emulator.url}${servicePath}`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const liveService = async () =>
    (await (
      await fetch(`${world.emulator.url}${servicePath}`, { headers: { authorization: 'Bearer test-token' } })
    ).json()) as { description?: string; template: { containers: { image: string }[] } };

  before(async () => {
    world = await migratedWorld({ records: 5 });
    const { location, phases } = world.config;
    servicePath = `/v2/projects/${PROJECT}/locations/${location}/services/${phases.apiDeployment.serviceName}`;
  });
  after(async () => world?.close());

  async function verify(): Promise<Plan> {
    const h = await openEngine(world.config, world.workspace);
    try {
      return await h.workspace.verify({ phases: ['api-deployment'] });
    } finally {
      await h.close();
    }
  }

  it('Cloud Run refuses markup as an image, as Google does (400), and the service keeps its image', async () => {
    const before = await liveService();
    const image = before.template.containers[0].image;
    const response = await consolePatch({
      template: { ...before.template, containers: [{ ...before.template.containers[0], image: MARKUP }] },
    });
    assert.equal(response.status, 400);
    const error = ((await response.json()) as { error: { status: string; message: string } }).error;
    assert.equal(error.status, 'INVALID_ARGUMENT');
    assert.match(error.message, /Expected an image path like \[host\/\]repo-path\[:tag and\/or @digest\]/);
    assert.equal((await liveService()).template.containers[0].image, image);
    const step = (await verify()).phases[0].steps.find((s) => s.id === 'api-deployment/service')!;
    assert.equal(step.action, 'ok', JSON.stringify(step));
  });

  it('free text Google accepts (the description) is stored, and no plan carries it', async () => {
    const response = await consolePatch({ description: MARKUP });
    assert.equal(response.status, 200, await response.text());
    assert.equal((await liveService()).description, MARKUP);
    const plan = await verify();
    assert.doesNotMatch(JSON.stringify(plan), /onerror|<script/);
  });

  describe('an image changed in the console to a `javascript:` name', () => {
    let plan: Plan;
    /** The verified plan, and the same plan with markup as its live value (any free text a diff may show). */
    let hostile: Plan;

    before(async () => {
      const live = await liveService();
      const response = await consolePatch({
        template: { ...live.template, containers: [{ ...live.template.containers[0], image: JS_IMAGE }] },
      });
      assert.equal(response.status, 200, await response.text());
      plan = await verify();
      hostile = structuredClone(plan);
      const diff = hostile.phases[0].steps.find((s) => s.id === 'api-deployment/service')!.diff!;
      diff[0] = { ...diff[0], live: MARKUP };
    });

    it('the plan carries the live value unchanged in the field diff', () => {
      const step = plan.phases[0].steps.find((s) => s.id === 'api-deployment/service')!;
      assert.equal(step.action, 'update');
      assert.equal(step.drift, 'changed');
      assert.deepEqual(step.diff?.[0], {
        field: 'template.containers[0].image',
        live: JS_IMAGE,
        desired: step.diff?.[0].desired,
      });
      assert.notEqual(step.diff?.[0].desired, JS_IMAGE);
    });

    it('the tree tooltip escapes it: no HTML, no link, not trusted; it reads as the value', () => {
      for (const p of [plan, hostile]) {
        const tooltip = serviceTooltip(p);
        assert.ok(!(tooltip as { isTrusted?: unknown }).isTrusted, 'commands in links stay disabled');
        assert.ok(!(tooltip as { supportHtml?: unknown }).supportHtml, 'HTML is not rendered');
        // Every character Markdown reads as markup is escaped: no tag, no [text](url) link.
        assert.doesNotMatch(tooltip.value, /(^|[^\\])[<>]/);
        assert.doesNotMatch(tooltip.value, /(^|[^\\])\]\(/);
        const live = p.phases[0].steps.find((s) => s.id === 'api-deployment/service')!.diff![0].live as string;
        assert.ok(tooltip.value.replace(/\\(.)/g, '$1').includes(JSON.stringify(live)), tooltip.value);
      }
    });

    it('the panel (its real bundle, in Chromium) shows it as text: no img, no script run, no javascript: href', async () => {
      const browser: Browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox'],
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.setContent(await panelPage());
        await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
        for (const p of [toPanelPlan(plan), toPanelPlan(hostile)]) {
          const init: HostMessage = { type: 'init', protocol: PROTOCOL_VERSION, plan: p };
          await page.evaluate((message) => window.postMessage(message, '*'), init);
          const row = page.locator('tr[data-step="api-deployment/service"]');
          const live = p.phases[0].steps.find((s) => s.id === 'api-deployment/service')!.diff[0].live;
          await row.locator('del', { hasText: live }).waitFor();
          assert.equal(await row.locator('del').first().textContent(), live);
          assert.equal(await page.locator('#app img, #app script').count(), 0);
          const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''));
          assert.ok(hrefs.length > 0, 'the console link is there');
          for (const href of hrefs) assert.match(href, /^https:\/\/console\.cloud\.google\.com\//);
        }
        assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    });
  });
});

function serviceTooltip(plan: Plan): MarkdownString {
  const phases = builtInPhases().infos();
  const steps = plan.phases.flatMap((ph) =>
    ph.steps.map((s) => ({ id: s.id, phase: ph.phase, title: s.title, kind: s.kind })),
  );
  const plans = new PlanTracker();
  plans.set(plan);
  const provider = new PhaseTreeProvider();
  const state = emptyState(
    PROJECT,
    new Date(),
    phases.map((p) => p.id),
  );
  provider.show(phaseNodes(phases, snapshotOf(state, phases), { steps, plans }), undefined);
  const phase = provider
    .getChildren()
    .find((n): n is PhaseNode => n.kind === 'phase' && n.phase.id === 'api-deployment')!;
  const node = provider
    .getChildren(phase)
    .find((n): n is StepNode => n.kind === 'step' && n.step.id === 'api-deployment/service')!;
  return provider.getTreeItem(node).tooltip as unknown as MarkdownString;
}
