/**
 * `status --json`: the stable document of a project's migration, read from the state file
 * and the lock only (never a call to Google). docs/cli.md describes it.
 */
import type { PhaseInfo } from '../migration/catalog';
import { heldStaleReason, readLock, type LockInfo } from '../migration/lock';
import { snapshotOf, type MonitorSnapshot } from '../migration/monitor';
import { emptyState } from '../migration/state';
import { readStateFile } from '../migration/store';
import type { WorkspacePaths } from './paths';

/** Version of the `status --json` document; bumped only on incompatible changes. */
export const STATUS_JSON_VERSION = 1;

export interface StatusDocument {
  statusVersion: number;
  projectId: string | null;
  stateFile: string | null;
  /** A run holds the lock right now (live by the rules execute uses for takeover). */
  running: boolean;
  lock: LockInfo | null;
  run: MonitorSnapshot['run'] | null;
  phases: {
    id: string;
    title: string;
    order: number;
    status: string;
    error: string | null;
    blockedBy: string | null;
    /** Why the phase's result may be out of date (a phase it depends on was reset). */
    stale: string | null;
    startedAt: string | null;
    finishedAt: string | null;
    metrics: MonitorSnapshot['phases'][number]['metrics'];
    steps: {
      id: string;
      status: string;
      action: string | null;
      durationMs: number | null;
      attempts: number;
      /** Calls resent in the last run (Google's and the memory servers'), and the step's own reruns. */
      retries: number;
      error: string | null;
      blockedBy: string | null;
    }[];
  }[];
  metrics: MonitorSnapshot['metrics'];
  outputs: MonitorSnapshot['outputs'];
  /** The last cutover (status, stage, every setting switched with its value before), or null before one. */
  cutover: NonNullable<MonitorSnapshot['cutover']> | null;
}

/** The lock as on disk; an unreadable one is shown as none. */
async function lockOnDisk(file: string): Promise<LockInfo | null> {
  const lock = await readLock(file);
  return typeof lock === 'object' ? lock : null;
}

export async function readStatus(
  paths: WorkspacePaths,
  projectId: string,
  phases: readonly PhaseInfo[],
): Promise<StatusDocument> {
  if (!projectId || !paths.stateFile || !paths.lockFile) {
    return statusDocument(snapshotOf(emptyState(''), phases), null, null, null);
  }
  const state = (await readStateFile(paths.stateFile, projectId)) ?? emptyState(projectId);
  return statusDocument(snapshotOf(state, phases), paths.stateFile, await lockOnDisk(paths.lockFile), projectId);
}

export function statusDocument(
  snapshot: MonitorSnapshot,
  stateFile: string | null,
  lock: LockInfo | null,
  projectId: string | null,
): StatusDocument {
  return {
    statusVersion: STATUS_JSON_VERSION,
    projectId,
    stateFile,
    // The rule execute uses to take a lock over: a dead pid on this host, or a stopped heartbeat.
    running: lock !== null && heldStaleReason(lock) === undefined,
    lock,
    run: snapshot.run ?? null,
    phases: snapshot.phases.map((p) => ({
      id: p.id,
      title: p.title,
      order: p.order,
      status: p.status,
      error: p.error ?? null,
      blockedBy: p.blockedBy ?? null,
      stale: p.stale ?? null,
      startedAt: p.startedAt ?? null,
      finishedAt: p.finishedAt ?? null,
      metrics: p.metrics,
      steps: p.steps.map((s) => ({
        id: s.id,
        status: s.status,
        action: s.action ?? null,
        durationMs: s.durationMs ?? null,
        attempts: s.attempts,
        retries: s.retries ?? 0,
        error: s.error ?? null,
        blockedBy: s.blockedBy ?? null,
      })),
    })),
    metrics: snapshot.metrics,
    outputs: snapshot.outputs,
    cutover: snapshot.cutover ?? null,
  };
}
