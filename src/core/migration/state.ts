/**
 * The migration state: one JSON file per project (`<state.dir>/state-<projectId>.json`),
 * the source of truth for resume, the CLI's `status` and the editor's views.
 * Schema changes bump STATE_SCHEMA_VERSION and add a step to `migrateState`.
 */
import type { FileRestore } from '../config/setting-files';
import type { JsonValue } from '../memory/types';
import type { PhaseId, PhaseStatus } from './catalog';
import type { StepRecord } from './types';

export const STATE_SCHEMA_VERSION = 2;
/** Events kept in the file; older ones fall off (the log has the rest). */
export const HISTORY_LIMIT = 500;

/** What steps did, counted the same way for a phase and for the whole migration. */
export interface StepTotals {
  steps: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  blocked: number;
  requests: number;
  /** The sum of the steps' retries (StepRecord.retries). */
  retries: number;
  custom: Record<string, number>;
}

/** The phase's last run. */
export interface PhaseMetrics extends StepTotals {
  durationMs: number;
}

export interface PhaseRecord {
  status: PhaseStatus;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  /** The failed step that kept this phase from running (its dependants are blocked). */
  blockedBy?: string;
  /**
   * Why what this phase recorded may no longer hold (a phase it depends on was reset);
   * cleared when the phase runs again.
   */
  stale?: string;
  metrics: PhaseMetrics;
}

export interface RunRecord {
  id: string;
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  phases: PhaseId[];
  pid: number;
  host: string;
  error?: string;
  /** The run's log file (absolute), when the run wrote one. */
  log?: string;
}

/** Totals over every run. */
export interface GlobalMetrics extends StepTotals {
  runs: number;
  lastRunMs: number;
}

export interface HistoryEvent {
  at: string;
  type: string;
  phase?: PhaseId;
  step?: string;
  message: string;
}

/** A setting a cutover switched in one config file, with its value before (absent: it was unset). */
export interface EndpointSwitch {
  /** The config file, relative to the workspace folder, with forward slashes. */
  file: string;
  /** Dotted setting path, e.g. `memory.endpoint`. */
  setting: string;
  from?: string;
  to: string;
  /**
   * The object the cutover added to hold the setting (dotted, e.g. `endpoints`), absent
   * before it; `''` when it created the file. The rollback removes it again once empty, so
   * the file reads as it did before the cutover.
   */
  created?: string;
}

/**
 * The cutover (cutover.ts): the source made read-only, the final delta, the check, then
 * every environment's endpoints switched to the cloud. The switches' `from` values are
 * written before any file is touched, so a resumed cutover and a rollback restore what
 * was there, not a half-switched file.
 */
export interface FileRestoreRecord extends FileRestore {
  /** The config file, relative to the workspace folder, with forward slashes. */
  file: string;
}

export interface CutoverRecord {
  status: 'in-progress' | 'failed' | 'done' | 'rolled-back';
  /** The furthest stage reached. */
  stage: 'read-only' | 'final-delta' | 'verified' | 'switching' | 'switched';
  startedAt: string;
  finishedAt?: string;
  error?: string;
  source: {
    endpoint: string;
    /** Whether the server offers read-only mode. */
    readOnlySupported: boolean;
    /** The cutover set it read-only and nothing has made it writable again since. */
    readOnly: boolean;
  };
  target: {
    endpoint: string;
    /** The target's changes-feed head once verified: a rollback copies back what changed after it. */
    mark?: { epoch: string; seq: number };
  };
  delta?: { added: number; updated: number; deleted: number; method: 'changes' | 'scan' };
  records?: number;
  checksum?: string;
  switched: EndpointSwitch[];
  /**
   * Each config file the switch wrote, as it was before (setting-files.ts FileRestore): the
   * rollback gives a file back byte for byte while it still holds what the switch wrote,
   * whatever its layout; a file edited since gets its settings put back one by one.
   */
  restore?: FileRestoreRecord[];
  /** The Secret Manager version the cutover added (absent: the latest already matched, or no secret). */
  secretVersion?: string;
  rollback?: {
    startedAt: string;
    finishedAt?: string;
    error?: string;
    /** Records written on the cloud after the cutover, copied back to the source. */
    copiedBack?: { added: number; updated: number; deleted: number; method: 'changes' | 'scan' };
    secretVersion?: string;
  };
}

