/**
 * Execute: a DAG scheduler over every step of the selected phases. A step starts as
 * soon as all it depends on is done (across phases), up to `concurrency` at once,
 * longest remaining chain first, so the wall time approaches the graph's critical
 * path. Each step is recorded in the state before and after it runs. A failure
 * blocks the failed step's dependants only; independent work goes on. Cancellation
 * stops new steps and reaches running ones through the signal.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { isOrchestraError } from '../errors';
import type { PhaseId } from './catalog';
import { sleep } from '../util/sleep';
import { countingRetries } from '../util/retry-count';
import { applyResource } from './apply';
import { makeStepContext, type EngineDeps, type StepCounters } from './context';
import type { EngineEvents } from './events';
import { describeGcpError, gcpErrorInfo } from './gcp-errors';
import { dependantsOf } from './registry';
import type { MigrationState, PhaseRecord } from './state';
import { emptyPhaseMetrics, pushHistory } from './state';
import { assertTransition } from './status';
import type { StateStore } from './store';
import type { Step, StepAction, StepContext, StepRecord } from './types';

export interface ExecuteResult {
  runId: string;
  status: 'completed' | 'failed' | 'cancelled';
  durationMs: number;
  phases: PhaseId[];
  /** Each step's own duration (ms), for the critical path. */
  stepDurations: Record<string, number>;
  failures: { step: string; error: string }[];
  blocked: { step: string; blockedBy: string }[];
  /** What this run's steps did (the same figures the state's metrics add up). */
  counts: RunCounts;
  /** One line for people: "Nothing to change: …" when no step created or updated anything. */
  summary: string;
}

export interface RunCounts {
  steps: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  blocked: number;
  cancelled: number;
  retries: number;
}

/** The run in one sentence, the same for the CLI, the editor's toast and the log. */
export function summarizeRun(status: ExecuteResult['status'], c: RunCounts, durationMs: number): string {
  const took = `${(durationMs / 1000).toFixed(1)} s`;
  const retries = c.retries ? `, ${c.retries} ${c.retries === 1 ? 'retry' : 'retries'}` : '';
  if (status === 'completed' && c.created + c.updated === 0) {
    return `Nothing to change: all ${c.steps} steps already as desired (${c.unchanged} unchanged${retries}), checked in ${took}.`;
  }
  const parts = [`${c.created} created`, `${c.updated} updated`, `${c.unchanged} unchanged`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.blocked) parts.push(`${c.blocked} blocked`);
  if (c.cancelled) parts.push(`${c.cancelled} not run (cancelled)`);
  return `Run ${status} in ${took}: ${c.steps} steps, ${parts.join(', ')}${retries}.`;
}

export interface ExecuteInput {
  deps: EngineDeps;
  store: StateStore;
  events: EngineEvents;
  /** Steps of the phases this run executes. */
  steps: Step[];
  /** Steps outside the run that some run step depends on (checked, never changed). */
  external: Step[];
  phases: PhaseId[];
  concurrency: number;
  signal: AbortSignal;
  note?: string;
  logFile?: string;
  /** A reviewed plan's check before each step (saved-plan.ts); a mismatch stops the run. */
  guard?: StepGuard;
}

export interface StepGuard {
  /** Why the step's resource no longer matches what was reviewed, or undefined. */
  check(step: Step, ctx: StepContext): Promise<string | undefined>;
  finished(step: string, action: StepAction): void;
  /** Stops the run (aborts its signal) with the reason; the executor changes nothing more. */
  stale(step: Step, reason: string): void;
}

const now = () => new Date().toISOString();

export async function executeSteps(input: ExecuteInput): Promise<ExecuteResult> {
  return new Run(input).start();
}

class Run {
  private readonly runId = randomUUID().slice(0, 8);
  private readonly byId: Map<string, Step>;
  private readonly dependants: Map<string, string[]>;
  private readonly remaining = new Map<string, number>();
  private readonly settled = new Map<string, 'done' | 'failed' | 'blocked' | 'cancelled'>();
  private readonly priority = new Map<string, number>();
  private readonly ready: Step[] = [];
  private readonly durations: Record<string, number> = {};
  private readonly failures: { step: string; error: string }[] = [];
  private readonly counts: RunCounts = {
    steps: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    blocked: 0,
    cancelled: 0,
    retries: 0,
  };
  /** Phases whose metrics were cleared for this run (they describe the phase's last run). */
  private readonly freshMetrics = new Set<PhaseId>();
  private readonly blocked: { step: string; blockedBy: string }[] = [];
  private running = 0;
  private finish!: () => void;
  private readonly startedMs = Date.now();

