/**
 * Verify: reads every resource of the selected phases concurrently (bounded) and
 * says, per step, what execute would do. Read-only: GETs, plus two read-only POSTs
 * Google defines for reads (Resource Manager's getIamPolicy and testIamPermissions,
 * the permission preflight).
 */
import type { PhaseId, PhaseStatus } from './catalog';
import { makeStepContext, type EngineDeps, type StepCounters } from './context';
import { describeGcpError, gcpErrorInfo, isPermissionDenied, isServiceDisabled } from './gcp-errors';
import type { MigrationState } from './state';
import type { ActionPlan, FieldDiff, Step } from './types';

export type PlanAction = 'create' | 'update' | 'ok' | 'run' | 'blocked';

export interface StepPlan {
  id: string;
  title: string;
  kind: Step['kind'];
  /** The cloud object, for resources (e.g. its full name). */
  target?: string;
  action: PlanAction;
  diff?: FieldDiff[];
  reason?: string;
  missingPermissions?: string[];
  /** An action's pending changes in counts (the memory sync). */
  delta?: ActionPlan['delta'];
  /**
   * A resource an earlier run left done that is now absent ('deleted') or different
   * ('changed'): changed outside the tool (or, for 'changed', by a config change).
   */
  drift?: 'deleted' | 'changed';
}

export interface PhasePlan {
  phase: PhaseId;
  title: string;
  status: PhaseStatus;
  /** 'skipped' or 'disabled' phases are listed but not planned. */
  excluded?: 'skipped' | 'disabled';
  steps: StepPlan[];
}

/** What a plan was computed from: a saved plan is stale once either changes (saved-plan.ts). */
export interface PlanBasis {
  /** sha256 of the resolved configuration. */
  config: string;
  /** sha256 of what the state records of each phase and step. */
  state: string;
}

export interface Plan {
  projectId: string;
  /** When verify read the resources (ISO 8601). */
  createdAt?: string;
  basis?: PlanBasis;
  phases: PhasePlan[];
  /** Permissions the caller lacks, from testIamPermissions. */
  missingPermissions: string[];
  /** Why the permission preflight could not run (e.g. its API is not enabled yet). */
  preflightError?: string;
  /** Read calls made, for people who want proof verify changed nothing. */
  requests: number;
  durationMs: number;
}

export interface PlanInput {
  deps: EngineDeps;
  state: MigrationState;
  steps: Step[];
  phases: { id: PhaseId; title: string; excluded?: 'skipped' | 'disabled' }[];
  concurrency: number;
  signal: AbortSignal;
  preflight: boolean;
}

export async function planSteps(input: PlanInput): Promise<Plan> {
  const started = Date.now();
  const createdAt = new Date(started).toISOString();
  const { deps, state, steps, signal } = input;
  const counters: StepCounters = { requests: 0, retries: 0, custom: {} };
  const selected = new Set(input.phases.filter((p) => !p.excluded).map((p) => p.id));
  const planned = steps.filter((s) => selected.has(s.phase));
  const needed = new Set(planned.flatMap((s) => s.dependsOn));
  const toRead = steps.filter((s) => selected.has(s.phase) || needed.has(s.id));
  // Reads two steps make alike (the built image) are made once in this pass.
  const pass = new Map<string, Promise<unknown>>();
  const [raw, missingPermissions] = await Promise.all([
    mapBounded(toRead, input.concurrency, (step) => planOne(step, deps, state, counters, signal, pass)),
    input.preflight
      ? preflight(deps, planned, counters, signal).catch((error: unknown) => describeGcpError(error))
      : Promise.resolve([] as string[]),
  ]);
  const preflightError = typeof missingPermissions === 'string' ? missingPermissions : undefined;
  const missing = typeof missingPermissions === 'string' ? [] : missingPermissions;
  const byId = new Map(toRead.map((s, i) => [s.id, raw[i]]));
  for (const step of planned) applyPermissions(byId.get(step.id)!, step, missing);
  resolveBlocked(planned, byId, selected, steps);
  for (const step of planned) markDrift(byId.get(step.id)!, state);
  return {
    projectId: deps.config.projectId,
    createdAt,
    phases: input.phases.map((p) => ({
      phase: p.id,
      title: p.title,
      status: state.phases[p.id]?.status ?? 'not-started',
      excluded: p.excluded,
      steps: p.excluded ? [] : planned.filter((s) => s.phase === p.id).map((s) => byId.get(s.id)!),
    })),
    missingPermissions: missing,
    preflightError,
    requests: counters.requests,
    durationMs: Date.now() - started,
  };
}

