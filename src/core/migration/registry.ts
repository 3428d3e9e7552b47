/**
 * Phases register here; nothing else in the engine names a phase. The planner, the
 * executor, the state, the report and the editor's tree all list phases from a
 * registry. A new phase is one file under phases/ and one `.register(...)` line in
 * phases/index.ts (or, for a test, a registry of its own).
 */
import type { OrchestraConfig } from '../config/types';
import { OrchestraError } from '../errors';
import type { PhaseId, PhaseInfo } from './catalog';
import type { PhaseDefinition, PhaseSwitches, Step } from './types';

export class PhaseRegistry implements PhaseSwitches {
  private readonly phases = new Map<PhaseId, PhaseDefinition>();

  register(definition: PhaseDefinition): this {
    if (this.phases.has(definition.info.id)) {
      throw new OrchestraError('DUPLICATE_PHASE', `Phase ${definition.info.id} is registered twice.`);
    }
    this.phases.set(definition.info.id, definition);
    return this;
  }

  /** Registered phases in their catalog order. */
  list(): PhaseDefinition[] {
    return [...this.phases.values()].sort((a, b) => a.info.order - b.info.order);
  }

  get(id: PhaseId): PhaseDefinition | undefined {
    return this.phases.get(id);
  }

  /** What users see of each phase, in order. */
  infos(): PhaseInfo[] {
    return this.list().map((p) => p.info);
  }

  /** Whether the configuration leaves a phase on; a phase without settings (or unknown) is on. */
  enabled(config: OrchestraConfig, id: PhaseId): boolean {
    const key = this.phases.get(id)?.info.configKey;
    if (!key) return true;
    const settings: Readonly<Record<string, { enabled?: boolean } | undefined>> = { ...config.phases };
    return settings[key]?.enabled !== false;
  }

  /** Every step of every phase for this configuration, validated as one graph. */
  steps(config: OrchestraConfig): Step[] {
    const steps: Step[] = [];
    for (const phase of this.list()) steps.push(...phase.steps(config, [...steps], this));
    const gated = gateOnApis(steps);
    validateGraph(gated);
    return gated;
  }
}

/**
 * Each step that names the APIs it calls waits for the steps enabling those APIs, and only
 * them: a step whose API is enabled early (or is not enabled by this migration at all) starts
 * without waiting for the slowest API's enablement.
 */
export function gateOnApis(steps: readonly Step[]): Step[] {
  const enablers = new Map<string, string[]>();
  for (const step of steps) {
    for (const service of step.enables ?? []) enablers.set(service, [...(enablers.get(service) ?? []), step.id]);
  }
  return steps.map((step) => {
    if (!step.apis?.length) return step;
    const gates = step.apis.flatMap((service) => enablers.get(service) ?? []).filter((id) => id !== step.id);
    const dependsOn = [...new Set([...step.dependsOn, ...gates])];
    return dependsOn.length === step.dependsOn.length ? step : { ...step, dependsOn };
  });
}

export function validateGraph(steps: readonly Step[]): void {
  const byId = new Map<string, Step>();
  for (const step of steps) {
    if (byId.has(step.id)) throw new OrchestraError('DUPLICATE_STEP', `Step ${step.id} is defined twice.`);
    byId.set(step.id, step);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!byId.has(dep)) {
        throw new OrchestraError('UNKNOWN_DEPENDENCY', `Step ${step.id} depends on ${dep}, which no phase defines.`);
      }
    }
  }
  topologicalOrder(steps);
}

/** Kahn's algorithm; throws naming the steps of a cycle. */
export function topologicalOrder(steps: readonly Step[]): Step[] {
  const indegree = new Map(steps.map((s) => [s.id, s.dependsOn.length]));
  const dependants = dependantsOf(steps);
  const queue = steps.filter((s) => s.dependsOn.length === 0);
  const order: Step[] = [];
  const byId = new Map(steps.map((s) => [s.id, s]));
  while (queue.length) {
    const step = queue.shift()!;
    order.push(step);
    for (const next of dependants.get(step.id) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) queue.push(byId.get(next)!);
    }
  }
  if (order.length !== steps.length) {
    const stuck = steps.filter((s) => !order.includes(s)).map((s) => s.id);
    throw new OrchestraError('DEPENDENCY_CYCLE', `The steps ${stuck.join(', ')} depend on each other in a cycle.`);
  }
  return order;
}

export function dependantsOf(steps: readonly { id: string; dependsOn: readonly string[] }[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const step of steps) {
    for (const dep of step.dependsOn) map.set(dep, [...(map.get(dep) ?? []), step.id]);
  }
  return map;
}

/** Every step that (transitively) depends on `id`. */
export function transitiveDependants(id: string, dependants: Map<string, string[]>): Set<string> {
  const out = new Set<string>();
  const stack = [...(dependants.get(id) ?? [])];
  while (stack.length) {
    const next = stack.pop()!;
    if (out.has(next)) continue;
    out.add(next);
    stack.push(...(dependants.get(next) ?? []));
  }
  return out;
}

/**
 * The longest path through the graph when each step costs `cost(id)` ms: the wall
 * time no scheduler can beat. Steps missing from `cost` cost nothing.
 */
export function criticalPath(
  steps: readonly { id: string; dependsOn: readonly string[] }[],
  cost: (id: string) => number,
): { ms: number; path: string[] } {
  const finish = new Map<string, { ms: number; path: string[] }>();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const visit = (id: string): { ms: number; path: string[] } => {
    const known = finish.get(id);
    if (known) return known;
    const step = byId.get(id);
    let best = { ms: 0, path: [] as string[] };
    for (const dep of step?.dependsOn ?? []) {
      if (!byId.has(dep)) continue;
      const candidate = visit(dep);
      if (candidate.ms > best.ms) best = candidate;
    }
    const result = { ms: best.ms + cost(id), path: [...best.path, id] };
    finish.set(id, result);
    return result;
  };
  let best = { ms: 0, path: [] as string[] };
  for (const step of steps) {
    const candidate = visit(step.id);
    if (candidate.ms > best.ms) best = candidate;
  }
  return best;
}
