/**
 * The migration engine: one object the CLI, the extension and the tests drive.
 * verify() plans (read-only); execute() takes the lock, reloads the state and runs
 * the steps of the selected phases as one dependency graph; skip()/reset() change
 * one phase. Views follow `monitor` (or a StateFileMonitor from another process).
 */
import { setMaxListeners } from 'node:events';
import * as path from 'node:path';
import { requireProject } from '../config/project';
import type { OrchestraConfig } from '../config/types';
import { InputError } from '../errors';
import type { GcpClient } from '../gcp/types';
import { nullLogger, type Logger } from '../logger';
import type { JsonValue } from '../memory/types';
import type { PhaseId } from './catalog';
import { makeStepContext, NamedMutexes, type EngineDeps } from './context';
import type { AboveFilesLookup } from './cutover-overrides';
import { CUTOVER_ACTION, planCutover, type CutoverInput, type CutoverPlan } from './cutover';
import { runCutover, type CutoverOutcome, type CutoverRunInput } from './cutover-run';
import { planRollback, runRollback, type RollbackPlan } from './cutover-rollback';
import type { CutoverRecord } from './state';
import { EngineEvents } from './events';
import { executeSteps, type ExecuteResult } from './executor';
import { MigrationLock, type LockOptions } from './lock';
import { MigrationMonitor } from './monitor';
import { planSteps, type Plan, type PlanBasis } from './planner';
import {
  configFingerprint,
  PlanGuard,
  plannedPhases,
  PlanStaleError,
  staleBasis,
  stateFingerprint,
  type SavedPlan,
} from './saved-plan';
import { dependantsOf, transitiveDependants, type PhaseRegistry } from './registry';
import { emptyPhaseMetrics, ensurePhases, pushHistory, type MigrationState } from './state';
import { assertRequestedTransition } from './status';
import { StateFileError } from './state-check';
import { planDestroy, runDestroy, type DestroyPlan, type DestroyResult } from './destroy';
import { StateStore, readStateFile, statePath } from './store';
import type { MemoryPair, Step } from './types';

export interface EngineOptions {
  config: OrchestraConfig;
  gcp: GcpClient;
  /** The workspace folder; `config.state.dir` is relative to it. */
  workspaceDir: string;
  /** sha256 of the configuration as loaded, for plans' basis; default: of `config`. */
  configHash?: string;
  /** The phases; the seven built-in ones by default (phases/index.ts). */
  registry: PhaseRegistry;
  logger?: Logger;
  /** Source and target memory servers of the copy; created on first use. */
  memory?: () => MemoryPair | Promise<MemoryPair>;
  /** The cloud_run configuration stored by Hybrid Config; the engine's own config otherwise. */
  cloudRunConfig?: () => Promise<JsonValue>;
  /** Where a deployed service's URL is published for configuration readers (the CLI: config/cloud_run.json). */
  recordEndpoint?: (service: 'api' | 'memory', url: string) => Promise<void>;
  /** The log file of this process's run, recorded in the state with each run (the report links it). */
  logFile?: () => string | undefined;
  /** Steps running at once (default 8). */
  concurrency?: number;
  /** Reads in flight during verify (default 32). */
  readConcurrency?: number;
  lock?: LockOptions;
  /** Where config/<env>.json live (cutover switches their endpoints); default <workspaceDir>/config. */
  configDir?: string;
  /** The settings and variables above the config files (cutover names those that set a switched endpoint). */
  aboveFiles?: AboveFilesLookup;
  /** A phase whose records are dropped on load: `reset` of a phase the state file holds damaged. */
  resetPhase?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
}

export interface ExecuteOptions extends RunOptions {
  /** A plan verify saved: its phases run, only while the project is still as it assumed. */
  plan?: SavedPlan;
  /** Where the plan came from, for errors. */
  planFile?: string;
}

