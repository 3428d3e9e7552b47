import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { readStateFile } from '../../../src/core/migration/store';
import {
  apiOfPath,
  expectedResourcePaths,
  MUTATING,
  openEngine,
  READ_ONLY_POST,
  startWorld,
  testGcpClient,
  type World,
} from './world';

describe('migration engine against the local emulators', function () {
  this.timeout(60_000);
  let world: World;

  before(async () => {
    world = await startWorld({ records: 60 });
  });
  after(async () => world?.close());

  it('verify on an empty project plans creates and makes only GETs plus the read-only IAM POSTs', async () => {
    const h = await openEngine(world.config, world.workspace);
    try {
      world.emulator.clearRequestLog();
      const plan = await h.engine.verify();
      const log = world.emulator.requestLog();
      const nonGet = log.filter((r) => r.method !== 'GET');
      assert.ok(log.length > 10, 'verify read the resources');
      for (const r of nonGet) assert.match(r.path, READ_ONLY_POST, `verify sent ${r.method} ${r.path}`);
      assert.equal(nonGet.filter((r) => r.path.endsWith(':testIamPermissions')).length, 1, 'one permission preflight');
      // One project policy read, which both IAM bindings resources (runtime roles, team roles) plan from.
      assert.equal(nonGet.filter((r) => r.path.endsWith(':getIamPolicy')).length, 1);
      assert.equal(nonGet.length, 2);
      const core = plan.phases.find((p) => p.phase === 'core-infrastructure')!;
      assert.equal(core.steps.find((s) => s.id === 'core-infrastructure/service-account')?.action, 'create');
      const api = core.steps.find((s) => s.id === 'core-infrastructure/api-iam');
      assert.equal(api?.action, 'update');
      // The plan says what the update does, not only that a field differs.
      assert.equal(api?.reason, 'enable iam.googleapis.com');
      assert.deepEqual(plan.missingPermissions, []);
    } finally {
      await h.close();
    }
  });

  it('execute from an empty project completes every phase and creates every resource', async () => {
    const h = await openEngine(world.config, world.workspace);
    try {
      world.emulator.clearRequestLog();
      const result = await h.engine.execute();
      // Each call went to its own API's base, as to Google's host for it: an operation polled on
      // another API's host would have been answered 404, as there.
      const calls = world.emulator.requestLog().filter((r) => r.kind !== 'service-url' && r.path !== '/token');
      const unaddressed = calls.filter((r) => !r.api && !/^\/(upload\/)?storage\//.test(r.path));
      assert.deepEqual(
        unaddressed.map((r) => `${r.method} ${r.path}`),
        [],
      );
      assert.ok(
        calls.some((r) => r.kind === 'operation' && r.api === 'workstations'),
        'operations polled per API',
      );
      assert.deepEqual(result.failures, []);
      assert.equal(result.status, 'completed');
      const state = h.engine.state();
      assert.ok(state.metrics.created >= 10, `created ${state.metrics.created} resources`);
      assert.equal(state.metrics.custom.memory_records_copied, 60);
      for (const [id, phase] of Object.entries(state.phases))
        assert.equal(phase.status, 'completed', `${id}: ${phase.error}`);
      const gcp = testGcpClient(world.config);
      for (const p of expectedResourcePaths(world.config)) {
        assert.ok(await gcp.getOrUndefined(apiOfPath(p), p), `missing ${p}`);
      }
      assert.match(String(state.outputs.apiUrl), /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.equal(world.target.store.size, world.source.store.size);
      const onDisk = await readStateFile(h.engine.stateFile, world.config.projectId);
      assert.equal(onDisk?.run?.status, 'completed');
    } finally {
      await h.close();
    }
  });

  it('a second execute makes no mutating request, and verify then says ok everywhere', async () => {
    const h = await openEngine(world.config, world.workspace);
    try {
      world.emulator.clearRequestLog();
      const result = await h.engine.execute();
      assert.equal(result.status, 'completed');
      const mutating = world.emulator
        .requestLog()
        .filter(MUTATING)
        .filter((r) => !READ_ONLY_POST.test(r.path));
      assert.deepEqual(
        mutating.map((r) => `${r.method} ${r.path}`),
        [],
      );
      world.emulator.clearRequestLog();
      const plan = await h.engine.verify();
      for (const phase of plan.phases) {
        for (const step of phase.steps) {
          if (step.kind === 'resource') assert.equal(step.action, 'ok', `${step.id}: ${step.reason}`);
        }
      }
      // Each read once: two steps asking the same (an API's state, the project's policy, the
      // built image the service deploys) share one request instead of waiting on a second.
      const reads = world.emulator.requestLog().map((r) => `${r.method} ${r.path}`);
      const twice = reads.filter((r, i) => reads.indexOf(r) !== i);
      assert.deepEqual(twice, [], 'verify read these more than once');
      assert.equal(plan.requests, reads.length, "the plan's request count is the requests made");
    } finally {
      await h.close();
    }
  });
});
