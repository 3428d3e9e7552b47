import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { defaultConfig } from '../../../src/core/config/defaults';
import type { GcpClient } from '../../../src/core/gcp/types';
import type { PhaseId } from '../../../src/core/migration/catalog';
import { MigrationEngine } from '../../../src/core/migration/engine';
import { builtInPhases } from '../../../src/core/migration/phases';
import type { EngineEvent } from '../../../src/core/migration/events';
import { criticalPath, PhaseRegistry, topologicalOrder } from '../../../src/core/migration/registry';
import type { Resource, Step, StepContext } from '../../../src/core/migration/types';

/** Resources kept in a map: the scheduler's behaviour without any network. */
class FakeCloud {
  readonly live = new Map<string, { v: number }>();
  readonly creates: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failing = new Set<string>();
  /** The steps creating right now, by id. */
  readonly running = new Set<string>();
  /** When set, a create holds until this settles instead of for a time: tests see overlap, not timing. */
  hold?: (id: string) => Promise<void>;

  resource(phase: PhaseId, name: string, dependsOn: string[] = [], ms = 30): Resource<{ v: number }> {
    const id = `${phase}/${name}`;
    return {
      kind: 'resource',
      id,
      phase,
      title: name,
      dependsOn,
      permissions: [],
      describe: () => id,
      read: async () => this.live.get(id),
      create: async (ctx: StepContext) => {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        this.running.add(id);
        try {
          if (this.hold) await this.hold(id);
          else {
            await new Promise<void>((resolve, reject) => {
              const t = setTimeout(resolve, ms);
              ctx.signal.addEventListener('abort', () => {
                clearTimeout(t);
                reject(new Error('aborted'));
              });
            });
          }
          if (this.failing.has(id)) throw new Error(`${id} refused: permission denied`);
          this.creates.push(id);
          this.live.set(id, { v: 1 });
          return { v: 1 };
        } finally {
          this.inFlight--;
          this.running.delete(id);
        }
      },
    };
  }
}

/** Polls a condition of the fake cloud (no timing assumed); fails naming it after 10 s. */
async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const noGcp = { stats: { requests: 0, retries: 0 } } as unknown as GcpClient;

function registry(steps: Step[]): PhaseRegistry {
  const reg = new PhaseRegistry();
  const phases = [...new Set(steps.map((s) => s.phase))];
  const builtIn = builtInPhases();
  for (const [index, id] of phases.entries()) {
    const info = builtIn.get(id)?.info ?? { id, title: id, description: `fake phase ${id}`, order: index + 1 };
    reg.register({ info, steps: () => steps.filter((s) => s.phase === id) });
  }
  return reg;
}

