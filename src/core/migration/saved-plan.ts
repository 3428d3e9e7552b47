/**
 * A reviewed plan, executed as reviewed (Terraform's `apply plan.tfplan`): the plan
 * records what it was computed from (the configuration and the state, by hash) and what
 * it assumed of each live resource. Execute refuses it when the basis changed, and
 * re-reads each resource just before its step to stop, changing nothing more, when the
 * resource no longer matches what the plan assumed.
 */
import type { OrchestraConfig } from '../config/types';
import { InputError } from '../errors';
import { canonicalJson, sha256 } from '../util/canonical';
import { isServiceDisabled } from './gcp-errors';
import type { Plan, PlanBasis, StepPlan } from './planner';
import type { MigrationState } from './state';
import type { FieldDiff, Step, StepContext } from './types';

export const PLAN_FILE_VERSION = 1;

/** `verify --out plan.json`: the plan as verify --json prints it, plus the file's version. */
export type SavedPlan = Plan & {
  readonly planFileVersion: number;
  readonly createdAt: string;
  readonly basis: PlanBasis;
};

/** A saved plan no longer describes the project: nothing was changed; verify again. */
export class PlanStaleError extends InputError {
  constructor(why: string, createdAt: string, where?: string, ranBefore = false) {
    const tail = ranBefore
      ? 'The steps before it ran as planned; nothing after it was changed.'
      : 'Nothing was changed.';
    super(`The plan is stale: ${why} since the plan was made (${createdAt}). ${tail}`, {
      where,
      fix: 'Run orchestra-migrate verify --out plan.json again, review the new plan, then execute it.',
    });
    this.name = 'PlanStaleError';
  }
}

export function configFingerprint(config: OrchestraConfig): string {
  return sha256(canonicalJson(config));
}

/**
 * What runs record, not when they read it: a verify leaves it as it was; any execute,
 * skip, reset or destroy in between changes it.
 */
export function stateFingerprint(state: MigrationState): string {
  const phases = Object.fromEntries(Object.entries(state.phases).map(([id, p]) => [id, p.status]));
  const steps = Object.fromEntries(
    Object.entries(state.steps).map(([id, s]) => [id, [s.status, s.action ?? null, s.origin ?? null]]),
  );
  return sha256(canonicalJson({ phases, steps, outputs: state.outputs, run: state.run?.id ?? null }));
}

export function savedPlan(plan: Plan): SavedPlan {
  if (!plan.basis || !plan.createdAt) throw new Error('a plan without its basis cannot be saved');
  return { planFileVersion: PLAN_FILE_VERSION, ...plan, createdAt: plan.createdAt, basis: plan.basis };
}

const ACTIONS = new Set(['create', 'update', 'ok', 'run', 'blocked']);

