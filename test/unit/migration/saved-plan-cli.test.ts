import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { GcpClient } from '../../../src/core/gcp/types';
import type { SavedPlan } from '../../../src/core/workspace';
import { runCli } from '../hardening/harness';
import { MUTATING, PROJECT, READ_ONLY_POST, cliWorkspace, startWorld, testGcpClient, type World } from './world';

/**
 * verify --out / execute --plan through the built command line, each a child process, as
 * a user or CI runs them: a plan executes as reviewed, and a plan the project has moved
 * away from is refused with exit 2, changing nothing.
 */
describe('orchestra-migrate verify --out / execute --plan (child processes)', function () {
  this.timeout(120_000);
  let world: World;
  let gcp: GcpClient;
  const commonFile = () => path.join(world.workspace, 'config', 'common.json');
  const service = `/v2/projects/${PROJECT}/locations/us-central1/services/orchestra-api`;
  const secret = `/v1/projects/${PROJECT}/secrets/orchestra-config`;

  before(async () => {
    world = await startWorld({ records: 20 });
    gcp = testGcpClient(world.config);
    await cliWorkspace(world);
  });
  after(async () => world?.close());

  const run = (args: string[]) => runCli(args, world.workspace);

  /** Requests that change something (the read-only POSTs Google defines aside). */
  const writes = () =>
    world.emulator
      .requestLog()
      .filter(MUTATING)
      .filter((r) => !READ_ONLY_POST.test(r.path))
      .map((r) => `${r.method} ${r.path}`);

  const readPlan = async (name: string) =>
    JSON.parse(await readFile(path.join(world.workspace, name), 'utf8')) as SavedPlan;

  it('verify --out writes the plan with its basis and date; execute --plan applies it and exits 0', async () => {
    world.emulator.clearRequestLog();
    const verify = await run(['verify', '--out', 'plan.json']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /Saved the plan to plan\.json: orchestra-migrate execute --plan plan\.json/);
    assert.deepEqual(writes(), [], 'verify --out changes nothing in the project');
    const plan = await readPlan('plan.json');
    assert.equal(plan.planFileVersion, 1);
    assert.equal(plan.projectId, PROJECT);
    assert.ok(Math.abs(Date.parse(plan.createdAt) - Date.now()) < 120_000, plan.createdAt);
    assert.match(plan.basis.config, /^[0-9a-f]{64}$/);
    assert.match(plan.basis.state, /^[0-9a-f]{64}$/);
    const sa = plan.phases[0].steps.find((s) => s.id === 'core-infrastructure/service-account')!;
    assert.equal(sa.action, 'create');
    assert.match(sa.reason ?? '', /does not exist|its API is not enabled yet/);
    assert.equal(plan.phases.length, 7);

    const executed = await run(['execute', '--plan', 'plan.json', '--yes', '--json']);
    assert.equal(executed.code, 0, executed.stderr);
    assert.equal(JSON.parse(executed.stdout).status, 'completed');
    assert.ok(writes().includes(`POST /v1/projects/${PROJECT}/serviceAccounts`), 'the planned create ran');
  });

  it('a plan made before a run is refused after it: exit 2, the state changed, nothing changed', async () => {
    // plan.json was made on an empty state; the run above recorded every step.
    world.emulator.clearRequestLog();
    const again = await run(['execute', '--plan', 'plan.json', '--yes']);
    assert.equal(again.code, 2, again.stdout + again.stderr);
    assert.match(
      again.stderr,
      /The plan is stale: the state file changed \(a run, skip, reset or destroy\) since the plan was made \(\d{4}-\d\d-\d\dT[^)]+\)\. Nothing was changed\./,
    );
    assert.match(again.stderr, /fix: Run orchestra-migrate verify --out plan.json again/);
    assert.deepEqual(writes(), []);
  });

  it('a config change after verify: exit 2 naming the configuration, nothing changed', async () => {
    const verify = await run(['verify', '--out', 'plan-config.json']);
    assert.equal(verify.code, 0, verify.stderr);
    const original = await readFile(commonFile(), 'utf8');
    const doc = JSON.parse(original);
    doc.phases.validation.samples = 4;
    await writeFile(commonFile(), JSON.stringify(doc));
    try {
      world.emulator.clearRequestLog();
      const executed = await run(['execute', '--plan', 'plan-config.json', '--yes']);
      assert.equal(executed.code, 2, executed.stdout + executed.stderr);
      assert.match(
        executed.stderr,
        /The plan is stale: the configuration \(config files, settings or ORCHESTRA_\* variables\) changed since/,
      );
      assert.match(executed.stderr, /where: .*plan-config\.json/);
      assert.deepEqual(writes(), []);
    } finally {
      await writeFile(commonFile(), original);
    }
  });

  it('a live resource changed behind the tool: execute --plan stops before its step (exit 2, naming it); verify then reports the drift', async () => {
    const verify = await run(['verify', '--out', 'plan-live.json']);
    assert.equal(verify.code, 0, verify.stderr);
    const planned = (await readPlan('plan-live.json')).phases.flatMap((p) => p.steps);
    assert.equal(planned.find((s) => s.id === 'api-deployment/service')?.action, 'ok');

    // Someone deploys another image to the service, and destroys the config secret's version.
    const other = `us-central1-docker.pkg.dev/${PROJECT}/orchestra/orchestra-api:hotfix`;
    const pushed = await fetch(`${world.emulator.url}/__admin/images`, {
      method: 'POST',
      body: JSON.stringify({ uri: other }),
    });
    assert.equal(pushed.status, 200);
    const live = await gcp.request<{ template: { containers: { image: string }[] } }>({
      api: 'run',
      method: 'GET',
      path: service,
    });
    const before = live.template.containers[0].image;
    await gcp.request({
      api: 'run',
      method: 'PATCH',
      path: service,
      body: { ...live, template: { ...live.template, containers: [{ ...live.template.containers[0], image: other }] } },
    });
    const versions = await gcp.request<{ versions: { name: string; state: string }[] }>({
      api: 'secretmanager',
      method: 'GET',
      path: `${secret}/versions`,
    });
    for (const v of versions.versions.filter((x) => x.state === 'ENABLED')) {
      await gcp.request({ api: 'secretmanager', method: 'POST', path: `/v1/${v.name}:destroy`, body: {} });
    }
    await waitFor(async () => {
      const s = await gcp.request<{ reconciling?: boolean }>({ api: 'run', method: 'GET', path: service });
      return !s.reconciling;
    });

    world.emulator.clearRequestLog();
    const executed = await run(['execute', '--plan', 'plan-live.json', '--yes']);
    assert.equal(executed.code, 2, executed.stdout + executed.stderr);
    // Hybrid Config comes first in the run: its version was destroyed since the plan.
    assert.match(
      executed.stderr,
      /The plan is stale: (latest version of .*orchestra-config was deleted|service .*orchestra-api changed: template\.containers\[0\]\.image was "[^"]+", is now "[^"]*hotfix")/,
    );
    assert.deepEqual(
      writes().filter((w) => /secrets|services\/orchestra-api/.test(w)),
      [],
      'neither the secret nor the service was touched',
    );

    const drift = await run(['verify', '--json']);
    const plan = JSON.parse(drift.stdout) as SavedPlan;
    const step = (id: string) => plan.phases.flatMap((p) => p.steps).find((s) => s.id === id)!;
    const version = step('hybrid-config/secret-version');
    assert.deepEqual([version.action, version.drift], ['create', 'deleted']);
    assert.match(version.reason ?? '', /^deleted outside the tool since the last run/);
    const svc = step('api-deployment/service');
    assert.deepEqual([svc.action, svc.drift], ['update', 'changed']);
    assert.deepEqual(svc.diff?.[0], { field: 'template.containers[0].image', live: other, desired: before });
    const text = await run(['verify']);
    assert.match(text.stdout, /\+ create +hybrid-config\/secret-version: deleted outside the tool since the last run/);
    assert.match(text.stdout, /~ update +api-deployment\/service: changed since the last run/);
  });

  it('a plan file that is missing or not a plan is bad input naming the file (exit 2)', async () => {
    const missing = await run(['execute', '--plan', 'nope.json', '--yes']);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /The plan file .*nope\.json does not exist\.\n {2}where: --plan\n {2}fix: Write one with orchestra-migrate verify --out plan\.json/,
    );
    await writeFile(path.join(world.workspace, 'junk.json'), '{"planFileVersion":1,"projectId":"x"');
    const junk = await run(['execute', '--plan', 'junk.json', '--yes']);
    assert.equal(junk.code, 2);
    assert.match(junk.stderr, /junk\.json is not a plan written by verify --out: it is not JSON/);
    const both = await run(['execute', '--plan', 'plan.json', '--phase', 'validation', '--yes']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--plan and --phase exclude each other/);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
