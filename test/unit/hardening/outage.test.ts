/**
 * Breaker recovery follows the outage: a real local target memory server stopped for
 * 1.5 s in the middle of the memory copy, then restarted on the same port and data,
 * adds under 5 s to the copy, with the production recovery maximum (30 s) configured.
 * With a fixed recovery time the copy stalled the whole 30 s with the target back.
 * The probe schedule itself is checked on cockatiel's breaker under fake timers.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CircuitState, circuitBreaker, ConsecutiveBreaker, handleAll } from 'cockatiel';
import { after, before, describe, it } from 'mocha';
import { FIRST_PROBE_MS, probeDelayMs, RecoveryBackoff } from '../../../src/core/resilience/recovery';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { memorySnapshot } from '../migration/snapshot';
import { emulatorWorkspace, openEngine, seed, startWorld, type World } from '../migration/world';
import { runCli, startCli, treeHash } from './harness';

const RECORDS = 6_000;
const OUTAGE_MS = 1_500;
const PHASES = ['core-infrastructure', 'memory-system'];

describe('breaker recovery: half-open probes soon, then less often', () => {
  // cockatiel's breaker reads Date.now() to decide when a probe is due: a hand-driven clock.
  const realNow = Date.now;
  let now = 0;
  const clock = { tick: (ms: number) => (now += ms) };
  before(() => (Date.now = () => now));
  after(() => (Date.now = realNow));

  it('waits 500 ms before the first probe, half as long again after each failed one, up to the maximum', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => probeDelayMs(n, 30_000)),
      [500, 750, 1_125, 1_688, 2_531, 3_797, 5_695, 8_543, 12_814, 19_222, 28_833, 30_000],
    );
    assert.equal(probeDelayMs(1, 200), 200, 'a breaker configured to recover sooner keeps its own time');
  });

  it("drives cockatiel's breaker: open, probe at 0.5 s fails, next probe 0.75 s later succeeds and closes", async () => {
    const backoff = new RecoveryBackoff(30_000);
    const breaker = circuitBreaker(handleAll, { breaker: new ConsecutiveBreaker(1), halfOpenAfter: backoff });
    const fail = () => breaker.execute(() => Promise.reject(new Error('down')));
    await assert.rejects(fail(), /down/);
    assert.equal(breaker.state, CircuitState.Open);
    assert.equal(backoff.last(), FIRST_PROBE_MS);
    clock.tick(FIRST_PROBE_MS - 1);
    await assert.rejects(fail(), /circuit/i, 'still open before the first probe is due');
    clock.tick(1);
    await assert.rejects(fail(), /down/, 'the probe went through and failed');
    assert.equal(breaker.state, CircuitState.Open);
    assert.equal(backoff.last(), 750);
    clock.tick(749);
    await assert.rejects(fail(), /circuit/i, 'still open before the second probe is due');
    clock.tick(1);
    assert.equal(await breaker.execute(() => Promise.resolve('up')), 'up');
    assert.equal(breaker.state, CircuitState.Closed);
  });
});

describe(`a ${OUTAGE_MS} ms target outage during a copy of ${RECORDS.toLocaleString('en')} records`, function () {
  this.timeout(300_000);
  let world: World;

  before(async () => {
    world = await startWorld({ records: 0 });
    await seed(world.source.url, RECORDS, 'outage');
  });
  after(async () => world?.close());

  /** Copies the source into a new target; `outage`: stop the target at 30% and restart it OUTAGE_MS later. */
  async function copy(name: string, outage: boolean): Promise<{ copyMs: number; stoppedMs?: number }> {
    const dataDir = path.join(world.dir, `target-${name}`);
    let target: MemoryServerHandle = await startMemoryServer({ dataDir, compactIntervalMs: 0 });
    const port = target.port;
    const config = structuredClone(world.config);
    config.phases.memorySystem.targetEndpoint = target.url;
    config.phases.memorySystem.batchSize = 200;
    // Production recovery maximum and retries: the point is how soon recovery follows the outage.
    config.breaker.recoveryTimeoutMs = 30_000;
    config.breaker.retry = { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000 };
    const h = await openEngine(config, path.join(world.dir, `ws-${name}`));
    let restarted: Promise<number> | undefined;
    let started = 0;
    h.engine.events.on((e) => {
      if (e.type === 'step-started' && e.step === 'memory-system/copy') started = Date.now();
      if (outage && e.type === 'step-progress' && e.done >= RECORDS * 0.3 && !restarted) {
        restarted = (async () => {
          const stoppedAt = Date.now();
          await target.close();
          // The outage is the scenario's input, not a wait for something to happen.
          await new Promise((r) => setTimeout(r, OUTAGE_MS));
          target = await startMemoryServer({ port, dataDir, compactIntervalMs: 0 });
          return Date.now() - stoppedAt;
        })();
      }
    });
    try {
      const result = await h.engine.execute(PHASES);
      assert.equal(result.status, 'completed', JSON.stringify(result.failures));
      const copyMs = h.engine.state().steps['memory-system/copy'].durationMs ?? Date.now() - started;
      const snapshot = await memorySnapshot(target.url);
      assert.equal(snapshot.records, RECORDS, 'every record arrived');
      return { copyMs, stoppedMs: restarted ? await restarted : undefined };
    } finally {
      await h.close();
      await target.close();
    }
  }

  it('adds under 5 s to the copy (recovery maximum 30 s)', async () => {
    const baseline = await copy('baseline', false);
    const withOutage = await copy('outage', true);
    assert.ok(
      withOutage.stoppedMs !== undefined && withOutage.stoppedMs >= OUTAGE_MS,
      'the target was stopped mid-copy',
    );
    const added = withOutage.copyMs - baseline.copyMs;
    console.log(
      `      copy ${baseline.copyMs} ms; with a ${withOutage.stoppedMs} ms outage ${withOutage.copyMs} ms (+${added} ms)`,
    );
    assert.ok(added < 5_000, `the outage added ${added} ms`);
  });
});

