import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { readStateFile, statePath } from '../../../src/core/migration/store';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { spawnExecute } from './child';
import { emulatorSnapshot, memorySnapshot } from './snapshot';
import { openEngine, PROJECT, startWorld, testGcpClient, type World } from './world';

/** mulberry32: small, seedable, good enough to spread kill times. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KILLS = Number(process.env.OM_CRASH_KILLS ?? 20);

describe('crash safety: execute killed with SIGKILL at random points', function () {
  // A bound, not a speed goal: 21 child runs of execute take 60 s on a quiet 2-core machine and several
  // times that when the machine is busy.
  this.timeout(600_000);
  let world: World;
  const targets: MemoryServerHandle[] = [];

  before(async () => {
    world = await startWorld({ records: 200, emulator: { lroDelayMs: 40 } });
  });
  after(async () => {
    await Promise.allSettled(targets.map((t) => t.close()));
    await world?.close();
  });

  async function freshTarget(i: number) {
    const target = await startMemoryServer({ dataDir: path.join(world.dir, `target-${i}`), compactIntervalMs: 0 });
    targets.push(target);
    const config = structuredClone(world.config);
    config.phases.memorySystem.targetEndpoint = target.url;
    return { target, config, workspace: path.join(world.dir, `ws-${i}`) };
  }

  it(`converges to the same final state after each of ${KILLS} kills, and the state file always parses`, async () => {
    const seed = Number(process.env.OM_CRASH_SEED ?? Date.now() % 1_000_000);
    console.log(`      crash test seed: ${seed} (rerun with OM_CRASH_SEED=${seed})`);
    const rand = random(seed);
    const gcp = testGcpClient(world.config);

    // The reference: one uninterrupted run, timed to spread the kills over it.
    world.emulator.reset();
    const ref = await freshTarget(0);
    const refChild = await spawnExecute(world.dir, { config: ref.config, workspace: ref.workspace }, 'reference');
    await refChild.ready;
    const started = Date.now();
    await refChild.finished;
    const runMs = Date.now() - started;
    const refExit = await refChild.exit;
    assert.equal(refExit.code, 0, refExit.stdout + refExit.stderr);
    const reference = await emulatorSnapshot(gcp, ref.config);
    const source = await memorySnapshot(world.source.url);
    assert.deepEqual(await memorySnapshot(ref.target.url), source);
    assert.deepEqual(reference.secretVersions, ['ENABLED']);

    const killedAt: number[] = [];
    let interrupted = 0;
    for (let i = 1; i <= KILLS; i++) {
      world.emulator.reset();
      const run = await freshTarget(i);
      const child = await spawnExecute(world.dir, { config: run.config, workspace: run.workspace }, `crash-${i}`);
      await child.ready;
      const delay = Math.floor(rand() * runMs);
      killedAt.push(delay);
      await new Promise((r) => setTimeout(r, delay));
      child.process.kill('SIGKILL');
      await child.exit;

      // Whatever the kill interrupted, the state file is whole (or not written yet).
      const left = await readStateFile(statePath(path.join(run.workspace, '.orchestra'), PROJECT), PROJECT);
      if (left?.run?.status !== 'completed') interrupted++;

      const h = await openEngine(run.config, run.workspace);
      try {
        const result = await h.engine.execute();
        assert.equal(result.status, 'completed', `kill ${i} at ${delay} ms: ${JSON.stringify(result.failures)}`);
      } finally {
        await h.close();
      }
      assert.deepEqual(await emulatorSnapshot(gcp, run.config), reference, `kill ${i} at ${delay} ms`);
      assert.deepEqual(await memorySnapshot(run.target.url), source, `kill ${i} at ${delay} ms: memory`);
      await run.target.close();
    }
    console.log(`      run ${runMs} ms; kills at ${killedAt.join(', ')} ms; ${interrupted} interrupted a run`);
    assert.ok(interrupted >= KILLS / 2, `most kills landed mid-run (${interrupted})`);
    assert.equal(new Set(killedAt).size > KILLS / 2, true, 'kill points spread out');
  });
});
