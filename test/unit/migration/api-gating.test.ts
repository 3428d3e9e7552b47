/**
 * Per-API gating: each step waits for the steps enabling the APIs it calls, and for no
 * other API. A slow API holds back its own steps only.
 */
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/core/config/defaults';
import { apiStepId } from '../../../src/core/migration/phases/core-infrastructure';
import { builtInPhases } from '../../../src/core/migration/phases';
import { openEngine, startWorld, type World } from './world';

import { StateStore } from '../../../src/core/migration/store';

const SLOW = 'cloudaicompanion.googleapis.com';

describe('per-API gating', function () {
  this.timeout(120_000);

  it('every API is a step of its own, and a step waits only on the APIs it calls', () => {
    const config = defaultConfig();
    config.projectId = 'gating-project';
    const steps = builtInPhases().steps(config);
    const byId = new Map(steps.map((s) => [s.id, s]));
    const apiSteps = config.phases.coreInfrastructure.services.map(apiStepId);
    for (const id of apiSteps) assert.ok(byId.has(id), `${id} is a step`);
    const waitsOn = (id: string) =>
      byId
        .get(id)!
        .dependsOn.filter((d) => apiSteps.includes(d))
        .sort();
    assert.deepEqual(waitsOn('workstation-configuration/cluster'), [apiStepId('workstations.googleapis.com')]);
    assert.deepEqual(waitsOn('core-infrastructure/service-account'), [apiStepId('iam.googleapis.com')]);
    assert.deepEqual(waitsOn('memory-system/firestore-database'), [apiStepId('firestore.googleapis.com')]);
    assert.deepEqual(waitsOn('hybrid-config/secret'), [apiStepId('secretmanager.googleapis.com')]);
    assert.deepEqual(waitsOn('api-deployment/service'), [apiStepId('run.googleapis.com')]);
    assert.deepEqual(
      waitsOn('api-deployment/image'),
      [apiStepId('artifactregistry.googleapis.com'), apiStepId('cloudbuild.googleapis.com')].sort(),
    );
    // The source upload needs its bucket only: the repository matters to the build's push.
    assert.deepEqual([...byId.get('api-deployment/source')!.dependsOn].sort(), [
      apiStepId('storage.googleapis.com'),
      'core-infrastructure/reports-bucket',
    ]);
    // Only the steps that call Gemini's API (and Validation, which checks everything) wait for it.
    const waiting = steps.filter((s) => s.dependsOn.includes(apiStepId(SLOW))).map((s) => s.id);
    assert.deepEqual(waiting, ['ai-coding/gemini-api', 'validation/resources']);
  });

  it('an API left out of the configured list gates nothing (the project has it already)', () => {
    const config = defaultConfig();
    config.projectId = 'gating-project';
    config.phases.coreInfrastructure.services = config.phases.coreInfrastructure.services.filter(
      (s) => s !== 'workstations.googleapis.com',
    );
    const cluster = builtInPhases()
      .steps(config)
      .find((s) => s.id === 'workstation-configuration/cluster')!;
    assert.deepEqual(cluster.dependsOn, []);
  });

  describe('execute against an emulator where one API enables slowly', () => {
    let world: World;
    before(async () => {
      world = await startWorld({ emulator: { faults: { serviceEnableMs: { [SLOW]: 4000 } } } });
    });
    after(async () => world?.close());

    it('steps that do not call the slow API run while it enables; the ones that do wait for it', async () => {
      const h = await openEngine(world.config, world.workspace);
      try {
        const result = await h.engine.execute();
        assert.equal(result.status, 'completed', JSON.stringify(result.failures));
        const store = await StateStore.open(h.engine.stateDir, world.config.projectId);
        const steps = store.state.steps;
        const at = (id: string, key: 'startedAt' | 'finishedAt') => Date.parse(steps[id][key]!);
        const slowDone = at(apiStepId(SLOW), 'finishedAt');
        for (const id of [
          'workstation-configuration/cluster',
          'hybrid-config/secret',
          'core-infrastructure/repository',
        ]) {
          assert.ok(at(id, 'startedAt') < slowDone, `${id} started before ${SLOW} was enabled`);
        }
        assert.ok(at('ai-coding/gemini-api', 'startedAt') >= slowDone, 'Gemini waits for its API');
      } finally {
        await h.close();
      }
    });
  });
});
