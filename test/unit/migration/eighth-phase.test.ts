/**
 * "A new phase is one file and one register line": an eighth phase, defined here and
 * registered in a registry of this test's own, is planned, executed, shown in the
 * editor's tree rows, in status --json and in the report, with nothing else changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { builtInPhases } from '../../../src/core/migration/phases';
import type { PhaseDefinition } from '../../../src/core/migration/types';
import { phaseNodes } from '../../../src/extension/presentation';
import { openEngine, startWorld, type World } from './world';

const pings: string[] = [];

const smokeCheckPhase: PhaseDefinition = {
  info: {
    id: 'smoke-check',
    title: 'Smoke Check',
    description: 'Pings the deployment once more, after everything else.',
    order: 8,
  },
  steps: () => [
    {
      kind: 'action',
      id: 'smoke-check/ping',
      phase: 'smoke-check',
      title: 'Ping the deployment',
      dependsOn: [],
      permissions: [],
      plan: async (_ctx, recorded) =>
        recorded?.status === 'done'
          ? { action: 'ok', reason: 'pinged already' }
          : { action: 'run', reason: 'not pinged yet' },
      run: async (ctx) => {
        pings.push(ctx.config.projectId);
        ctx.metric('pings', 1);
      },
      once: true,
    },
  ],
};

describe('a phase registered from outside the engine', function () {
  this.timeout(60_000);
  let world: World;

  before(async () => {
    world = await startWorld({ records: 0 });
  });
  after(async () => world?.close());

  it('is planned, executed, and shown in the tree rows, the status document and the report', async () => {
    const registry = () => builtInPhases().register(smokeCheckPhase);
    const h = await openEngine(world.config, world.workspace, { registry });
    try {
      const plan = await h.engine.verify(['smoke-check'], { preflight: false });
      assert.deepEqual(
        plan.phases.map((p) => [p.phase, p.steps.map((s) => `${s.id}:${s.action}`)]),
        [['smoke-check', ['smoke-check/ping:run']]],
      );

      const result = await h.workspace.execute({ phases: ['smoke-check'] });
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      assert.deepEqual(pings, ['orchestra-test']);

      const phases = h.workspace.phases();
      assert.equal(phases.length, 8);
      assert.equal(phases[7].id, 'smoke-check');

      const status = await h.workspace.status();
      const row = status.phases.find((p) => p.id === 'smoke-check');
      assert.equal(row?.status, 'completed');
      assert.equal(row?.order, 8);

      const monitor = h.workspace.follow(60_000);
      try {
        await monitor.reload();
        const nodes = phaseNodes(phases, monitor.snapshot());
        assert.equal(nodes.length, 8);
        assert.equal(nodes[7].phase.title, 'Smoke Check');
        assert.equal(nodes[7].status, 'completed');
        assert.equal(nodes[0].status, 'not-started', 'the seven built-in phases are still there, untouched');
      } finally {
        monitor.dispose();
      }

      const report = await h.workspace.report();
      assert.match(report.markdown, /\| 8 \| Smoke Check \| completed \| 1 \|/);
      assert.match(report.markdown, /\| Smoke Check \| `pings` \| 1 \|/);
      assert.match(report.markdown, /Phases completed \| 1 of 8/);
    } finally {
      await h.close();
    }
  });
});