export interface MigrationState {
  schemaVersion: number;
  projectId: string;
  createdAt: string;
  updatedAt: string;
  phases: Record<PhaseId, PhaseRecord>;
  steps: Record<string, StepRecord>;
  run?: RunRecord;
  metrics: GlobalMetrics;
  /** Values steps record for later steps and for people, e.g. `apiUrl`, `endpoints`. */
  outputs: Record<string, JsonValue>;
  history: HistoryEvent[];
  /** The last cutover (and its rollback), once one started. */
  cutover?: CutoverRecord;
}

function emptyTotals(): StepTotals {
  return { steps: 0, created: 0, updated: 0, unchanged: 0, failed: 0, blocked: 0, requests: 0, retries: 0, custom: {} };
}

export function emptyPhaseMetrics(): PhaseMetrics {
  return { ...emptyTotals(), durationMs: 0 };
}

function emptyGlobalMetrics(): GlobalMetrics {
  return { ...emptyTotals(), runs: 0, lastRunMs: 0 };
}

/** A state with nothing recorded: each registered phase gets its record when the engine opens it. */
export function emptyState(projectId: string, now = new Date(), phases: readonly PhaseId[] = []): MigrationState {
  const state: MigrationState = {
    schemaVersion: STATE_SCHEMA_VERSION,
    projectId,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    phases: {},
    steps: {},
    metrics: emptyGlobalMetrics(),
    outputs: {},
    history: [],
  };
  ensurePhases(state, phases);
  return state;
}

/** Gives every phase without a record one (not started): phases registered after the file was written. */
export function ensurePhases(state: MigrationState, phases: readonly PhaseId[]): void {
  for (const id of phases) state.phases[id] ??= { status: 'not-started', metrics: emptyPhaseMetrics() };
}

/** A phase's record, or a not-started one when the state has none (read only: nothing is added). */
export function phaseRecord(state: MigrationState, id: PhaseId): PhaseRecord {
  return state.phases[id] ?? { status: 'not-started', metrics: emptyPhaseMetrics() };
}

/**
 * Version 1 (the first release) kept `phases` as an array of `{ id, status }` and had
 * no steps, metrics or outputs. Unknown phases (from a newer build) are kept as they are.
 */
export function migrateState(raw: unknown, projectId: string): MigrationState {
  if (raw === null || typeof raw !== 'object') throw new Error('the state is not a JSON object');
  let doc = raw as Record<string, unknown>;
  const version = typeof doc.schemaVersion === 'number' ? doc.schemaVersion : 1;
  if (version > STATE_SCHEMA_VERSION) {
    throw new Error(`schema version ${version} is newer than this build understands (${STATE_SCHEMA_VERSION})`);
  }
  if (version === 1) doc = fromV1(doc, projectId);
  const base = emptyState(projectId);
  const state = { ...base, ...doc, schemaVersion: STATE_SCHEMA_VERSION } as MigrationState;
  state.phases = { ...state.phases };
  for (const id of Object.keys(state.phases)) {
    state.phases[id].metrics = { ...emptyPhaseMetrics(), ...state.phases[id].metrics };
  }
  state.metrics = { ...base.metrics, ...state.metrics };
  state.steps ??= {};
  state.outputs ??= {};
  state.history ??= [];
  return state;
}

function fromV1(doc: Record<string, unknown>, projectId: string): Record<string, unknown> {
  const base = emptyState(projectId);
  const list = Array.isArray(doc.phases) ? (doc.phases as { id: PhaseId; status: PhaseStatus }[]) : [];
  for (const p of list) base.phases[p.id] = { status: p.status, metrics: emptyPhaseMetrics() };
  return { ...base, createdAt: typeof doc.createdAt === 'string' ? doc.createdAt : base.createdAt };
}

export function pushHistory(state: MigrationState, event: HistoryEvent): void {
  state.history.push(event);
  if (state.history.length > HISTORY_LIMIT) state.history.splice(0, state.history.length - HISTORY_LIMIT);
}
