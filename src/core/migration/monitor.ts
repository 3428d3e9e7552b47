/**
 * What views read: the state plus live events, as one snapshot. The tree, the status
 * bar, the report and the CLI's `monitor` subscribe with onDidChange and read
 * snapshot(); they never talk to the executor or to Google themselves.
 */
import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { PHASES, type PhaseId, type PhaseStatus } from './catalog';
import type { Disposable, EngineEvent, EngineEvents } from './events';
import type { GlobalMetrics, HistoryEvent, MigrationState, PhaseMetrics, RunRecord } from './state';
import { emptyState } from './state';
import { readStateFile } from './store';
import type { StepRecord } from './types';

export interface PhaseSnapshot {
  id: PhaseId;
  title: string;
  order: number;
  status: PhaseStatus;
  error?: string;
  blockedBy?: string;
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
  lastEvent?: EngineEvent;
}

export function snapshotOf(
  state: MigrationState,
  live?: { running: boolean; progress?: { done: number; total: number }; lastEvent?: EngineEvent },
): MonitorSnapshot {
  const phases = PHASES.map((info) => {
    const record = state.phases[info.id];
    return {
      id: info.id,
      title: info.title,
      order: info.order,
      status: record.status,
      error: record.error,
      blockedBy: record.blockedBy,
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
    return snapshotOf(this.getState(), { running: this.running, progress: this.progress, lastEvent: this.lastEvent });
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
  private reading = false;

  constructor(
    private readonly file: string,
    private readonly projectId: string,
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
    return snapshotOf(this.last ?? emptyState(this.projectId));
  }

  /** The bounded event history kept in the state file, oldest first. */
  history(): HistoryEvent[] {
    return this.last?.history ?? [];
  }

  async reload(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const state = await readStateFile(this.file, this.projectId).catch(() => undefined);
      if (!state) return;
      const text = JSON.stringify(state);
      if (text === this.lastText) return;
      this.lastText = text;
      this.last = state;
      const snapshot = this.snapshot();
      for (const listener of this.listeners) listener(snapshot);
    } finally {
      this.reading = false;
    }
  }

  dispose(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    this.listeners.clear();
  }
}