  constructor(private readonly input: ExecuteInput) {
    this.byId = new Map(input.steps.map((s) => [s.id, s]));
    this.dependants = dependantsOf(input.steps);
    for (const step of input.steps) this.priority.set(step.id, this.chainLength(step.id));
  }

  async start(): Promise<ExecuteResult> {
    const { store, events, phases, steps } = this.input;
    await store.update((s) => {
      s.run = {
        id: this.runId,
        startedAt: now(),
        status: 'running',
        phases,
        pid: process.pid,
        host: os.hostname(),
        ...(this.input.logFile ? { log: this.input.logFile } : {}),
      };
      s.metrics.runs++;
      pushHistory(s, { at: now(), type: 'run-started', message: `run ${this.runId}: ${phases.join(', ')}` });
    });
    events.emit({
      type: 'run-started',
      runId: this.runId,
      phases,
      steps: steps.length,
      at: now(),
      message: this.input.note,
    });
    await this.checkExternal();
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    for (const step of steps) {
      if (this.settled.has(step.id)) continue;
      const inRun = step.dependsOn.filter((d) => this.byId.has(d));
      this.remaining.set(step.id, inRun.length);
      if (inRun.length === 0) this.ready.push(step);
    }
    this.pump();
    await done;
    return this.close();
  }

  /** Dependencies outside this run must already exist (or be done, for actions). */
  private async checkExternal(): Promise<void> {
    const { external, deps, store, signal } = this.input;
    const missing = new Map<string, string>();
    await Promise.all(
      external.map(async (step) => {
        const phase = store.state.phases[step.phase];
        if (step.kind === 'action') {
          const ok = phase.status === 'skipped' || store.state.steps[step.id]?.status === 'done';
          if (!ok) missing.set(step.id, `${step.id} (phase ${step.phase}, not in this run) has not run yet`);
          return;
        }
        const counters: StepCounters = { requests: 0, retries: 0, custom: {} };
        const ctx = makeStepContext(deps, step, counters, { store, signal, mode: 'verify' });
        try {
          if ((await step.read(ctx)) === undefined) {
            missing.set(step.id, `${step.describe(ctx)} does not exist; run phase ${step.phase} first`);
          }
        } catch (error) {
          missing.set(step.id, `${step.id} cannot be read: ${describeGcpError(error)}`);
        }
      }),
    );
    for (const [dep, reason] of missing) {
      for (const step of this.input.steps) {
        if (step.dependsOn.includes(dep)) await this.block(step, dep, reason);
      }
    }
  }

  private chainLength(id: string, seen = new Set<string>()): number {
    if (seen.has(id)) return 0;
    seen.add(id);
    return 1 + Math.max(0, ...(this.dependants.get(id) ?? []).map((d) => this.chainLength(d, seen)));
  }

  private pump(): void {
    const { signal, concurrency } = this.input;
    if (signal.aborted) {
      for (const step of this.ready.splice(0)) this.cancel(step);
    }
    this.ready.sort((a, b) => this.priority.get(b.id)! - this.priority.get(a.id)!);
    while (this.running < concurrency && this.ready.length > 0 && !signal.aborted) {
      const step = this.ready.shift()!;
      this.running++;
      void this.runStep(step).finally(() => {
        this.running--;
        this.pump();
      });
    }
    if (this.running === 0 && (this.ready.length === 0 || signal.aborted) && this.allSettledOrStuck()) this.finish();
  }

  private allSettledOrStuck(): boolean {
    // Steps still waiting on a dependency that will never finish (cancelled run) count as settled.
    if (this.input.signal.aborted) {
      for (const step of this.input.steps) this.cancel(step);
      return true;
    }
    return this.input.steps.every((s) => this.settled.has(s.id));
  }

