/**
 * One retries count: a retry by the Google REST client, by the memory client or of a
 * whole step counts once, for the step it served, and the step, its phase, the run, the
 * state, `status`, the report and the tree's tooltip all give the same figure. Faults are
 * scripted (not random), so the expected figures are exact.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { createPolicy } from '../../../src/core/resilience/policy';
import { BreakerRegistry } from '../../../src/core/resilience/registry';
import { countingRetries } from '../../../src/core/util/retry-count';
import { CallTimeoutError } from '../../../src/core/resilience/transient';
import { stepFigures } from '../../../src/extension/presentation';
import { MEMORY } from '../../../src/core/migration/phases/memory-system';
import { startProxy, type Proxy } from '../memory/proxy';
import { emulatorWorkspace, openEngine, startWorld, type World } from '../migration/world';
import { runCli, treeHash } from './harness';

const REPOSITORY_STEP = 'core-infrastructure/repository';

describe('one retries count (Google and memory retries, per step and overall)', function () {
  this.timeout(180_000);
  let world: World;
  let proxy: Proxy;
  let folder: string;

  before(async () => {
    world = await startWorld({ records: 60 });
    // The target applies the first two copy batches, but their answers are lost as 503s:
    // the memory client resends each once.
    proxy = await startProxy(world.target.url, { loseBatchAnswers: [1, 2] });
    folder = path.join(world.dir, 'ws');
  });
  after(async () => {
    await proxy?.close();
    await world?.close();
  });

  it('two Google 503s and two lost memory answers: 4 retries in the steps, phases, run, state, status, report, tooltip', async () => {
    // The repository's create answers 503 twice; the REST client resends it (a create with an id is idempotent).
    world.emulator.setFaults({ failures: [{ status: 503, count: 2, method: 'POST', pathContains: '/repositories' }] });
    const config = structuredClone(world.config);
    config.phases.memorySystem.targetEndpoint = proxy.url;
    const h = await openEngine(config, folder);
    let result;
    try {
      result = await h.engine.execute(['core-infrastructure', 'memory-system']);
    } finally {
      await h.close();
    }
    assert.equal(result.status, 'completed', JSON.stringify(result.failures));
    assert.equal(proxy.counts.get('POST /api/memory/batch')! >= 3, true, 'the copy went through the batch route');

    const h2 = await openEngine(config, folder);
    const state = h2.engine.state();
    await h2.close();
    const steps = Object.values(state.steps);
    const retriesOf = (id: string) => state.steps[id]?.retries;
    assert.equal(retriesOf(REPOSITORY_STEP), 2, 'the REST client resent the create twice');
    assert.equal(retriesOf(MEMORY.copy), 2, 'the memory client resent two batches');
    assert.equal(state.steps[REPOSITORY_STEP].attempts, 1, 'the step itself ran once');
    for (const step of steps.filter((s) => s.id !== REPOSITORY_STEP && s.id !== MEMORY.copy)) {
      assert.equal(step.retries, 0, `${step.id} retried nothing`);
    }
    for (const phase of ['core-infrastructure', 'memory-system'] as const) {
      const sum = steps.filter((s) => s.phase === phase).reduce((n, s) => n + (s.retries ?? 0), 0);
      assert.equal(state.phases[phase].metrics.retries, sum, `${phase}: the phase is the sum of its steps`);
      assert.equal(sum, 2);
    }
    assert.equal(state.metrics.retries, 4, 'the migration total');
    assert.equal(result.counts.retries, 4, 'the run total');
    assert.match(result.summary, /, 4 retries\./);

    const status = await runCli(['status'], folder);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /requests, 4 retries\./);
    const json = await runCli(['status', '--json'], folder);
    const doc = JSON.parse(json.stdout) as {
      metrics: { retries: number };
      phases: { id: string; metrics: { retries: number }; steps: { id: string; retries: number }[] }[];
    };
    assert.equal(doc.metrics.retries, 4);
    const core = doc.phases.find((p) => p.id === 'core-infrastructure')!;
    assert.equal(core.metrics.retries, 2);
    assert.equal(core.steps.find((s) => s.id === REPOSITORY_STEP)?.retries, 2);

    const report = await runCli(['report', '--stdout'], folder);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /\| Retries \| 4 \|/);
    const row = (title: RegExp) => report.stdout.split('\n').find((l) => title.test(l)) ?? '';
    // | # | Phase | Status | Steps | Created | Updated | Unchanged | Ran | Failed | Blocked | Retries | ...
    assert.equal(
      row(/^\| 1 \| Core Infrastructure/)
        .split('|')[11]
        .trim(),
      '2',
    );
    assert.equal(
      row(/^\| \d+ \| Memory System/)
        .split('|')[11]
        .trim(),
      '2',
    );

    assert.match(stepFigures(state.steps[REPOSITORY_STEP]), /^\d+ ms, 2 retries\.$/);
    assert.match(stepFigures(state.steps[MEMORY.copy]), /^\d+ ms, 2 retries\.$/);
  });

  it('a rerun retries nothing: every figure is back to 0 for the run, the total keeps 4', async () => {
    const config = structuredClone(world.config);
    config.phases.memorySystem.targetEndpoint = proxy.url;
    const h = await openEngine(config, folder);
    try {
      const result = await h.engine.execute(['core-infrastructure', 'memory-system']);
      assert.equal(result.counts.retries, 0);
      const state = h.engine.state();
      assert.equal(state.phases['core-infrastructure'].metrics.retries, 0);
      assert.equal(state.steps[REPOSITORY_STEP].retries, 0);
      assert.equal(state.metrics.retries, 4);
    } finally {
      await h.close();
    }
  });

  it('a memory policy shared by two counted works queued in its bulkhead: each retry counts for its own caller', async () => {
    const registry = new BreakerRegistry();
    const policy = createPolicy(
      'shared',
      {
        kind: 'consecutive',
        failureThreshold: 100,
        recoveryTimeoutMs: 1000,
        timeoutMs: 5000,
        maxConcurrency: 1,
        samplingThreshold: 0.5,
        samplingDurationMs: 1000,
        samplingMinimumRps: 1,
        retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 2 },
      },
      registry,
    );
    // Fails `n` times with a transient error, then succeeds.
    const flaky = (n: number) => {
      let left = n;
      return () =>
        policy.execute(async () => {
          if (left-- > 0) throw new CallTimeoutError('shared', 1);
          return 'ok';
        });
    };
    const counts = { a: 0, b: 0 };
    // B is queued behind A (one slot): B starts from A's completion, yet counts for B.
    await Promise.all([countingRetries(() => counts.a++, flaky(3)), countingRetries(() => counts.b++, flaky(1))]);
    assert.deepEqual(counts, { a: 3, b: 1 });
  });
});

describe('one retries count, from the command line (child processes)', function () {
  this.timeout(180_000);
  let world: World;
  let proxy: Proxy;

  before(async () => {
    world = await startWorld({ records: 60 });
    proxy = await startProxy(world.target.url, { loseBatchAnswers: [1, 2] });
  });
  after(async () => {
    await proxy?.close();
    await world?.close();
  });

  it('execute with two Google 503s and two lost memory answers: exit 0, "4 retries" in its summary, status and report agree, nothing changed outside', async () => {
    world.emulator.setFaults({ failures: [{ status: 503, count: 2, method: 'POST', pathContains: '/repositories' }] });
    const ws = path.join(world.dir, 'ws-cli');
    const c = world.config;
    await emulatorWorkspace(world, ws, {
      phases: { memorySystem: { sourceEndpoint: c.phases.memorySystem.sourceEndpoint, targetEndpoint: proxy.url } },
    });
    // The memory servers' data is the stores the run copies between, as the cloud is.
    const outside = () => treeHash(world.dir, ['ws-cli', 'source-data', 'target-data']).entries;
    const before = outside();
    const r = await runCli(['execute', '--yes', '--phase', 'core-infrastructure', '--phase', 'memory-system'], ws);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /, 4 retries\./);
    assert.deepEqual(outside(), before, 'something changed outside the workspace');
    const doc = JSON.parse((await runCli(['status', '--json'], ws)).stdout) as {
      metrics: { retries: number };
      phases: { id: string; metrics: { retries: number } }[];
    };
    assert.equal(doc.metrics.retries, 4);
    assert.deepEqual(
      doc.phases.filter((p) => p.metrics.retries > 0).map((p) => [p.id, p.metrics.retries]),
      [
        ['core-infrastructure', 2],
        ['memory-system', 2],
      ],
    );
    const report = await runCli(['report', '--stdout'], ws);
    assert.match(report.stdout, /\| Retries \| 4 \|/);
  });
});
