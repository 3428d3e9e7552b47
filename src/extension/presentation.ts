/**
 * The presenter's pure half: what the tree and the status bar show of a workspace load
 * and a state snapshot, as plain data and text. No 'vscode' here, so it runs (and is
 * tested) on plain Node; phase-tree.ts and status-bar.ts turn it into VS Code items.
 */
import type { EnvironmentKind } from '../core/environment';
import type { PhaseInfo, PhaseStatus } from '../core/migration/catalog';
import type { MonitorSnapshot } from '../core/migration/monitor';
import type { StepRecord, StepStatus } from '../core/migration/types';
import type { CutoverRecord, PlanAction, StepInfo, StepPlan, UsedEndpoint, WorkspaceView } from '../core/workspace';
import { CUTOVER_LABELS, describeCutover, PHASE_STATUS_LABELS } from '../core/workspace/catalog';
import type { PlanTracker, TrackedPlan } from './plan-tracker';

/** What the tree knows of one phase: its status and, once a run recorded them, its steps. */
export interface PhaseDetail {
  readonly status: PhaseStatus;
  readonly steps?: readonly StepRecord[];
  readonly error?: string;
  readonly blockedBy?: string;
  readonly finishedAt?: string;
  /** Why the phase's result may be out of date (a phase it builds on was reset since it ran). */
  readonly stale?: string;
  /** Set when the run that left this phase in progress is gone: why (no live process holds its lock). */
  readonly interrupted?: string;
  /** Every step this configuration gives the phase, recorded or not (listed before any run). */
  readonly defined?: readonly StepInfo[];
  /** The last Verify's plan of this phase. */
  readonly plan?: TrackedPlan;
  /** The memory's cutover, on the phase whose copy it finishes (Memory System). */
  readonly cutover?: CutoverRecord;
}

/**
 * The phase the cutover belongs to: its final delta is the Memory System copy's. A literal,
 * not the engine's constant: the tree must not load the engine's phase modules.
 */
export const CUTOVER_PHASE = 'memory-system';

/** The phase row's word for the cutover ("cut over"), none before one started. */
export function cutoverDescription(record: CutoverRecord | undefined): string | undefined {
  return record ? CUTOVER_LABELS[record.status] : undefined;
}

/** The cutover in a sentence for the phase's tooltip, naming the palette's commands. */
export function cutoverTooltip(record: CutoverRecord): string {
  return describeCutover(record, { cutover: 'Cutover', rollback: 'Rollback Cutover' });
}

/** A phase row of the "Migration Phases" tree. */
export interface PhaseNode {
  readonly kind: 'phase';
  readonly phase: PhaseInfo;
  readonly status: PhaseStatus;
  readonly detail: PhaseDetail;
}

/** A step (resource or action) row under its phase. */
export interface StepNode {
  readonly kind: 'step';
  readonly phase: PhaseInfo;
  /** The state's record; a pending one (attempts 0) for a step no run has reached. */
  readonly step: StepRecord;
  /** The run that left this step running is gone. */
  readonly interrupted?: boolean;
  /** The step's name for people ("Runtime service account"). */
  readonly title?: string;
  /** False when no run recorded the step (the record is a stand-in). */
  readonly recorded?: boolean;
  /** What the last Verify planned for it, with the plan's date and staleness. */
  readonly planned?: { readonly step: StepPlan; readonly createdAt: string; readonly stale?: string };
}

export type PhaseTreeNode = PhaseNode | StepNode;

export const ENVIRONMENT_LABELS: Readonly<Record<EnvironmentKind, string>> = {
  local: 'Local',
  codespaces: 'Codespaces',
  workstation: 'Cloud Workstation',
  cloud_run: 'Cloud Run',
};

export const STEP_STATUS_LABELS: Readonly<Record<StepStatus, string>> = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'failed',
  blocked: 'blocked',
  cancelled: 'cancelled',
};

const ACTION_LABELS: Readonly<Record<string, string>> = {
  create: 'created',
  update: 'updated',
  none: 'unchanged',
  run: 'ran',
};

export function isInterrupted(detail: PhaseDetail): boolean {
  return detail.interrupted !== undefined && detail.status === 'in-progress';
}

/** Stale matters only where there is a result to be out of date. */
export function isStale(detail: PhaseDetail): boolean {
  return detail.stale !== undefined && detail.status !== 'not-started' && detail.status !== 'in-progress';
}

/** "completed · 4/4": the status, then steps done out of steps recorded; "· stale" when a reset upstream outdated it. */
export function phaseDescription(detail: PhaseDetail): string {
  const cutover = cutoverDescription(detail.cutover);
  return cutover ? `${statusDescription(detail)} · ${cutover}` : statusDescription(detail);
}