  private async runStep(step: Step): Promise<void> {
    const { store, events, deps, signal } = this.input;
    const started = Date.now();
    const before = store.state.steps[step.id] ? { ...store.state.steps[step.id] } : undefined;
    await this.phaseStarted(step.phase);
    // A cancel may have come while the phase's record was written: the step has not
    // started, so it must not be logged (or recorded) as started after the cancel.
    if (signal.aborted) {
      this.cancel(step);
      return;
    }
    await store.update((s) => {
      const previous = s.steps[step.id];
      s.steps[step.id] = {
        ...previous,
        id: step.id,
        phase: step.phase,
        status: 'running',
        startedAt: now(),
        finishedAt: undefined,
        error: undefined,
        blockedBy: undefined,
        // Tries in this run: a rerun that finds the step done is its first attempt, not its sixth.
        attempts: 1,
        retries: 0,
      };
      pushHistory(s, {
        at: now(),
        type: 'step-started',
        phase: step.phase,
        step: step.id,
        message: `${step.id} started`,
      });
    });
    events.emit({ type: 'step-started', step: step.id, phase: step.phase, at: now() });
    const counters: StepCounters = { requests: 0, retries: 0, custom: {} };
    const ctx = makeStepContext(deps, step, counters, { store, events, signal, mode: 'execute' });
    try {
      await this.guard(step, ctx);
      // Every retry under the step counts for it: the REST client's, the memory client's, its own reruns.
      const action = await countingRetries(
        () => counters.retries++,
        () =>
          withStepRetries(
            ctx,
            () => this.apply(step, ctx, before),
            () => this.retrying(step),
          ),
      );
      this.input.guard?.finished(step.id, action);
      const durationMs = Date.now() - started;
      this.durations[step.id] = durationMs;
      await store.update((s) => {
        const record = s.steps[step.id];
        Object.assign(record, {
          status: 'done',
          action,
          finishedAt: now(),
          durationMs,
          requests: counters.requests,
          retries: counters.retries,
        });
        if (step.kind === 'resource') {
          record.origin ??= action === 'create' || record.creating ? 'created' : 'adopted';
          delete record.creating;
          if (action === 'update') record.updatedAt = record.finishedAt;
        }
        this.addMetrics(
          s,
          step.phase,
          counters,
          action === 'create' ? 'created' : action === 'update' ? 'updated' : 'unchanged',
        );
        pushHistory(s, {
          at: now(),
          type: 'step-finished',
          phase: step.phase,
          step: step.id,
          message: `${step.id}: ${action}`,
        });
      });
      events.emit({ type: 'step-finished', step: step.id, phase: step.phase, action, durationMs, at: now() });
      await this.settle(step, 'done');
    } catch (error) {
      this.durations[step.id] = Date.now() - started;
      if (signal.aborted) {
        this.settled.set(step.id, 'cancelled');
        await store.update((s) => {
          // A step done by an earlier run and only re-checked now stays done: cancelling the
          // check changes nothing in the cloud. Otherwise resume re-reads the resource.
          if (before?.status === 'done') s.steps[step.id] = before;
          else
            Object.assign(s.steps[step.id], {
              status: 'cancelled',
              finishedAt: now(),
              requests: counters.requests,
              retries: counters.retries,
            });
        });
        events.emit({ type: 'step-cancelled', step: step.id, phase: step.phase, at: now() });
        return;
      }
      // One line for the state, the tree and the report: what went wrong, then how to fix
      // it (a memory server's 401 says where the key goes).
      const fix = isOrchestraError(error) ? error.fix : undefined;
      const described = describeGcpError(error);
      const message = fix && !described.includes(fix) ? `${described} Fix: ${fix}` : described;
      this.failures.push({ step: step.id, error: message });
      deps.logger.error(`${step.id} failed: ${message}`);
      await store.update((s) => {
        Object.assign(s.steps[step.id], {
          status: 'failed',
          error: message,
          finishedAt: now(),
          requests: counters.requests,
          retries: counters.retries,
        });
        this.addMetrics(s, step.phase, counters, 'failed');
        pushHistory(s, {
          at: now(),
          type: 'step-failed',
          phase: step.phase,
          step: step.id,
          message: `${step.id}: ${message}`,
        });
      });
      events.emit({ type: 'step-failed', step: step.id, phase: step.phase, error: message, at: now() });
      await this.settle(step, 'failed');
      for (const id of this.dependants.get(step.id) ?? []) {
        const dependant = this.byId.get(id);
        if (dependant) await this.block(dependant, step.id, message);
      }
    }
  }

  /** A stale plan aborts the run's signal: this step then ends cancelled, as the rest. */
  private async guard(step: Step, ctx: StepContext): Promise<void> {
    const guard = this.input.guard;
    const reason = guard && (await guard.check(step, ctx));
    if (!reason) return;
    guard.stale(step, reason);
    throw new Error(reason);
  }

  /** The step's record counts the try about to start, so its attempts and the retries agree. */
  private async retrying(step: Step): Promise<void> {
    await this.input.store.update((s) => {
      const record = s.steps[step.id];
      if (record) record.attempts++;
    });
  }

  private async apply(step: Step, ctx: StepContext, before: StepRecord | undefined): Promise<StepAction> {
    if (step.kind === 'resource') return (await applyResource(step, ctx)).action;
    if (step.once && before?.status === 'done') return 'none';
    return (await step.run(ctx)) === 'none' ? 'none' : 'run';
  }