async function planOne(
  step: Step,
  deps: EngineDeps,
  state: MigrationState,
  counters: StepCounters,
  signal: AbortSignal,
  pass: Map<string, Promise<unknown>>,
): Promise<StepPlan> {
  const ctx = makeStepContext(deps, step, counters, { signal, mode: 'verify', pass });
  const base = { id: step.id, title: step.title, kind: step.kind };
  if (step.kind === 'action') {
    const plan = await step.plan(ctx, state.steps[step.id]);
    return { ...base, action: plan.action, reason: plan.reason, ...(plan.delta ? { delta: plan.delta } : {}) };
  }
  const gate = await step.gate?.(ctx);
  if (gate) return { ...base, action: gate.action, reason: gate.reason };
  const target = step.describe(ctx);
  try {
    const live = await step.read(ctx);
    if (live === undefined) return { ...base, target, action: 'create', reason: `${target} does not exist` };
    const blocked = step.blocked?.(ctx, live);
    if (blocked) return { ...base, target, action: 'blocked', reason: blocked };
    const diff = step.diff ? await step.diff(ctx, live) : [];
    if (diff.length > 0) {
      const reason = step.updateReason?.(ctx, live) ?? `${diff.length} field(s) differ`;
      return { ...base, target, action: 'update', diff, reason };
    }
    const failed = step.failed?.(live);
    if (failed) {
      return step.update
        ? { ...base, target, action: 'update', reason: `its last change failed, redeploy: ${failed}` }
        : { ...base, target, action: 'blocked', reason: `it is in a failed state: ${failed}` };
    }
    if (step.ready && !step.ready(live))
      return { ...base, target, action: 'update', reason: 'exists but is not ready yet' };
    return { ...base, target, action: 'ok' };
  } catch (error) {
    if (isServiceDisabled(error)) {
      return {
        ...base,
        target,
        action: 'create',
        reason: `its API is not enabled yet (Core Infrastructure enables it)`,
      };
    }
    const info = gcpErrorInfo(error);
    return {
      ...base,
      target,
      action: 'blocked',
      reason: `cannot read it: ${describeGcpError(error)}`,
      missingPermissions: isPermissionDenied(error) && info.permission ? [info.permission] : undefined,
    };
  }
}

/** Only a resource a run converged can drift: before that, create/update is the plan itself. */
function markDrift(plan: StepPlan, state: MigrationState): void {
  const record = state.steps[plan.id];
  if (plan.kind !== 'resource' || record?.status !== 'done' || !record.origin) return;
  if (plan.action === 'create') {
    plan.drift = 'deleted';
    plan.reason = `deleted outside the tool since the last run: ${plan.reason ?? 'it does not exist'}`;
  } else if (plan.action === 'update' && plan.diff?.length) {
    plan.drift = 'changed';
    plan.reason = `changed since the last run (outside the tool, or by a config change): ${plan.reason ?? ''}`;
  }
}

function applyPermissions(plan: StepPlan, step: Step, missing: string[]): void {
  const lacking = step.permissions.filter((p) => missing.includes(p));
  if (lacking.length === 0 || plan.action === 'ok') return;
  plan.action = 'blocked';
  plan.missingPermissions = [...new Set([...(plan.missingPermissions ?? []), ...lacking])];
  plan.reason = `missing permission ${lacking.join(', ')} on project (grant a role that includes it)`;
}

/** A step is blocked when what it depends on is blocked, or is outside the plan and absent. */
function resolveBlocked(planned: Step[], byId: Map<string, StepPlan>, selected: Set<PhaseId>, all: Step[]): void {
  const phaseOf = new Map(all.map((s) => [s.id, s.phase]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const step of planned) {
      const plan = byId.get(step.id)!;
      if (plan.action === 'blocked') continue;
      for (const dep of step.dependsOn) {
        const depPlan = byId.get(dep);
        const outside = !selected.has(phaseOf.get(dep)!);
        const missing = outside && depPlan && (depPlan.action === 'create' || depPlan.action === 'run');
        if (depPlan?.action === 'blocked' || missing) {
          plan.action = 'blocked';
          plan.reason = missing
            ? `depends on ${dep} (phase ${phaseOf.get(dep)}), which is not done yet: include that phase`
            : `depends on ${dep}, which is blocked`;
          changed = true;
          break;
        }
      }
    }
  }
}

const TEST_PERMISSIONS_CHUNK = 100;

/** testIamPermissions answers with the subset the caller holds; the rest are missing. */
async function preflight(
  deps: EngineDeps,
  steps: Step[],
  counters: StepCounters,
  signal: AbortSignal,
): Promise<string[]> {
  const wanted = [...new Set(steps.flatMap((s) => s.permissions))].sort();
  const missing: string[] = [];
  for (let i = 0; i < wanted.length; i += TEST_PERMISSIONS_CHUNK) {
    const chunk = wanted.slice(i, i + TEST_PERMISSIONS_CHUNK);
    counters.requests++;
    const answer = await deps.gcp.request<{ permissions?: string[] }>({
      api: 'cloudresourcemanager',
      method: 'POST',
      path: `/v3/projects/${deps.config.projectId}:testIamPermissions`,
      body: { permissions: chunk },
      signal,
    });
    const held = new Set(answer.permissions ?? []);
    missing.push(...chunk.filter((p) => !held.has(p)));
  }
  return missing;
}

export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
