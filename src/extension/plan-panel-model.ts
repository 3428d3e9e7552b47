/**
 * What the Plan & Run panel shows, as protocol data (src/shared/plan-protocol.ts): the
 * plan converted for the webview, and a run followed event by event. No 'vscode' here:
 * tested on plain Node, and the bench drives it with a 500-step run.
 */
import type { EngineEvent } from '../core/migration/events';
import type { Plan, StepInfo } from '../core/workspace';
import { consoleUrl } from '../shared/console-links';
import {
  countActions,
  type CopyProgress,
  type HostMessage,
  type PanelPlan,
  type PanelRun,
  type PanelStepRun,
  type RunStatus,
} from '../shared/plan-protocol';
import { shortValue } from './presentation';
import { forEditor } from './wording';

/** The plan as the panel draws it; `stale` from the plan tracker. */
export function toPanelPlan(plan: Plan, stale?: string): PanelPlan {
  const phases = plan.phases.map((phase) => {
    const steps = phase.steps.map((s) => ({
      id: s.id,
      title: s.title,
      action: s.action,
      ...(s.target ? { target: s.target } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      diff: (s.diff ?? []).map((d) => ({
        field: d.field,
        live: shortValue(d.live, 200),
        desired: shortValue(d.desired, 200),
      })),
      ...(s.drift ? { drift: s.drift } : {}),
      missingPermissions: s.missingPermissions ?? [],
      ...optional('consoleUrl', consoleUrl(s.id, s.target, plan.projectId)),
    }));
    return {
      id: phase.phase,
      title: phase.title,
      ...(phase.excluded ? { excluded: phase.excluded } : {}),
      counts: countActions(steps),
      steps,
    };
  });
  return {
    projectId: plan.projectId,
    createdAt: plan.createdAt ?? new Date().toISOString(),
    ...(stale ? { stale } : {}),
    counts: countActions(phases.flatMap((p) => p.steps)),
    phases,
    missingPermissions: plan.missingPermissions,
    grantCommands: grantCommands(plan.projectId, plan.missingPermissions),
    ...(plan.preflightError ? { preflightError: plan.preflightError } : {}),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * Permissions are granted through a role: a custom role holding exactly the missing ones,
 * bound to the account that runs the migration.
 */
export function grantCommands(projectId: string, missing: readonly string[]): string[] {
  if (!missing.length) return [];
  return [
    `gcloud iam roles create orchestraMigrate --project=${projectId} --title="Orchestra Migrate" --permissions=${missing.join(',')}`,
    `gcloud projects add-iam-policy-binding ${projectId} --member="user:$(gcloud config get-value account)" --role=projects/${projectId}/roles/orchestraMigrate`,
  ];
}

/** "Cause. Fix: what to do" as the executor writes a failure, split for the panel. */
export function splitFailure(written: string): { cause: string; fix?: string } {
  // The panel advises the palette's commands where the engine names the CLI's.
  const error = forEditor(written);
  const at = error.lastIndexOf(' Fix: ');
  if (at >= 0) return { cause: error.slice(0, at), fix: error.slice(at + ' Fix: '.length) };
  const line = error.indexOf('\n  fix: ');
  return line >= 0 ? { cause: error.slice(0, line), fix: error.slice(line + '\n  fix: '.length) } : { cause: error };
}

/**
 * One run as the panel shows it, fed the engine's events; each change becomes one small
 * message (a step, the copy's progress), so a 500-step run never resends the whole table.
 */
export class RunModel {
  private readonly steps = new Map<string, PanelStepRun>();
  private status: RunStatus = 'running';
  private copy?: CopyProgress;
  private copyStart?: { readonly at: number; readonly done: number };
  private summary?: string;

  constructor(
    private readonly runId: string,
    private readonly startedAtMs: number,
    planned: readonly StepInfo[],
    private readonly now: () => number = Date.now,
  ) {
    for (const s of planned)
      this.steps.set(s.id, { id: s.id, phase: s.phase, title: s.title, state: 'queued', retries: 0 });
  }

  snapshot(): PanelRun {
    return {
      runId: this.runId,
      status: this.status,
      startedAtMs: this.startedAtMs,
      steps: [...this.steps.values()],
      ...(this.copy ? { copy: this.copy } : {}),
      ...(this.summary ? { summary: this.summary } : {}),
    };
  }

  /** The message for the webview, or undefined when the event changes nothing it shows. */
  apply(event: EngineEvent): HostMessage | undefined {
    const at = Date.parse(event.at) - this.startedAtMs;
    switch (event.type) {
      case 'step-started':
        return this.update(event.step, event.phase, { state: 'running', startMs: at, endMs: undefined });
      case 'step-finished':
        return this.update(event.step, event.phase, { state: 'done', endMs: at, did: event.action });
      case 'step-failed':
        return this.update(event.step, event.phase, { state: 'failed', endMs: at, ...splitFailure(event.error) });
      case 'step-cancelled':
        return this.update(event.step, event.phase, { state: 'cancelled', endMs: at });
      case 'step-blocked':
        return this.update(event.step, event.phase, {
          state: 'blocked',
          cause: `waits on ${event.blockedBy}: ${event.reason}`,
        });
      case 'step-progress':
        return this.progress(event.step, event.done, event.total);
      case 'run-finished':
        this.status = event.status;
        this.summary = event.summary;
        // Steps the run never reached were not run: cancelled, not queued for ever.
        if (event.status === 'cancelled') {
          for (const [id, s] of this.steps) if (s.state === 'queued') this.steps.set(id, { ...s, state: 'cancelled' });
        }
        return { type: 'run-finished', status: event.status, ...(event.summary ? { summary: event.summary } : {}) };
      default:
        return undefined;
    }
  }

  /** Tries beyond the first, as the state records them (attempts). */
  retried(step: string, attempts: number): HostMessage | undefined {
    const current = this.steps.get(step);
    if (!current || attempts - 1 <= current.retries) return undefined;
    return this.update(step, current.phase, { retries: attempts - 1 });
  }

  private update(id: string, phase: string, change: Partial<PanelStepRun>): HostMessage {
    const before = this.steps.get(id) ?? { id, phase, title: id, state: 'queued' as const, retries: 0 };
    const step = { ...before, ...change };
    this.steps.set(id, step);
    return { type: 'step', step, sentAtMs: this.now() };
  }

  private progress(step: string, done: number, total: number): HostMessage | undefined {
    if (!/copy/.test(step)) return undefined;
    const at = this.now();
    if (!this.copyStart || done < this.copyStart.done) this.copyStart = { at, done };
    const seconds = (at - this.copyStart.at) / 1000;
    const ratePerSecond = seconds > 0 ? Math.round((done - this.copyStart.done) / seconds) : 0;
    this.copy = { step, done, total, ratePerSecond };
    return { type: 'copy', copy: this.copy };
  }
}