  /** Clears a phase's metrics the first time this run touches it (started or blocked). */
  private freshPhaseMetrics(s: MigrationState, phase: PhaseId): void {
    if (this.freshMetrics.has(phase)) return;
    this.freshMetrics.add(phase);
    s.phases[phase].metrics = emptyPhaseMetrics();
  }

  private addMetrics(
    s: MigrationState,
    phase: PhaseId,
    counters: StepCounters,
    outcome: 'created' | 'updated' | 'unchanged' | 'failed' | 'blocked',
  ): void {
    this.freshPhaseMetrics(s, phase);
    this.counts.steps++;
    this.counts[outcome]++;
    this.counts.retries += counters.retries;
    const targets = [s.phases[phase].metrics, s.metrics];
    for (const m of targets) {
      m.steps++;
      m[outcome]++;
      m.requests += counters.requests;
      m.retries += counters.retries;
      for (const [k, v] of Object.entries(counters.custom)) m.custom[k] = (m.custom[k] ?? 0) + v;
    }
  }

  private async block(step: Step, blockedBy: string, reason: string): Promise<void> {
    if (this.settled.has(step.id)) return;
    // Settled at once so a concurrent failure does not block it twice.
    this.settled.set(step.id, 'blocked');
    this.blocked.push({ step: step.id, blockedBy });
    await this.input.store.update((s) => {
      const previous = s.steps[step.id];
      s.steps[step.id] = {
        ...previous,
        id: step.id,
        phase: step.phase,
        status: 'blocked',
        blockedBy,
        error: reason,
        attempts: previous?.attempts ?? 0,
      };
      this.freshPhaseMetrics(s, step.phase);
      s.phases[step.phase].metrics.blocked++;
      s.metrics.blocked++;
      this.counts.blocked++;
      pushHistory(s, {
        at: now(),
        type: 'step-blocked',
        phase: step.phase,
        step: step.id,
        message: `${step.id} blocked by ${blockedBy}`,
      });
    });
    this.input.events.emit({ type: 'step-blocked', step: step.id, phase: step.phase, blockedBy, reason, at: now() });
    await this.settle(step, 'blocked');
    for (const id of this.dependants.get(step.id) ?? []) {
      const dependant = this.byId.get(id);
      if (dependant) await this.block(dependant, blockedBy, reason);
    }
  }

  private cancel(step: Step): void {
    if (!this.settled.has(step.id)) this.settled.set(step.id, 'cancelled');
  }

  private async settle(step: Step, outcome: 'done' | 'failed' | 'blocked'): Promise<void> {
    this.settled.set(step.id, outcome);
    if (outcome === 'done') {
      for (const id of this.dependants.get(step.id) ?? []) {
        if (!this.remaining.has(id)) continue;
        const left = this.remaining.get(id)! - 1;
        this.remaining.set(id, left);
        if (left === 0 && !this.settled.has(id)) this.ready.push(this.byId.get(id)!);
      }
    }
    const total = this.input.steps.length;
    this.input.events.emit({ type: 'progress', done: this.settled.size, total, at: now() });
    await this.phaseSettledCheck(step.phase);
  }

  private readonly phaseStarts = new Map<PhaseId, number>();

  private async phaseStarted(phase: PhaseId): Promise<void> {
    if (this.phaseStarts.has(phase)) return;
    this.phaseStarts.set(phase, Date.now());
    await this.setPhase(phase, 'in-progress', (p) => {
      p.startedAt = now();
      p.finishedAt = undefined;
      p.error = undefined;
      p.blockedBy = undefined;
      p.stale = undefined;
    });
    await this.input.store.update((s) => this.freshPhaseMetrics(s, phase));
  }

  private readonly finishedPhases = new Set<PhaseId>();