export class MigrationEngine {
  readonly events = new EngineEvents();
  readonly monitor: MigrationMonitor;
  readonly stateDir: string;
  private store: StateStore;
  private readonly deps: EngineDeps;
  private stepCache?: Step[];

  private constructor(
    private readonly options: EngineOptions,
    store: StateStore,
  ) {
    this.store = store;
    this.stateDir = store.file ? path.dirname(store.file) : '';
    this.deps = {
      config: options.config,
      workspaceDir: options.workspaceDir,
      gcp: options.gcp,
      logger: options.logger ?? nullLogger,
      memory: options.memory,
      cloudRunConfig: options.cloudRunConfig,
      recordEndpoint: options.recordEndpoint,
      mutexes: new NamedMutexes(),
      steps: () => this.allSteps(),
    };
    ensurePhases(store.state, this.phaseIds());
    this.monitor = new MigrationMonitor(() => this.store.state, this.events, options.registry.infos());
  }

  private phaseIds(): PhaseId[] {
    return this.options.registry.list().map((p) => p.info.id);
  }

  private openStore(): Promise<StateStore> {
    return StateStore.open(this.stateDir, this.options.config.projectId, { phases: this.phaseIds() });
  }

  static async open(options: EngineOptions): Promise<MigrationEngine> {
    requireProject(options.config);
    const dir = path.resolve(options.workspaceDir, options.config.state.dir);
    const { store } = await openRepairable(dir, options.config.projectId, options.resetPhase);
    return new MigrationEngine(options, store);
  }

  get stateFile(): string {
    return this.store.file;
  }

  state(): MigrationState {
    return this.store.state;
  }

  /** Every step of every registered phase, for this configuration. */
  allSteps(): Step[] {
    this.stepCache ??= this.options.registry.steps(this.options.config);
    return this.stepCache;
  }

  async verify(phases?: readonly string[], options: RunOptions & { preflight?: boolean } = {}): Promise<Plan> {
    await this.reload();
    const selection = this.select(phases);
    const basis = this.planBasis();
    const plan = await planSteps({
      deps: this.deps,
      state: this.store.state,
      steps: this.allSteps(),
      phases: selection,
      // As many reads at once as the REST client keeps sockets to a host (32): with a step per API,
      // a plan has more reads than the 16 this was, and the rest waited a round trip.
      concurrency: this.options.readConcurrency ?? 32,
      signal: unlimitedListeners(options.signal ?? new AbortController().signal),
      preflight: options.preflight ?? true,
    });
    return { ...plan, basis };
  }

  /** What a plan computed now is based on (saved-plan.ts). */
  private planBasis(): PlanBasis {
    const config = this.options.configHash ?? configFingerprint(this.options.config);
    return { config, state: stateFingerprint(this.store.state) };
  }

  async execute(phases?: readonly string[], options: ExecuteOptions = {}): Promise<ExecuteResult> {
    return this.locked('execute', options.signal, (controller, tookOver) =>
      this.runPhases(phases, options, controller, tookOver),
    );
  }

  /**
   * Holds the run lock (once) around `use`, with the store read fresh; aborts the run's
   * signal when the caller's is aborted or another run takes the lock over.
   */
  private async locked<T>(
    purpose: string,
    signal: AbortSignal | undefined,
    use: (controller: AbortController, tookOver: string | undefined) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    // Every in-flight request listens on the run's signal; dozens at once are expected.
    setMaxListeners(0, controller.signal);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const lock = await this.lock(purpose, (holder) =>
      controller.abort(new Error(`another run (pid ${holder?.pid ?? '?'}) took over the lock`)),
    );
    try {
      this.store = await this.openStore();
      return await use(controller, lock.tookOver);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.store.flush();
      await lock.release();
    }
  }