describe('the executor (DAG scheduler) on fake resources', () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'orchestra-sched-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function engine(steps: Step[], concurrency = 8) {
    const config = defaultConfig();
    config.projectId = 'fake';
    return MigrationEngine.open({
      config,
      gcp: noGcp,
      workspaceDir: path.join(dir, `ws${n++}`),
      registry: registry(steps),
      concurrency,
    });
  }

  function graph(cloud: FakeCloud): Step[] {
    // core: a -> b -> c ; workstation: w1, w2 (both after a) ; memory: m (independent)
    return [
      cloud.resource('core-infrastructure', 'a'),
      cloud.resource('core-infrastructure', 'b', ['core-infrastructure/a']),
      cloud.resource('core-infrastructure', 'c', ['core-infrastructure/b']),
      cloud.resource('workstation-configuration', 'w1', ['core-infrastructure/a']),
      cloud.resource('workstation-configuration', 'w2', ['core-infrastructure/a']),
      cloud.resource('memory-system', 'm'),
    ];
  }

  it('runs independent steps in parallel across phases: each starts as soon as its dependencies are done', async () => {
    const cloud = new FakeCloud();
    const gates = new Map<string, () => void>();
    cloud.hold = (id) => new Promise<void>((resolve) => gates.set(id, resolve));
    const steps = graph(cloud);
    const e = await engine(steps);
    const running = e.execute();
    const started = (ids: string[]) => ids.every((id) => cloud.running.has(id) && gates.has(id));
    const finish = async (id: string, next: string[]) => {
      gates.get(id)!();
      gates.delete(id);
      await waitUntil(() => started(next), `${next.join(', ')} to start once ${id} is done`);
    };
    // The roots of both phases at once; then each step the moment its dependency is done,
    // while the memory step (independent) is still under way.
    await waitUntil(() => started(['core-infrastructure/a', 'memory-system/m']), 'both roots to start');
    assert.equal(cloud.inFlight, 2);
    await finish('core-infrastructure/a', [
      'core-infrastructure/b',
      'workstation-configuration/w1',
      'workstation-configuration/w2',
      'memory-system/m',
    ]);
    assert.equal(cloud.maxInFlight, 4, 'three phases in flight together');
    await finish('core-infrastructure/b', ['core-infrastructure/c', 'memory-system/m']);
    for (const id of [...gates.keys()]) gates.get(id)!();
    cloud.hold = undefined;
    const result = await running;
    assert.equal(result.status, 'completed');
    assert.ok(
      steps.every((step) => result.stepDurations[step.id] >= 0),
      'every step timed',
    );
    // With equal step times the longest chain is the core phase's.
    const critical = criticalPath(steps, () => 30);
    assert.deepEqual(critical.path, ['core-infrastructure/a', 'core-infrastructure/b', 'core-infrastructure/c']);
    assert.equal(critical.ms, 90);
    assert.deepEqual(
      topologicalOrder(steps)
        .map((s) => s.id)
        .slice(0, 2),
      ['core-infrastructure/a', 'memory-system/m'],
    );
  });

  it('never runs more steps at once than its concurrency', async () => {
    const cloud = new FakeCloud();
    // Each step holds until three are under way together: the peak is seen, not hoped for
    // from timing (a busy machine may start the third after the first has finished).
    let release!: () => void;
    let batch = new Promise<void>((resolve) => (release = resolve));
    cloud.hold = () => {
      const mine = batch;
      if (cloud.inFlight === 3) {
        release();
        batch = new Promise<void>((resolve) => (release = resolve));
      }
      return mine;
    };
    const steps = Array.from({ length: 12 }, (_, i) => cloud.resource('memory-system', `r${i}`));
    const e = await engine(steps, 3);
    assert.equal((await e.execute()).status, 'completed');
    assert.equal(cloud.maxInFlight, 3);
    assert.equal(cloud.creates.length, 12);
  });

  it('a failure blocks its dependants (transitively, naming the failed step) and lets independent work finish', async () => {
    const cloud = new FakeCloud();
    cloud.failing.add('core-infrastructure/a');
    const steps = graph(cloud);
    const e = await engine(steps);
    const result = await e.execute();
    assert.equal(result.status, 'failed');
    const s = e.state();
    assert.equal(s.steps['core-infrastructure/a'].status, 'failed');
    for (const id of [
      'core-infrastructure/b',
      'core-infrastructure/c',
      'workstation-configuration/w1',
      'workstation-configuration/w2',
    ]) {
      assert.equal(s.steps[id].status, 'blocked', id);
      assert.equal(s.steps[id].blockedBy, 'core-infrastructure/a', id);
    }
    assert.equal(s.steps['memory-system/m'].status, 'done');
    assert.equal(s.phases['memory-system'].status, 'completed');
    assert.equal(s.phases['core-infrastructure'].status, 'failed');
    assert.match(s.phases['core-infrastructure'].error ?? '', /permission denied/);
    assert.equal(s.phases['workstation-configuration'].status, 'not-started');
    assert.equal(s.phases['workstation-configuration'].blockedBy, 'core-infrastructure/a');
  });

  it('cancellation stops new steps, aborts running ones, and a new run resumes without redoing finished steps', async () => {
    const cloud = new FakeCloud();
    const steps = graph(cloud);
    const e = await engine(steps);
    const controller = new AbortController();
    const started: string[] = [];
    let abortedAt = Infinity;
    e.events.on((ev: EngineEvent) => {
      if (ev.type === 'step-started') started.push(ev.step);
      if (ev.type === 'step-finished' && ev.step === 'core-infrastructure/a') {
        abortedAt = started.length;
        controller.abort(new Error('user cancelled'));
      }
    });
    const result = await e.execute(undefined, { signal: controller.signal });
    assert.equal(result.status, 'cancelled');
    assert.equal(started.length, abortedAt, 'no step started after the cancel');
    const s = e.state();
    assert.equal(s.run?.status, 'cancelled');
    assert.equal(s.steps['core-infrastructure/a'].status, 'done');
    assert.ok(!cloud.live.has('core-infrastructure/c'));
    assert.equal(s.phases['core-infrastructure'].status, 'cancelled', 'cancelled, not failed');
    assert.match(s.phases['core-infrastructure'].error ?? '', /cancelled with 2 of 3 steps left/);
    for (const [id, phase] of Object.entries(s.phases)) assert.notEqual(phase.status, 'failed', `${id} is not failed`);
    if (s.steps['memory-system/m']?.status === 'done')
      assert.equal(s.phases['memory-system'].status, 'completed', 'its one step had finished');
    const createdBefore = [...cloud.creates];
    const again = await e.execute();
    assert.equal(again.status, 'completed');
    const createdAgain = cloud.creates.slice(createdBefore.length);
    for (const id of createdBefore) assert.ok(!createdAgain.includes(id), `${id} was not created twice`);
    assert.equal(new Set(cloud.creates).size, 6);
  });

  it('a cancel that comes while the phase of a step is being marked started logs no start for that step', async () => {
    const cloud = new FakeCloud();
    const e = await engine([cloud.resource('core-infrastructure', 'a'), cloud.resource('memory-system', 'm')]);
    const controller = new AbortController();
    const started: string[] = [];
    e.events.on((ev: EngineEvent) => {
      if (ev.type === 'step-started') started.push(ev.step);
      // The phase's record is written before its first step starts: cancel right then.
      if (ev.type === 'phase-status' && ev.phase === 'memory-system' && ev.to === 'in-progress')
        controller.abort(new Error('user cancelled'));
    });
    const result = await e.execute(undefined, { signal: controller.signal });
    assert.equal(result.status, 'cancelled');
    assert.ok(!started.includes('memory-system/m'), `no start event for a step after the cancel: ${started}`);
    const s = e.state();
    assert.equal(s.steps['memory-system/m'], undefined, 'no step record: it never started');
    assert.ok(!s.history.some((h) => h.step === 'memory-system/m'), 'no history line for it');
    assert.equal(s.phases['memory-system'].status, 'cancelled');
    assert.match(s.phases['memory-system'].error ?? '', /cancelled with 1 of 1 steps left/);
    assert.ok(!cloud.creates.includes('memory-system/m'));
  });

  it('a cancelled rerun leaves phases whose steps were all done before completed, and fails nothing', async () => {
    const cloud = new FakeCloud();
    const e = await engine(graph(cloud), 1);
    assert.equal((await e.execute()).status, 'completed');
    const controller = new AbortController();
    e.events.on((ev: EngineEvent) => {
      if (ev.type === 'step-started' && ev.step === 'core-infrastructure/b')
        controller.abort(new Error('user cancelled'));
    });
    const result = await e.execute(undefined, { signal: controller.signal });
    assert.equal(result.status, 'cancelled');
    const s = e.state();
    for (const phase of ['core-infrastructure', 'workstation-configuration', 'memory-system'] as const) {
      assert.equal(s.phases[phase].status, 'completed', `${phase} keeps its completed status`);
    }
    assert.ok(
      Object.values(s.steps).every((step) => step.status === 'done'),
      'steps done before stay done',
    );
  });

  it('reset of a phase marks the phases that depend on it stale; their next run clears it', async () => {
    const cloud = new FakeCloud();
    const e = await engine(graph(cloud));
    assert.equal((await e.execute()).status, 'completed');
    await e.reset('core-infrastructure');
    const s = e.state();
    assert.equal(s.phases['core-infrastructure'].status, 'not-started');
    assert.match(s.phases['workstation-configuration'].stale ?? '', /Core Infrastructure was reset/);
    assert.equal(s.phases['workstation-configuration'].status, 'completed');
    assert.equal(s.phases['memory-system'].stale, undefined, 'independent of core: not stale');
    assert.equal(e.monitor.snapshot().phases[1].stale, s.phases['workstation-configuration'].stale);
    assert.equal((await e.execute()).status, 'completed');
    assert.equal(e.state().phases['workstation-configuration'].stale, undefined);
  });

  it('a rerun that changes nothing says so with its counts; per-phase counts add up to the run and do not pile up', async () => {
    const cloud = new FakeCloud();
    const e = await engine(graph(cloud));
    const first = await e.execute();
    assert.deepEqual(
      { created: first.counts.created, unchanged: first.counts.unchanged, steps: first.counts.steps },
      { created: 6, unchanged: 0, steps: 6 },
    );
    assert.match(first.summary, /^Run completed in \d+\.\d s: 6 steps, 6 created, 0 updated, 0 unchanged\.$/);
    const again = await e.execute();
    assert.match(again.summary, /^Nothing to change: all 6 steps already as desired \(6 unchanged\), checked in/);
    const phases = Object.values(e.state().phases);
    const sum = (k: 'created' | 'unchanged' | 'steps') => phases.reduce((n, p) => n + p.metrics[k], 0);
    assert.deepEqual(
      [sum('created'), sum('unchanged'), sum('steps')],
      [0, 6, 6],
      'phase metrics describe the last run',
    );
    assert.ok(
      Object.values(e.state().steps).every((st) => st.attempts === 1),
      'a rerun is one attempt, not the nth',
    );

    // b is gone from the cloud and cannot be made again; c, after it, is blocked, run after run.
    cloud.failing.add('core-infrastructure/b');
    cloud.live.delete('core-infrastructure/b');
    for (let i = 0; i < 2; i++) {
      const failed = await e.execute();
      assert.equal(failed.counts.failed, 1);
      assert.equal(failed.counts.blocked, 1, 'c, after b');
      assert.equal(e.state().phases['core-infrastructure'].metrics.blocked, 1, `run ${i + 1}: blocked counted once`);
    }
  });

  it('rejects a dependency cycle and an unknown dependency, naming the steps', () => {
    const cloud = new FakeCloud();
    assert.throws(
      () =>
        topologicalOrder([
          cloud.resource('core-infrastructure', 'x', ['core-infrastructure/y']),
          cloud.resource('core-infrastructure', 'y', ['core-infrastructure/x']),
        ]),
      /core-infrastructure\/x, core-infrastructure\/y depend on each other in a cycle/,
    );
    assert.throws(
      () => registry([cloud.resource('core-infrastructure', 'x', ['nowhere/z'])]).steps(defaultConfig()),
      /depends on nowhere\/z, which no phase defines/,
    );
  });
});