  private async phaseSettledCheck(phase: PhaseId): Promise<void> {
    const steps = this.input.steps.filter((s) => s.phase === phase);
    if (this.finishedPhases.has(phase) || !steps.every((s) => this.settled.has(s.id))) return;
    this.finishedPhases.add(phase);
    const state = this.input.store.state;
    // Done in this run, or done before and not redone because the run was cancelled first.
    const finished = (s: Step) =>
      this.settled.get(s.id) === 'done' ||
      (this.settled.get(s.id) === 'cancelled' && state.steps[s.id]?.status === 'done');
    const failed = steps.find((s) => this.settled.get(s.id) === 'failed');
    const blocked = steps.find((s) => this.settled.get(s.id) === 'blocked');
    const started = this.phaseStarts.get(phase);
    const finishFields = (p: PhaseRecord) => {
      p.finishedAt = now();
      if (started !== undefined) p.metrics.durationMs = Date.now() - started;
    };
    if (steps.every(finished)) {
      if (started === undefined && state.phases[phase].status !== 'in-progress') return;
      await this.setPhase(phase, 'completed', finishFields);
    } else if (failed) {
      const error = state.steps[failed.id]?.error ?? 'failed';
      await this.setPhase(phase, 'failed', (p) => {
        finishFields(p);
        p.error = `${failed.id}: ${error}`;
      });
    } else if (blocked) {
      const record = state.steps[blocked.id];
      const mark = (p: PhaseRecord) => {
        p.blockedBy = record?.blockedBy;
        p.error = `blocked by ${record?.blockedBy}: ${record?.error}`;
      };
      if (started === undefined && state.phases[phase].status === 'not-started') {
        await this.input.store.update((s) => mark(s.phases[phase]));
      } else {
        if (started === undefined) await this.setPhase(phase, 'in-progress', () => undefined);
        await this.setPhase(phase, 'failed', (p) => {
          finishFields(p);
          mark(p);
        });
      }
    } else if (started !== undefined) {
      const left = steps.filter((s) => !finished(s)).length;
      await this.setPhase(phase, 'cancelled', (p) => {
        finishFields(p);
        p.error = `cancelled with ${left} of ${steps.length} steps left; run execute again to resume where it stopped`;
      });
    }
  }

  private async setPhase(phase: PhaseId, to: PhaseRecord['status'], mutate: (p: PhaseRecord) => void): Promise<void> {
    const from = this.input.store.state.phases[phase].status;
    assertTransition(phase, from, to);
    await this.input.store.update((s) => {
      s.phases[phase].status = to;
      mutate(s.phases[phase]);
      if (from !== to)
        pushHistory(s, { at: now(), type: 'phase-status', phase, message: `${phase}: ${from} -> ${to}` });
    });
    if (from !== to || to === 'in-progress')
      this.input.events.emit({ type: 'phase-status', phase, from, to, at: now() });
  }

  private async close(): Promise<ExecuteResult> {
    const { store, events, signal, phases } = this.input;
    for (const phase of phases) await this.phaseSettledCheck(phase);
    const durationMs = Date.now() - this.startedMs;
    const status = signal.aborted ? 'cancelled' : this.failures.length || this.blocked.length ? 'failed' : 'completed';
    this.counts.cancelled = [...this.settled.values()].filter((o) => o === 'cancelled').length;
    const summary = summarizeRun(status, this.counts, durationMs);
    this.input.deps.logger.info(summary);
    await store.update((s) => {
      if (s.run) Object.assign(s.run, { status, finishedAt: now(), error: this.failures[0]?.error });
      s.metrics.lastRunMs = durationMs;
      pushHistory(s, { at: now(), type: 'run-finished', message: `run ${this.runId} ${status}` });
    });
    await store.flush();
    events.emit({ type: 'run-finished', runId: this.runId, status, durationMs, summary, at: now() });
    return {
      runId: this.runId,
      status,
      durationMs,
      phases,
      stepDurations: this.durations,
      failures: this.failures,
      blocked: this.blocked,
      counts: { ...this.counts },
      summary,
    };
  }
}

/** Transient answers the REST layer does not retry itself (it never resends a non-idempotent POST). */
const TRANSIENT = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED', 'ABORTED', 'INTERNAL']);
/**
 * A non-idempotent call (addVersion) gets no retries from the REST layer, so these are
 * its only attempts: at a 25% fault rate, 4 failed one run in 250 (the fault test saw
 * it); 6 fail one in 4,000, after at most about 6 s of backoff.
 */
const STEP_ATTEMPTS = 6;

/**
 * Reruns a whole step after a transient failure. Safe because every step reads before
 * it writes: a create whose answer was lost is found by the next read, and a secret
 * version whose content is already there is not added again.
 */
async function withStepRetries<T>(ctx: StepContext, fn: () => Promise<T>, onRetry: () => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const status = gcpErrorInfo(error).status;
      if (ctx.signal.aborted || attempt >= STEP_ATTEMPTS || !status || !TRANSIENT.has(status)) throw error;
      ctx.retried();
      await onRetry();
      ctx.logger.debug(`step retry ${attempt} after ${status}: ${describeGcpError(error)}`);
      await sleep(200 * 2 ** (attempt - 1) * (0.5 + Math.random()), ctx.signal);
    }
  }
}