  /** The selected phases' steps as one graph; the caller holds the lock. */
  private async runPhases(
    phases: readonly string[] | undefined,
    options: ExecuteOptions,
    controller: AbortController,
    tookOver: string | undefined,
  ): Promise<ExecuteResult> {
    const { plan, planFile } = options;
    if (plan) phases = plannedPhases(plan);
    let stale: string | undefined;
    if (plan) staleBasis(plan, { ...this.planBasis(), projectId: this.options.config.projectId }, planFile);
    const selection = this.select(phases).filter((p) => !p.excluded);
    const ids = new Set(selection.map((p) => p.id));
    const all = this.allSteps();
    const steps = all.filter((s) => ids.has(s.phase));
    const needed = new Set(steps.flatMap((s) => s.dependsOn));
    const external = all.filter((s) => !ids.has(s.phase) && needed.has(s.id));
    const refused = steps
      .map((s) => (s.kind === 'action' ? s.refusal?.(this.options.config, this.options.workspaceDir) : undefined))
      .find((e) => e !== undefined);
    if (refused) throw refused;
    // What only the servers can tell, asked under the lock before any step starts (read-only).
    for (const step of steps) {
      if (step.kind !== 'action' || !step.refusalBeforeRun) continue;
      const ctx = makeStepContext(
        this.deps,
        step,
        { requests: 0, retries: 0, custom: {} },
        {
          signal: controller.signal,
          mode: 'verify',
        },
      );
      const refusedLive = await step.refusalBeforeRun(ctx);
      if (refusedLive) throw refusedLive;
    }
    const guard = plan && new PlanGuard(plan, all);
    const result = await executeSteps({
      deps: this.deps,
      store: this.store,
      events: this.events,
      steps,
      external,
      phases: [...ids],
      concurrency: this.options.concurrency ?? 8,
      signal: controller.signal,
      note: tookOver,
      logFile: this.options.logFile?.(),
      guard: guard && {
        check: (step, ctx) => guard.check(step, ctx),
        finished: (step, action) => guard.finished(step, action),
        stale: (_step, reason) => {
          stale ??= reason;
          controller.abort(new PlanStaleError(reason, guard.createdAt, planFile, true));
        },
      },
    });
    if (stale && plan) throw new PlanStaleError(stale, plan.createdAt, planFile, result.counts.steps > 0);
    return result;
  }

  /** Read-only: what cutover would do now; an InputError while there is nothing to cut over to. */
  async cutoverPlan(options: RunOptions = {}): Promise<CutoverPlan> {
    await this.reload();
    return planCutover(this.cutoverInput(options.signal, 'verify'));
  }

  /**
   * The cutover (cutover-run.ts) under one hold of the run lock: read-only source, final
   * delta (the Memory System phase, run inside the same hold), check, switch. A rerun
   * finishes a stopped one; once done, a rerun changes nothing.
   */
  cutover(options: RunOptions = {}): Promise<CutoverOutcome> {
    return this.locked('cutover', options.signal, async (controller, tookOver) => {
      try {
        return await runCutover({
          ...this.cutoverRun(controller),
          finalDelta: () => this.runPhases(['memory-system'], {}, controller, tookOver),
        });
      } finally {
        this.monitor.refresh();
      }
    });
  }

  /** Read-only: what rollback-cutover would restore; an InputError when there is no cutover to undo. */
  async rollbackPlan(options: RunOptions = {}): Promise<RollbackPlan> {
    await this.reload();
    return planRollback(this.cutoverInput(options.signal, 'verify'));
  }

  rollbackCutover(options: RunOptions = {}): Promise<CutoverRecord> {
    return this.locked('rollback-cutover', options.signal, async (controller) => {
      try {
        return await runRollback({
          ...this.cutoverRun(controller),
          finalDelta: () => Promise.reject(new Error('a rollback moves no delta forward')),
        });
      } finally {
        this.monitor.refresh();
      }
    });
  }

  private cutoverRun(controller: AbortController): Omit<CutoverRunInput, 'finalDelta'> {
    return {
      ...this.cutoverInput(controller.signal, 'execute'),
      store: this.store,
      events: this.events,
      signal: controller.signal,
      secret: this.active('hybrid-config'),
    };
  }

