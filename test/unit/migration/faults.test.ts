import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'mocha';
import { openEngine, startWorld, type World } from './world';

describe('execute under injected faults', function () {
  this.timeout(90_000);
  let world: World;
  let run = 0;

  before(async () => {
    world = await startWorld({ records: 40 });
  });
  afterEach(() => {
    world.emulator.reset();
  });
  after(async () => world?.close());

  it("a failed operation leaves the cluster degraded: execute reports the operation's error, verify says blocked and why", async () => {
    const message = 'Cluster creation failed: subnetwork has no free IP range.';
    world.emulator.setFaults({
      operationFailures: [{ count: 1, code: 9, message, pathContains: 'workstationClusters' }],
    });
    const h = await openEngine(world.config, path.join(world.dir, `ws-${run++}`));
    try {
      const result = await h.engine.execute(['core-infrastructure', 'workstation-configuration']);
      assert.equal(result.status, 'failed');
      const failure = result.failures.find((f) => f.step === 'workstation-configuration/cluster');
      assert.match(failure?.error ?? '', new RegExp(message.replace(/[.]/g, '\\.')));
      const plan = await h.engine.verify(['workstation-configuration']);
      const cluster = plan.phases[0].steps.find((s) => s.id === 'workstation-configuration/cluster')!;
      assert.equal(cluster.action, 'blocked');
      assert.equal(cluster.reason, `it is in a failed state: ${message}`);
      // Executing again does not wait on it: it names the failure at once.
      const again = await h.engine.execute(['workstation-configuration']);
      assert.match(
        again.failures.find((f) => f.step === 'workstation-configuration/cluster')?.error ?? '',
        /is in a failed state: Cluster creation failed/,
      );
    } finally {
      await h.close();
    }
  });

  it('completes with 20% 503s and 5% 429s on every Google call, retrying', async () => {
    world.emulator.setFaults({ errorRate503: 0.2, errorRate429: 0.05 });
    const h = await openEngine(world.config, path.join(world.dir, `ws-${run++}`));
    try {
      const result = await h.engine.execute();
      assert.deepEqual(result.failures, []);
      assert.equal(result.status, 'completed');
      const errors = world.emulator.requestLog().filter((r) => r.status === 503 || r.status === 429);
      assert.ok(errors.length >= 5, `faults were injected (${errors.length})`);
      // The client repeats what AIP-194 lets it repeat: every read (GETs, operation polls, the
      // read-only POSTs) and enabling a service. A create without an id (a build, an upload),
      // setIamPolicy and addVersion are not repeated by the client: their steps read back and decide.
      const repeatable = errors.filter(
        (r) => r.method === 'GET' || /:(getIamPolicy|testIamPermissions|enable|batchEnable)$/.test(r.path),
      );
      assert.ok(
        h.gcp.stats.retries >= repeatable.length,
        `the client retried every fault it may repeat (${h.gcp.stats.retries} retries, ${repeatable.length} such faults)`,
      );
      for (const phase of Object.values(h.engine.state().phases)) assert.equal(phase.status, 'completed');
      assert.ok(h.engine.state().metrics.retries >= h.gcp.stats.retries, 'the run counts the retries in its metrics');
    } finally {
      await h.close();
    }
  });

  it('a denied permission fails its phase naming the permission, blocks dependants, and independent phases complete', async () => {
    world.emulator.setFaults({ deniedPermissions: ['artifactregistry.repositories.create'] });
    const h = await openEngine(world.config, path.join(world.dir, `ws-${run++}`));
    try {
      const result = await h.engine.execute();
      assert.equal(result.status, 'failed');
      const state = h.engine.state();
      const core = state.phases['core-infrastructure'];
      assert.equal(core.status, 'failed');
      assert.match(core.error ?? '', /artifactregistry\.repositories\.create/);
      assert.equal(state.steps['core-infrastructure/repository'].status, 'failed');
      // Core's other resources were independent of the repository: they exist.
      for (const id of ['api-iam', 'service-account', 'runtime-roles', 'reports-bucket']) {
        assert.equal(state.steps[`core-infrastructure/${id}`].status, 'done', id);
      }
      assert.equal(state.steps['api-deployment/service'].status, 'blocked');
      assert.equal(state.steps['api-deployment/service'].blockedBy, 'core-infrastructure/repository');
      // The source upload needs only the bucket, so it ran; the phase then stopped at the build.
      assert.equal(state.steps['api-deployment/source'].status, 'done');
      assert.equal(state.steps['api-deployment/image'].blockedBy, 'core-infrastructure/repository');
      assert.equal(state.phases['api-deployment'].status, 'failed');
      assert.equal(state.phases['api-deployment'].blockedBy, 'core-infrastructure/repository');
      assert.equal(state.steps['validation/resources'].status, 'blocked');
      for (const id of ['workstation-configuration', 'memory-system', 'hybrid-config', 'ai-coding'] as const) {
        assert.equal(state.phases[id].status, 'completed', `${id}: ${state.phases[id].error}`);
      }
      // No attempt was made to create the service whose dependency failed.
      const runCreates = world.emulator
        .requestLog()
        .filter((r) => r.method === 'POST' && r.path.includes('/services') && r.path.startsWith('/v2/'));
      assert.deepEqual(runCreates, []);

      // verify names the missing permission too (testIamPermissions preflight).
      const plan = await h.engine.verify(['core-infrastructure']);
      const repo = plan.phases[0].steps.find((s) => s.id === 'core-infrastructure/repository')!;
      assert.equal(repo.action, 'blocked');
      assert.deepEqual(repo.missingPermissions, ['artifactregistry.repositories.create']);
      assert.deepEqual(plan.missingPermissions, ['artifactregistry.repositories.create']);

      // Once the permission is granted, execute picks up where it failed.
      world.emulator.setFaults({ deniedPermissions: [] });
      const again = await h.engine.execute();
      assert.equal(again.status, 'completed', JSON.stringify(again.failures));
      assert.equal(h.engine.state().phases['api-deployment'].status, 'completed');
    } finally {
      await h.close();
    }
  });
});