/** Parses a plan file; anything else is bad input naming the file and what is wrong. */
export function parseSavedPlan(text: string, file: string): SavedPlan {
  const bad = (what: string) =>
    new InputError(`${file} is not a plan written by verify --out: ${what}.`, {
      where: file,
      fix: 'Write a plan with orchestra-migrate verify --out plan.json, then execute --plan plan.json.',
    });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw bad(`it is not JSON (${(error as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad('it is not a JSON object');
  const p = doc as Partial<SavedPlan>;
  if (p.planFileVersion !== PLAN_FILE_VERSION) {
    throw bad(`planFileVersion is ${JSON.stringify(p.planFileVersion)}, this build reads ${PLAN_FILE_VERSION}`);
  }
  if (typeof p.projectId !== 'string' || !p.projectId) throw bad('projectId is missing');
  if (typeof p.createdAt !== 'string' || Number.isNaN(Date.parse(p.createdAt))) throw bad('createdAt is not a date');
  if (!p.basis || typeof p.basis.config !== 'string' || typeof p.basis.state !== 'string') {
    throw bad('basis (config and state hashes) is missing');
  }
  if (!Array.isArray(p.phases)) throw bad('phases is not a list');
  p.phases.forEach((phase, i) => {
    if (!phase || typeof phase.phase !== 'string' || !Array.isArray(phase.steps))
      throw bad(`phases[${i}] is malformed`);
    phase.steps.forEach((step, j) => {
      if (!step || typeof step.id !== 'string' || !ACTIONS.has(step.action)) {
        throw bad(`phases[${i}].steps[${j}] has no id or an unknown action`);
      }
    });
  });
  return p as SavedPlan;
}

/** Why the plan's basis no longer holds, or undefined. */
export function staleBasis(saved: SavedPlan, current: PlanBasis & { projectId: string }, file?: string): void {
  if (saved.projectId !== current.projectId) {
    throw new InputError(`The plan is for project ${saved.projectId}, the configuration names ${current.projectId}.`, {
      where: file,
      fix: 'Execute a plan made for this project: run verify --out plan.json here.',
    });
  }
  if (saved.basis.config !== current.config) {
    throw new PlanStaleError(
      'the configuration (config files, settings or ORCHESTRA_* variables) changed',
      saved.createdAt,
      file,
    );
  }
  if (saved.basis.state !== current.state) {
    throw new PlanStaleError('the state file changed (a run, skip, reset or destroy)', saved.createdAt, file);
  }
}

/** The phases a saved plan covers, in its order (excluded ones are not executed). */
export function plannedPhases(saved: Plan): string[] {
  return saved.phases.filter((p) => !p.excluded).map((p) => p.phase);
}

/**
 * Checks each resource against the plan just before its step runs. A step's desired state
 * may follow from a step that changed something in this same run (a new image digest);
 * only then may a field differ that the plan did not list.
 */
export class PlanGuard {
  private readonly planned = new Map<string, StepPlan>();
  private readonly changedInRun = new Set<string>();
  private readonly depsOf: Map<string, readonly string[]>;

  constructor(
    private readonly saved: SavedPlan,
    steps: readonly Step[],
  ) {
    for (const step of saved.phases.flatMap((p) => p.steps)) this.planned.set(step.id, step);
    this.depsOf = new Map(steps.map((s) => [s.id, s.dependsOn]));
  }

  /** The executor reports each finished step; create/update/run may change what later steps desire. */
  finished(step: string, action: string): void {
    if (action !== 'none') this.changedInRun.add(step);
  }

  /** Undefined when the resource is as the plan assumed; else why not, for people. */
  async check(step: Step, ctx: StepContext): Promise<string | undefined> {
    const plan = this.planned.get(step.id);
    if (!plan || step.kind !== 'resource' || plan.action === 'blocked' || plan.action === 'run') return undefined;
    if ((await step.gate?.(ctx)) !== undefined) return undefined;
    let live: unknown;
    try {
      live = await step.read(ctx);
    } catch (error) {
      // A resource of an API this run enables was planned as create; it cannot exist yet.
      if (isServiceDisabled(error) && plan.action === 'create') return undefined;
      throw error;
    }
    const target = plan.target ?? step.describe(ctx);
    if (plan.action === 'create') return live === undefined ? undefined : `${target} now exists`;
    if (live === undefined) return `${target} was deleted`;
    const diff = step.diff ? await step.diff(ctx, live) : [];
    return this.changedField(step, plan.diff ?? [], diff, target);
  }

  private changedField(step: Step, planned: FieldDiff[], now: FieldDiff[], target: string): string | undefined {
    const before = new Map(planned.map((d) => [d.field, d]));
    for (const d of now) {
      const assumed = before.get(d.field);
      if (assumed) {
        if (canonicalJson(assumed.live) !== canonicalJson(d.live)) {
          return `${target} changed: ${d.field} was ${JSON.stringify(assumed.live)}, is now ${JSON.stringify(d.live)}`;
        }
      } else if (!this.dependsOnChange(step.id)) {
        return `${target} changed: ${d.field} is now ${JSON.stringify(d.live)} (the plan had it as desired)`;
      }
    }
    return undefined;
  }

  private dependsOnChange(id: string, seen = new Set<string>()): boolean {
    for (const dep of this.depsOf.get(id) ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      if (this.changedInRun.has(dep) || this.dependsOnChange(dep, seen)) return true;
    }
    return false;
  }

  get createdAt(): string {
    return this.saved.createdAt;
  }
}