describe(`the same outage through the command line (child process, ${RECORDS.toLocaleString('en')} records)`, function () {
  this.timeout(300_000);
  let world: World;

  before(async () => {
    world = await startWorld({ records: 0 });
    await seed(world.source.url, RECORDS, 'outage-cli');
  });
  after(async () => world?.close());

  async function records(url: string): Promise<number> {
    try {
      const res = await fetch(`${url}/api/status`);
      return ((await res.json()) as { records?: number }).records ?? 0;
    } catch {
      return 0;
    }
  }

  /** `execute` of the copy in a child process; `outage`: the target stopped at 30% and restarted OUTAGE_MS later. */
  async function copy(name: string, outage: boolean): Promise<{ copyMs: number; stoppedMs?: number }> {
    const dataDir = path.join(world.dir, `cli-target-${name}`);
    let target: MemoryServerHandle = await startMemoryServer({ dataDir, compactIntervalMs: 0 });
    const port = target.port;
    const ws = path.join(world.dir, `cli-ws-${name}`);
    const c = world.config;
    await emulatorWorkspace(world, ws, {
      // Production recovery maximum: the point is how soon recovery follows the outage.
      breaker: { recoveryTimeoutMs: 30_000, retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000 } },
      phases: {
        memorySystem: {
          sourceEndpoint: c.phases.memorySystem.sourceEndpoint,
          targetEndpoint: target.url,
          batchSize: 200,
        },
      },
    });
    const outside = treeHash(world.dir, [path.basename(ws), path.basename(dataDir), 'source-data', 'target-data']);
    const child = await startCli(
      ['execute', '--yes', '--phase', 'core-infrastructure', '--phase', 'memory-system'],
      ws,
    );
    let stoppedMs: number | undefined;
    try {
      if (outage) {
        // Polled on the target itself: the CLI prints no per-batch progress.
        const deadline = Date.now() + 120_000;
        while ((await records(target.url)) < RECORDS * 0.3) {
          if (Date.now() > deadline) throw new Error('the copy never reached 30%');
          await new Promise((r) => setTimeout(r, 20));
        }
        const stoppedAt = Date.now();
        await target.close();
        // The outage is the scenario's input, not a wait for something to happen.
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        target = await startMemoryServer({ port, dataDir, compactIntervalMs: 0 });
        stoppedMs = Date.now() - stoppedAt;
      }
      const r = await child.result;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /run \S+ completed/);
      assert.equal((await memorySnapshot(target.url)).records, RECORDS, 'every record arrived');
      const doc = JSON.parse((await runCli(['status', '--json'], ws)).stdout) as {
        phases: { steps: { id: string; durationMs: number | null }[] }[];
      };
      const step = doc.phases.flatMap((p) => p.steps).find((s) => s.id === 'memory-system/copy');
      assert.ok(step?.durationMs, 'the copy step has a duration');
      assert.deepEqual(
        treeHash(world.dir, [path.basename(ws), path.basename(dataDir), 'source-data', 'target-data']).entries,
        outside.entries,
        'something changed outside the workspace',
      );
      return { copyMs: step.durationMs, stoppedMs };
    } finally {
      child.kill('SIGKILL');
      await target.close();
    }
  }

  it('execute exits 0, every record copied, the outage adds under 5 s to the copy step', async () => {
    const baseline = await copy('baseline', false);
    const withOutage = await copy('outage', true);
    assert.ok(withOutage.stoppedMs !== undefined && withOutage.stoppedMs >= OUTAGE_MS);
    const added = withOutage.copyMs - baseline.copyMs;
    console.log(
      `      copy ${baseline.copyMs} ms; with a ${withOutage.stoppedMs} ms outage ${withOutage.copyMs} ms (+${added} ms)`,
    );
    assert.ok(added < 5_000, `the outage added ${added} ms`);
  });
});
