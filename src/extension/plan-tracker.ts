/**
 * The last plan Verify made in this window, per phase (a Verify of one phase from its row
 * replaces that phase's plan only), with what it was computed from. The presenter checks
 * it against every configuration load and state change: once either differs, the plan is
 * stale, says why and since when, and stays so until the next Verify. No 'vscode' here.
 */
import type { PhasePlan, Plan, PlanBasis } from '../core/workspace';

export interface TrackedPlan {
  readonly phase: PhasePlan;
  readonly projectId: string;
  readonly createdAt: string;
  readonly basis?: PlanBasis;
  /** Why the plan no longer describes the project, with when it was noticed. */
  stale?: string;
}

export class PlanTracker {
  private readonly plans = new Map<string, TrackedPlan>();
  private last?: Plan;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Keeps a new plan; phases it does not cover keep theirs. */
  set(plan: Plan): void {
    this.last = plan;
    const createdAt = plan.createdAt ?? this.now().toISOString();
    for (const phase of plan.phases) {
      this.plans.set(phase.phase, { phase, projectId: plan.projectId, createdAt, basis: plan.basis });
    }
    this.fire();
  }

  /** The last Verify's whole plan (what "Execute this plan" runs), stale when any of its phases is. */
  latest(): { readonly plan: Plan; readonly stale?: string } | undefined {
    const plan = this.last;
    if (!plan) return undefined;
    const mine = plan.phases
      .map((p) => this.plans.get(p.phase))
      .filter((t) => t && t.phase === plan.phases.find((x) => x.phase === t.phase.phase));
    if (mine.length < plan.phases.length)
      return { plan, stale: 'the project changed since (another project, or a newer plan of some of its phases)' };
    const stale = mine.find((t) => t?.stale)?.stale;
    return stale ? { plan, stale } : { plan };
  }

  get(phase: string): TrackedPlan | undefined {
    return this.plans.get(phase);
  }

  all(): TrackedPlan[] {
    return [...this.plans.values()];
  }

  /**
   * Marks stale every plan whose basis differs from the project now. `configHash` is
   * undefined while the configuration does not load (that is a change too); a plan of
   * another project is dropped.
   */
  check(now: { projectId?: string; configHash?: string; stateHash?: string }): void {
    let changed = false;
    for (const [id, tracked] of this.plans) {
      if (now.projectId !== undefined && tracked.projectId !== now.projectId) {
        this.plans.delete(id);
        if (this.last?.projectId === tracked.projectId) this.last = undefined;
        changed = true;
        continue;
      }
      if (tracked.stale || !tracked.basis) continue;
      const why =
        tracked.basis.config !== now.configHash
          ? 'the configuration changed'
          : now.stateHash !== undefined && tracked.basis.state !== now.stateHash
            ? 'the state file changed (a run, skip or reset)'
            : undefined;
      if (why) {
        tracked.stale = `${why} at ${this.now().toISOString()}; verify again`;
        changed = true;
      }
    }
    if (changed) this.fire();
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  clear(): void {
    this.plans.clear();
    this.last = undefined;
    this.fire();
  }

  private fire(): void {
    for (const listener of this.listeners) listener();
  }
}