function statusDescription(detail: PhaseDetail): string {
  const label = isInterrupted(detail) ? 'interrupted' : PHASE_STATUS_LABELS[detail.status];
  const planned = phasePlanDescription(detail);
  if (planned) return `${label} · ${planned}${isStale(detail) ? ' · stale' : ''}`;
  const steps = detail.steps ?? [];
  const counted = steps.length
    ? `${label} · ${steps.filter((s) => s.status === 'done').length}/${steps.length}`
    : label;
  return isStale(detail) ? `${counted} · stale` : counted;
}

export function stepDescription(step: StepRecord, interrupted = false): string {
  if (interrupted && step.status === 'running') return 'interrupted';
  const action = step.status === 'done' && step.action ? ACTION_LABELS[step.action] : undefined;
  return action ? `${STEP_STATUS_LABELS[step.status]} · ${action}` : STEP_STATUS_LABELS[step.status];
}

/**
 * A finished step's figures in its tooltip. `retries` is the figure the state, the report
 * and `status` give (Google's and the memory servers' resent calls, and reruns), so the
 * tooltip cannot disagree with them; attempts only say how often the step itself ran.
 */
export function stepFigures(step: StepRecord): string {
  const retries = step.retries ?? 0;
  const reruns = step.attempts > 1 ? `; the step ran ${step.attempts} times` : '';
  return `${step.durationMs ?? 0} ms, ${retries} ${retries === 1 ? 'retry' : 'retries'}${reruns}.`;
}

/** The tree's rows: every registered phase in order, with what the state says of it (not started without one). */
export function phaseNodes(
  phases: readonly PhaseInfo[],
  snapshot?: MonitorSnapshot,
  extra: { readonly steps?: readonly StepInfo[]; readonly plans?: PlanTracker } = {},
): PhaseNode[] {
  const byId = new Map((snapshot?.phases ?? []).map((p) => [p.id, p]));
  const defined = (id: string) => extra.steps?.filter((s) => s.phase === id);
  return [...phases]
    .sort((a, b) => a.order - b.order)
    .map((phase) => {
      const p = byId.get(phase.id);
      const detail: PhaseDetail = p
        ? {
            status: p.status,
            steps: p.steps,
            error: p.error,
            blockedBy: p.blockedBy,
            finishedAt: p.finishedAt,
            stale: p.stale,
            interrupted: snapshot?.interrupted,
            defined: defined(phase.id),
            plan: extra.plans?.get(phase.id),
            ...(phase.id === CUTOVER_PHASE && snapshot?.cutover ? { cutover: snapshot.cutover } : {}),
          }
        : { status: 'not-started', defined: defined(phase.id), plan: extra.plans?.get(phase.id) };
      return { kind: 'phase', phase, status: detail.status, detail };
    });
}

/**
 * A phase's step rows: every step the configuration defines, in order, with its record
 * and its planned action; recorded steps the configuration no longer defines follow.
 */
export function stepNodes(node: PhaseNode): StepNode[] {
  const interrupted = node.detail.interrupted !== undefined;
  const records = new Map((node.detail.steps ?? []).map((s) => [s.id, s]));
  const plan = node.detail.plan;
  const planned = new Map((plan?.phase.steps ?? []).map((s) => [s.id, s]));
  const row = (id: string, title: string | undefined): StepNode => {
    const record = records.get(id);
    const step = planned.get(id);
    return {
      kind: 'step',
      phase: node.phase,
      step: record ?? { id, phase: node.phase.id, status: 'pending', attempts: 0 },
      interrupted,
      title: title ?? step?.title,
      recorded: record !== undefined,
      ...(step && plan ? { planned: { step, createdAt: plan.createdAt, stale: plan.stale } } : {}),
    };
  };
  const defined = node.detail.defined ?? [];
  const known = new Set(defined.map((s) => s.id));
  return [
    ...defined.map((s) => row(s.id, s.title)),
    ...[...records.keys()].filter((id) => !known.has(id)).map((id) => row(id, undefined)),
  ];
}

/** What a step row shows: its run record, the plan's verdict, or that nothing is planned yet. */
export function stepShows(node: StepNode): 'record' | 'plan' | 'unplanned' {
  const record = node.recorded ? node.step : undefined;
  const planned = node.planned;
  if (record && planned) {
    const last = record.finishedAt ?? record.startedAt;
    // A run after the plan (or one going on now) says more than the plan did.
    return record.status === 'running' || (last !== undefined && last > planned.createdAt) ? 'record' : 'plan';
  }
  if (planned) return 'plan';
  return record ? 'record' : 'unplanned';
}

export const PLAN_ACTION_LABELS: Readonly<Record<PlanAction, string>> = {
  create: 'to create',
  update: 'to update',
  ok: 'up to date',
  run: 'to run',
  blocked: 'blocked',
};