  private cutoverInput(signal: AbortSignal | undefined, mode: 'verify' | 'execute'): CutoverInput {
    const run = unlimitedListeners(signal ?? new AbortController().signal);
    const counters = { requests: 0, retries: 0, custom: {} };
    return {
      deps: this.deps,
      state: this.store.state,
      configDir: this.options.configDir ?? path.join(this.options.workspaceDir, 'config'),
      workspaceDir: this.options.workspaceDir,
      aboveFiles: this.options.aboveFiles,
      active: (phase) => this.active(phase),
      context: () =>
        makeStepContext(this.deps, CUTOVER_ACTION, counters, {
          store: this.store,
          events: this.events,
          signal: run,
          mode,
        }),
    };
  }

  /** Enabled in the config and not skipped. */
  private active(phase: PhaseId): boolean {
    const registry = this.options.registry;
    return (
      registry.get(phase) !== undefined &&
      registry.enabled(this.options.config, phase) &&
      this.store.state.phases[phase]?.status !== 'skipped'
    );
  }

  /** Read-only: what destroy would delete (only what this migration created), in deletion order. */
  async destroyPlan(
    phases?: readonly string[],
    options: RunOptions & { includeData?: boolean } = {},
  ): Promise<DestroyPlan> {
    await this.reload();
    return planDestroy(this.destroyInput(phases, options));
  }

  /**
   * Teardown (destroy.ts), under the same lock as execute; resumable (a killed run leaves
   * the state saying what is gone) and cancellable between resources.
   */
  async destroy(
    phases?: readonly string[],
    options: RunOptions & { includeData?: boolean } = {},
  ): Promise<DestroyResult & { plan: DestroyPlan }> {
    const lock = await this.lock('destroy');
    try {
      this.store = await StateStore.open(this.stateDir, this.options.config.projectId);
      const input = this.destroyInput(phases, options);
      const plan = await planDestroy(input);
      const result = await runDestroy({ ...input, store: this.store, events: this.events, plan });
      this.monitor.refresh();
      return { ...result, plan };
    } finally {
      await this.store.flush();
      await lock.release();
    }
  }

  private destroyInput(phases: readonly string[] | undefined, options: RunOptions & { includeData?: boolean }) {
    return {
      deps: this.deps,
      state: this.store.state,
      all: this.allSteps(),
      phases: new Set<string>(this.select(phases).map((p) => p.id)),
      includeData: options.includeData ?? false,
      signal: unlimitedListeners(options.signal ?? new AbortController().signal),
    };
  }

  /** Marks a phase skipped: execute passes over it; its dependants still need its resources. */
  async skip(phase: string): Promise<void> {
    const id = this.phaseId(phase);
    await this.withState('skip', undefined, (s) => {
      assertRequestedTransition(id, s.phases[id].status, 'skipped');
      s.phases[id].status = 'skipped';
      pushHistory(s, { at: new Date().toISOString(), type: 'phase-status', phase: id, message: `${id} skipped` });
    });
  }

  /**
   * Forgets a phase's progress (steps, checkpoints, metrics); the next execute re-reads
   * everything. Phases that depend on it and have run are marked stale: what they
   * checked or built on may have changed (Validation above all).
   */
  async reset(phase: string): Promise<void> {
    const id = this.phaseId(phase);
    const downstream = dependentPhases(this.allSteps(), id);
    const title = this.options.registry.get(id)?.info.title ?? id;
    await this.withState('reset', id, (s, repaired) => {
      // A phase whose damaged records were dropped on load reads as not started: reset it anyway.
      if (!repaired) assertRequestedTransition(id, s.phases[id].status, 'not-started');
      s.phases[id] = { status: 'not-started', metrics: emptyPhaseMetrics() };
      for (const key of Object.keys(s.steps)) if (s.steps[key].phase === id) delete s.steps[key];
      const at = new Date().toISOString();
      pushHistory(s, { at, type: 'phase-status', phase: id, message: `${id} reset` });
      for (const other of downstream) {
        const record = s.phases[other];
        if (!record || record.status === 'not-started' || record.status === 'skipped') continue;
        record.stale = `${title} was reset after this phase ran; run execute again to bring it up to date`;
        pushHistory(s, { at, type: 'phase-stale', phase: other, message: `${other} stale: ${id} was reset` });
      }
    });
  }

