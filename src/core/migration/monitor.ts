/**
 * What views read: the state plus live events, as one snapshot. The tree, the status
 * bar, the report and the CLI's `monitor` subscribe with onDidChange and read
 * snapshot(); they never talk to the executor or to Google themselves.
 */
import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import type { PhaseId, PhaseInfo, PhaseStatus } from './catalog';
import type { Disposable, EngineEvent, EngineEvents } from './events';
import type { GlobalMetrics, HistoryEvent, MigrationState, PhaseMetrics, RunRecord } from './state';
import { emptyState, ensurePhases, phaseRecord } from './state';
import { stateFingerprint } from './saved-plan';
import { errorMessage } from '../errors';
import { lockVacancy } from './lock';
import { readStateFile } from './store';
import type { StepRecord } from './types';

export interface PhaseSnapshot {
  id: PhaseId;
  title: string;
  order: number;
  status: PhaseStatus;
  error?: string;
  blockedBy?: string;
  /** Why the phase's result may be out of date (a phase it depends on was reset). */
  stale?: string;
  startedAt?: string;
  finishedAt?: string;
  metrics: PhaseMetrics;
  steps: StepRecord[];
}

export interface MonitorSnapshot {
  projectId: string;
  running: boolean;
  run?: RunRecord;
  progress: { done: number; total: number };
  phases: PhaseSnapshot[];
  metrics: GlobalMetrics;
  outputs: MigrationState['outputs'];
  /** The last cutover (and its rollback), once one started. */
  cutover?: MigrationState['cutover'];
  lastEvent?: EngineEvent;
  /** The state file is there but cannot be read: the statuses shown are defaults, not the real ones. */
  problem?: string;
  /** The state says a run is in progress but no live process holds its lock: why. Nothing runs. */
  interrupted?: string;
}

/** The state as views show it: one entry per registered phase, in the registry's order. */
export function snapshotOf(
  state: MigrationState,
  phaseInfos: readonly PhaseInfo[],
  live?: { running: boolean; progress?: { done: number; total: number }; lastEvent?: EngineEvent },
): MonitorSnapshot {
  const phases = phaseInfos.map((info) => {
    const record = phaseRecord(state, info.id);
    return {
      id: info.id,
      title: info.title,
      order: info.order,
      status: record.status,
      error: record.error,
      blockedBy: record.blockedBy,
      stale: record.stale,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      metrics: record.metrics,
      steps: Object.values(state.steps).filter((s) => s.phase === info.id),
    };
  });
  const steps = Object.values(state.steps);
  return {
    projectId: state.projectId,
    running: live?.running ?? state.run?.status === 'running',
    run: state.run,
    progress: live?.progress ?? {
      done: steps.filter((s) => s.status === 'done').length,
      total: steps.length,
    },
    phases,
    metrics: state.metrics,
    outputs: state.outputs,
    ...(state.cutover ? { cutover: state.cutover } : {}),
    lastEvent: live?.lastEvent,
  };
}

export type ChangeListener = (snapshot: MonitorSnapshot, event?: EngineEvent) => void;

/** Follows an engine in this process: every event and state change notifies listeners. */
export class MigrationMonitor implements Disposable {
  private readonly listeners = new Set<ChangeListener>();
  private readonly subscriptions: Disposable[] = [];
  private running = false;
  private progress?: { done: number; total: number };
  private lastEvent?: EngineEvent;

  constructor(
    private readonly getState: () => MigrationState,
    events: EngineEvents,
    private readonly phases: readonly PhaseInfo[],
  ) {
    this.subscriptions.push(
      events.on((event) => {
        this.lastEvent = event;
        if (event.type === 'run-started') {
          this.running = true;
          this.progress = { done: 0, total: event.steps };
        }
        if (event.type === 'run-finished') this.running = false;
        if (event.type === 'progress') this.progress = { done: event.done, total: event.total };
        this.notify(event);
      }),
    );
  }

  onDidChange(listener: ChangeListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  snapshot(): MonitorSnapshot {
    return snapshotOf(this.getState(), this.phases, {
      running: this.running,
      progress: this.progress,
      lastEvent: this.lastEvent,
    });
  }

  /** The state changed outside an event (skip, reset). */
  refresh(): void {
    this.notify();
  }

  private notify(event?: EngineEvent): void {
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot, event);
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.listeners.clear();
  }
}

/**
 * Follows a state file written by another process (the CLI while the editor watches,
 * or `orchestra-migrate monitor` beside a running execute). fs.watch on the folder,
 * because the file is replaced by rename on every write; a slow poll backs it up
 * where watching is unreliable (network file systems).
 */
export class StateFileMonitor implements Disposable {
  private readonly listeners = new Set<ChangeListener>();
  private watcher?: FSWatcher;
  private poll?: NodeJS.Timeout;
  private last?: MigrationState;
  private lastText = '';
  private reading?: Promise<void>;
  private again = false;
  private problem?: string;
  private interrupted?: string;

  constructor(
    private readonly file: string,
    private readonly projectId: string,
    private readonly phases: readonly PhaseInfo[],
    pollMs = 1000,
  ) {
    try {
      this.watcher = watch(path.dirname(file), (_, name) => {
        if (!name || name === path.basename(file)) void this.reload();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      /* folder missing: the poll notices when it appears */
    }
    this.poll = setInterval(() => void this.reload(), pollMs);
    this.poll.unref();
  }

  onDidChange(listener: ChangeListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  snapshot(): MonitorSnapshot {
    const state = this.last ?? emptyState(this.projectId);
    const snapshot = snapshotOf(state, this.phases, this.interrupted ? { running: false } : undefined);
    if (this.problem) snapshot.problem = this.problem;
    if (this.interrupted) snapshot.interrupted = this.interrupted;
    return snapshot;
  }

  /** What the state records (saved-plan.ts): a plan whose basis differs is stale. */
  fingerprint(): string {
    const state = this.last ?? emptyState(this.projectId);
    const phases = { ...state.phases };
    ensurePhases(
      { ...state, phases },
      this.phases.map((p) => p.id),
    );
    return stateFingerprint({ ...state, phases });
  }

  /** The bounded event history kept in the state file, oldest first. */
  history(): HistoryEvent[] {
    return this.last?.history ?? [];
  }

  /**
   * Reads the file again. A call made while a read is under way waits for it and then
   * reads once more, so a change that raced the first read is never missed until the poll.
   */
  reload(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    let state: MigrationState | undefined;
    let problem: string | undefined;
    try {
      state = await readStateFile(this.file, this.projectId);
    } catch (error) {
      // Said, not swallowed: "not started" everywhere would hide a run that happened.
      problem = `${errorMessage(error)} (${this.file})`;
    }
    // A run recorded as running whose process is gone (killed, crashed) leaves the state
    // saying "running" until the next execute takes the lock over: ask the lock.
    const interrupted =
      state?.run?.status === 'running' ? await lockVacancy(path.dirname(this.file), this.projectId) : undefined;
    const text = `${problem ?? ''}\n${interrupted ?? ''}\n${state ? JSON.stringify(state) : ''}`;
    if (text === this.lastText) return;
    this.lastText = text;
    this.problem = problem;
    this.interrupted = interrupted;
    // An unreadable file keeps the last good state in view, flagged by the problem; a file
    // that is gone (deleted, moved aside) leaves nothing recorded, and the views say so.
    if (state || !problem) this.last = state;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }

  dispose(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    this.listeners.clear();
  }
}
