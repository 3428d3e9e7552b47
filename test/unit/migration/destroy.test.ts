/**
 * Teardown after a full rehearsal: only what the migration created is deleted, in
 * reverse dependency order; what it adopted stays; data stays without includeData.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { defaultConfig } from '../../../src/core/config/defaults';
import { builtInPhases } from '../../../src/core/migration/phases';
import { apiOfPath, expectedResourcePaths, openEngine, startWorld, testGcpClient, type World } from './world';

describe('destroy: teardown of what the migration created', function () {
  this.timeout(120_000);
  let world: World;

  before(async () => (world = await startWorld({ records: 20 })));

  it('every resource teardown leaves alone says why, the vector store included', () => {
    const config = defaultConfig();
    config.projectId = 'kept-project';
    config.phases.memorySystem.vectorStore.enabled = true;
    const left = builtInPhases()
      .steps(config)
      .filter((s) => s.kind === 'resource' && !s.destroy);
    assert.ok(left.length >= 5, `${left.length} resources without a delete`);
    for (const step of left) assert.ok(step.kind === 'resource' && step.kept, `${step.id} does not say why it stays`);
  });
  after(async () => world?.close());

  async function present(): Promise<string[]> {
    const gcp = testGcpClient(world.config);
    const out: string[] = [];
    for (const p of expectedResourcePaths(world.config)) {
      if (p.endsWith('/versions/latest')) continue;
      if ((await gcp.getOrUndefined(apiOfPath(p), p)) !== undefined) out.push(p);
    }
    return out;
  }

  it('deletes only created resources, keeps the adopted one and data until includeData; a rerun changes nothing', async () => {
    const config = world.config;
    const gcp = testGcpClient(config);
    // Made outside the tool before the migration: execute adopts it.
    const op = await gcp.request<{ name: string }>({
      api: 'serviceusage',
      method: 'POST',
      path: `/v1/projects/${config.projectId}/services/artifactregistry.googleapis.com:enable`,
      body: {},
    });
    await gcp.waitForOperation('serviceusage', op as never);
    const created = await gcp.request<{ name: string }>({
      api: 'artifactregistry',
      method: 'POST',
      path: `/v1/projects/${config.projectId}/locations/${config.location}/repositories`,
      query: { repositoryId: config.phases.coreInfrastructure.repositoryId },
      body: { format: 'DOCKER' },
    });
    await gcp.waitForOperation('artifactregistry', created as never);
    const h = await openEngine(config, path.join(world.dir, 'ws-destroy'));
    try {
      const run = await h.engine.execute();
      assert.equal(run.status, 'completed', JSON.stringify(run.failures));
      const state = h.engine.state();
      assert.equal(state.steps['core-infrastructure/repository'].origin, 'adopted');
      assert.equal(state.steps['core-infrastructure/reports-bucket'].origin, 'created');
      const all = await present();
      assert.equal(all.length, expectedResourcePaths(config).length - 1, 'the rehearsal made every resource');

      const plan = await h.engine.destroyPlan();
      const action = (id: string) => plan.steps.find((s) => s.id === id)?.action;
      assert.equal(action('core-infrastructure/repository'), 'keep');
      assert.equal(action('core-infrastructure/reports-bucket'), 'keep', 'data needs includeData');
      assert.equal(action('api-deployment/service'), 'delete');
      // A Google API is a service every project has, off or on: enabling it is an update of it.
      // The state says what happened: Core Infrastructure's step enabled Gemini (an update, with
      // its time), AI Coding's found it enabled; the service itself was there (adopted).
      const gemini = ['ai-coding/gemini-api', 'core-infrastructure/api-cloudaicompanion'];
      const enabled = state.steps['core-infrastructure/api-cloudaicompanion'];
      assert.equal(enabled.action, 'update');
      assert.ok(enabled.updatedAt, 'when this run enabled it');
      assert.equal(state.steps['ai-coding/gemini-api'].action, 'none');
      for (const id of gemini) assert.equal(state.steps[id].origin, 'adopted', id);
      // It stays as an API, and the plan says why in its own words, not "it existed before".
      const reason = (id: string) => plan.steps.find((s) => s.id === id)?.reason;
      for (const id of gemini)
        assert.match(reason(id) ?? '', /^teardown leaves this kind alone: an enabled API stays enabled/, id);
      // Each kind teardown leaves says its own reason: a source archive is no "enabled API".
      assert.match(reason('ai-coding/team-roles') ?? '', /: role grants stay/);
      assert.match(reason('hybrid-config/secret-version') ?? '', /: a secret version goes with its secret$/);
      assert.match(reason('api-deployment/source') ?? '', /: an object in the reports bucket: it goes with the bucket/);
      assert.match(
        reason('api-deployment/image') ?? '',
        /: an image in the Docker repository: it goes with the repository/,
      );
      assert.match(reason('core-infrastructure/repository') ?? '', /existed before the migration \(adopted\)/);
      const order = plan.steps.map((s) => s.id);
      assert.ok(order.indexOf('api-deployment/service') < order.indexOf('core-infrastructure/service-account'));

      const first = await h.engine.destroy();
      assert.deepEqual(
        first.deleted.sort(),
        plan.steps
          .filter((s) => s.action === 'delete')
          .map((s) => s.id)
          .sort(),
      );
      const left = await present();
      for (const kept of ['repositories/', '/storage/v1/b/', '/databases/', '/workstations/']) {
        assert.ok(
          left.some((p) => p.includes(kept)),
          `${kept} stays`,
        );
      }
      assert.ok(!left.some((p) => p.includes('/services/')), 'the Cloud Run service is gone');
      assert.ok(!left.some((p) => p.includes('/secrets/')), 'the secret is gone');

      const second = await h.engine.destroy();
      assert.deepEqual(second.deleted, [], 'a second destroy changes nothing');
      assert.deepEqual(await present(), left);

      const withData = await h.engine.destroy(undefined, { includeData: true });
      assert.ok(withData.deleted.includes('memory-system/firestore-database'));
      assert.deepEqual(
        (await present()).map((p) => p.split('/').slice(-2).join('/')),
        [`repositories/${config.phases.coreInfrastructure.repositoryId}`],
        'only the adopted repository is left',
      );
    } finally {
      await h.close();
    }
  });
});