  private async withState(
    purpose: string,
    repairPhase: string | undefined,
    mutate: (s: MigrationState, repaired: boolean) => void,
  ): Promise<void> {
    const lock = await this.lock(purpose);
    try {
      const { store, repaired } = await openRepairable(this.stateDir, this.options.config.projectId, repairPhase);
      this.store = store;
      ensurePhases(this.store.state, this.phaseIds());
      await this.store.update((s) => mutate(s, repaired));
      this.monitor.refresh();
    } finally {
      await lock.release();
    }
  }

  private lock(purpose: string, onLost?: LockOptions['onLost']): Promise<MigrationLock> {
    return MigrationLock.acquire(this.stateDir, this.options.config.projectId, {
      ...this.options.lock,
      purpose,
      logger: this.deps.logger,
      onLost,
    });
  }

  /** Another process may have changed the file since this engine read it. */
  private async reload(): Promise<void> {
    const fresh = await readStateFile(
      statePath(this.stateDir, this.options.config.projectId),
      this.options.config.projectId,
    );
    if (fresh) {
      ensurePhases(fresh, this.phaseIds());
      Object.assign(this.store.state, fresh);
    }
  }

  /** A phase as people write it: `memory-system`, or the origin project's `MEMORY_SYSTEM`. */
  private phaseId(written: string): PhaseId {
    const known = this.phaseIds();
    const phase = written.trim().toLowerCase().replace(/_/g, '-');
    if (!known.includes(phase)) {
      throw new InputError(`Unknown phase '${written}'.`, {
        where: '--phase',
        fix: `Use one of: ${known.join(', ')}.`,
      });
    }
    return phase;
  }

  private select(phases?: readonly string[]): { id: PhaseId; title: string; excluded?: 'skipped' | 'disabled' }[] {
    const wanted = phases && phases.length > 0 ? new Set(phases.map((p) => this.phaseId(p))) : undefined;
    return this.options.registry
      .list()
      .filter((p) => !wanted || wanted.has(p.info.id))
      .map((p) => {
        const enabled = this.options.registry.enabled(this.options.config, p.info.id);
        const skipped = this.store.state.phases[p.info.id]?.status === 'skipped';
        return { id: p.info.id, title: p.info.title, excluded: skipped ? 'skipped' : enabled ? undefined : 'disabled' };
      });
  }
}

/** Phases with a step that (transitively) depends on a step of `phase`. */
function dependentPhases(steps: readonly Step[], phase: PhaseId): PhaseId[] {
  const dependants = dependantsOf(steps);
  const phaseOf = new Map(steps.map((s) => [s.id, s.phase]));
  const out = new Set<PhaseId>();
  for (const step of steps) {
    if (step.phase !== phase) continue;
    for (const id of transitiveDependants(step.id, dependants)) {
      const other = phaseOf.get(id);
      if (other && other !== phase) out.add(other);
    }
  }
  return [...out];
}

/**
 * The state store; when `repairPhase` names the one phase whose records make the file
 * invalid, those records are dropped (the caller is about to reset that phase).
 */
async function openRepairable(
  dir: string,
  projectId: string,
  repairPhase: string | undefined,
): Promise<{ store: StateStore; repaired: boolean }> {
  try {
    return { store: await StateStore.open(dir, projectId), repaired: false };
  } catch (error) {
    if (!repairPhase || !(error instanceof StateFileError) || error.phase !== repairPhase) throw error;
    return { store: await StateStore.open(dir, projectId, { resetPhase: repairPhase }), repaired: true };
  }
}

function unlimitedListeners(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}