/**
 * The memory sync's pending changes as a diff reads them: "+500 ~300 −200 to sync" (new,
 * updated, deleted records since the last copy or sync).
 */
export function deltaDescription(delta: NonNullable<StepPlan['delta']>): string {
  return `+${delta.added} ~${delta.updated} −${delta.deleted} to sync`;
}

/** "to update · changed outside the tool", "to create (stale plan)", "not planned yet". */
export function plannedDescription(node: StepNode): string {
  const planned = node.planned;
  if (!planned) return 'not planned yet';
  const delta = planned.step.delta;
  if (delta && planned.step.action === 'run')
    return `${deltaDescription(delta)}${planned.stale ? ' (stale plan)' : ''}`;
  const drift =
    planned.step.drift === 'deleted'
      ? ' · deleted outside the tool'
      : planned.step.drift === 'changed'
        ? ' · changed since the last run'
        : '';
  return `${PLAN_ACTION_LABELS[planned.step.action]}${drift}${planned.stale ? ' (stale plan)' : ''}`;
}

/** "2 to create, 1 to update" (non-zero counts only; "all up to date" when nothing changes). */
export function planCounts(steps: readonly StepPlan[]): string {
  const counts = new Map<PlanAction, number>();
  for (const step of steps) counts.set(step.action, (counts.get(step.action) ?? 0) + 1);
  const order: PlanAction[] = ['create', 'update', 'run', 'blocked', 'ok'];
  const parts = order.filter((a) => counts.get(a)).map((a) => `${counts.get(a)} ${PLAN_ACTION_LABELS[a]}`);
  if (parts.length === 1 && counts.get('ok')) return 'all up to date';
  return parts.join(', ') || 'nothing to plan';
}

/** The phase row's plan summary, or undefined when the row shows its run instead. */
export function phasePlanDescription(detail: PhaseDetail): string | undefined {
  const plan = detail.plan;
  if (!plan) return undefined;
  if (plan.phase.excluded) return `${plan.phase.excluded}: not planned`;
  const ranSince = (detail.steps ?? []).some((s) => (s.finishedAt ?? s.startedAt ?? '') > plan.createdAt);
  if (ranSince && plan.stale) return undefined;
  // The pending sync is what a user checks before a cutover: on the phase row, not only its step's.
  const sync = plan.phase.steps.find((s) => s.delta && s.action === 'run')?.delta;
  const counts = sync ? `${planCounts(plan.phase.steps)} · ${deltaDescription(sync)}` : planCounts(plan.phase.steps);
  return `${counts}${plan.stale ? ' (stale plan)' : ''}`;
}

/** A field's value in a tooltip: JSON, cut short. */
export function shortValue(value: unknown, max = 120): string {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What the status bar shows of the migration: read from the configuration and the state file. */
export interface MigrationSummary {
  readonly running: boolean;
  readonly progress?: { readonly done: number; readonly total: number };
  readonly projectId?: string;
  /** The endpoints runs and health checks call now, as the workspace resolved them. */
  readonly endpoints: readonly UsedEndpoint[];
  /** Config files read, relative to the workspace folder where possible. */
  readonly files: readonly string[];
  /** Why the configuration could not be used, in one line. */
  readonly problem?: string;
  /** The state says a run is in progress but its process is gone: why. */
  readonly interrupted?: string;
}

export function migrationSummary(
  view: WorkspaceView | undefined,
  snapshot: MonitorSnapshot | undefined,
): MigrationSummary | undefined {
  if (!view) return undefined;
  return {
    running: snapshot?.running ?? false,
    progress: snapshot?.progress,
    projectId: view.ok ? view.projectId || undefined : undefined,
    endpoints: view.ok ? view.used : [],
    files: view.ok ? view.files : [],
    problem: view.ok ? undefined : view.summary,
    interrupted: snapshot?.interrupted,
  };
}

/**
 * Why the tree's statuses may not be the real ones: a configuration that does not load
 * (the phases then show as not started) or a state file that cannot be read.
 */
export function treeProblem(
  view: WorkspaceView | undefined,
  snapshot: MonitorSnapshot | undefined,
): string | undefined {
  if (view && !view.ok) {
    // The statuses still come from the state file when one is known: say what they are and what waits.
    const shown = view.stateFile
      ? 'The phases show the state file as last recorded; verify and execute wait until it is fixed'
      : 'The phases show as not started until it is fixed';
    return `${view.summary} ${shown}; details in the log.`;
  }
  return snapshot?.problem;
}

/** The line above the tree: the configuration problem, or that no project is configured yet. */
export function treeMessage(view: WorkspaceView | undefined, noProject: () => string): string | undefined {
  if (!view) return undefined;
  if (!view.ok) return view.summary;
  return view.stateFile ? undefined : noProject();
}

/** Escapes text (evidence values, errors, ids) for a MarkdownString built by hand. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
