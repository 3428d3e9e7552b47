/**
 * Teardown: deletes what this migration created, and nothing else. A resource is a
 * candidate only when the state records that this migration created it (origin
 * 'created'); one found existing and adopted is never touched. Deletion runs in
 * reverse dependency order, one resource at a time, each recorded in the state before
 * and after, so a killed teardown resumes: what is already gone reads as gone.
 * Resources that hold data (a database, a bucket, a vector store) need includeData.
 */
import { makeStepContext } from './context';
import type { EngineDeps, StepCounters } from './context';
import type { EngineEvents } from './events';
import { pushHistory, type MigrationState } from './state';
import type { StateStore } from './store';
import type { Resource, Step } from './types';

export type DestroyAction = 'delete' | 'keep' | 'gone';

export interface DestroyStepPlan {
  id: string;
  title: string;
  target: string;
  action: DestroyAction;
  reason: string;
  holdsData?: boolean;
}

export interface DestroyPlan {
  projectId: string;
  includeData: boolean;
  /** In deletion order (dependants first). */
  steps: DestroyStepPlan[];
}

export interface DestroyInput {
  deps: EngineDeps;
  state: MigrationState;
  /** Every step of the migration (the order comes from the whole graph). */
  all: readonly Step[];
  /** The phases whose resources are candidates. */
  phases: ReadonlySet<string>;
  includeData: boolean;
  signal: AbortSignal;
}

/** Read-only: what a teardown would delete now, and why each other resource stays. */
export async function planDestroy(input: DestroyInput): Promise<DestroyPlan> {
  const steps: DestroyStepPlan[] = [];
  // Objects that stay and may rest on others (adopted, or holding data): those others stay too.
  const staying = new Set<string>();
  for (const step of deletionOrder(input.all)) {
    if (step.kind !== 'resource' || !input.phases.has(step.phase)) continue;
    const ctx = makeStepContext(input.deps, step, counters(), { signal: input.signal, mode: 'verify' });
    let plan = await planOne(step, ctx, input);
    const user = input.all.find((s) => staying.has(s.id) && s.dependsOn.includes(step.id));
    if (plan.action === 'delete' && user) {
      plan = { ...plan, action: 'keep', reason: `${user.id} stays and depends on it` };
    }
    // Role grants and enabled APIs (no destroy) always read as present: they hold nothing up.
    if (
      plan.action === 'keep' &&
      step.destroy &&
      (plan.holdsData || input.state.steps[step.id]?.origin === 'adopted' || user)
    )
      staying.add(step.id);
    steps.push(plan);
  }
  return { projectId: input.deps.config.projectId, includeData: input.includeData, steps };
}

async function planOne(
  step: Resource,
  ctx: ReturnType<typeof makeStepContext>,
  input: DestroyInput,
): Promise<DestroyStepPlan> {
  const base = { id: step.id, title: step.title, target: step.describe(ctx) };
  const origin = input.state.steps[step.id]?.origin;
  // First, since it is why these stay whoever made them.
  if (!step.destroy) {
    const why = step.kept ?? 'it has no delete of its own';
    return { ...base, action: 'keep', reason: `teardown leaves this kind alone: ${why}` };
  }
  if (origin === 'adopted')
    return { ...base, action: 'keep', reason: 'it existed before the migration (adopted): never deleted' };
  if (origin !== 'created')
    return { ...base, action: 'keep', reason: 'the state does not record that this migration created it' };
  const live = await step.read(ctx);
  if (live === undefined) return { ...base, action: 'gone', reason: 'already deleted' };
  const holdsData = step.holdsData ? await step.holdsData(ctx, live) : false;
  if (holdsData && !input.includeData)
    return { ...base, action: 'keep', holdsData, reason: 'it holds data: pass --include-data to delete it too' };
  return {
    ...base,
    action: 'delete',
    holdsData,
    reason: holdsData ? 'created by this migration; its data goes with it' : 'created by this migration',
  };
}

export interface DestroyResult {
  deleted: string[];
  kept: string[];
  cancelled: boolean;
}

/** Deletes the plan's 'delete' steps in order and records each; 'gone' ones are recorded too. */
export async function runDestroy(
  input: DestroyInput & { store: StateStore; events: EngineEvents; plan: DestroyPlan },
): Promise<DestroyResult> {
  const { store, events, plan } = input;
  const byId = new Map(input.all.map((s) => [s.id, s]));
  const todo = plan.steps.filter((s) => s.action !== 'keep');
  const deleted: string[] = [];
  let done = 0;
  for (const entry of todo) {
    if (input.signal.aborted) return { deleted, kept: kept(plan), cancelled: true };
    const step = byId.get(entry.id) as Resource;
    const ctx = makeStepContext(input.deps, step, counters(), { store, events, signal: input.signal, mode: 'execute' });
    events.emit({
      type: 'step-progress',
      step: step.id,
      phase: step.phase,
      done,
      total: todo.length,
      message: `deleting ${entry.target}`,
      at: now(),
    });
    if (entry.action === 'delete') {
      const live = await step.read(ctx);
      if (live !== undefined) await step.destroy!(ctx, live);
    }
    await store.update((s) => forget(s, step, entry.target));
    deleted.push(step.id);
    events.emit({
      type: 'step-progress',
      step: step.id,
      phase: step.phase,
      done: ++done,
      total: todo.length,
      message: `deleted ${entry.target}`,
      at: now(),
    });
  }
  return { deleted, kept: kept(plan), cancelled: false };
}

const kept = (plan: DestroyPlan) => plan.steps.filter((s) => s.action === 'keep').map((s) => s.id);

/** The step is as if never run: a later execute creates (and owns) it again. */
function forget(s: MigrationState, step: Step, target: string): void {
  delete s.steps[step.id];
  const phase = s.phases[step.phase];
  if (phase && phase.status !== 'not-started' && phase.status !== 'skipped')
    phase.stale = 'teardown deleted resources of this phase; run execute to create them again';
  pushHistory(s, {
    at: now(),
    type: 'step-finished',
    phase: step.phase,
    step: step.id,
    message: `${step.id}: deleted ${target} (destroy)`,
  });
}

/** Dependants before what they depend on: the reverse of a topological order. */
export function deletionOrder(steps: readonly Step[]): Step[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const order: Step[] = [];
  const seen = new Set<string>();
  const visit = (step: Step) => {
    if (seen.has(step.id)) return;
    seen.add(step.id);
    for (const dep of step.dependsOn) {
      const d = byId.get(dep);
      if (d) visit(d);
    }
    order.push(step);
  };
  for (const step of steps) visit(step);
  return order.reverse();
}

function counters(): StepCounters {
  return { requests: 0, retries: 0, custom: {} };
}

function now(): string {
  return new Date().toISOString();
}
