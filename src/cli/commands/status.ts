import * as path from 'node:path';
import { loadConfig } from '../../core/config';
import { PHASE_STATUS_LABELS } from '../../core/migration/catalog';
import { heldStaleReason, lockPath, readLock, type LockInfo } from '../../core/migration/lock';
import { snapshotOf, type MonitorSnapshot } from '../../core/migration/monitor';
import { emptyState } from '../../core/migration/state';
import { readStateFile, statePath } from '../../core/migration/store';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags } from './migration-context';

const USAGE = 'orchestra-migrate status [--json]';

/** Version of the `status --json` document (docs/cli.md); bumped only on incompatible changes. */
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
      error: string | null;
      blockedBy: string | null;
    }[];
  }[];
  metrics: MonitorSnapshot['metrics'];
  outputs: MonitorSnapshot['outputs'];
}

/** The lock as on disk; an unreadable one is shown as none. */
async function lockOnDisk(file: string): Promise<LockInfo | null> {
  const lock = await readLock(file);
  return typeof lock === 'object' ? lock : null;
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
        error: s.error ?? null,
        blockedBy: s.blockedBy ?? null,
      })),
    })),
    metrics: snapshot.metrics,
    outputs: snapshot.outputs,
  };
}

function formatStatus(doc: StatusDocument): string {
  const lines: string[] = [];
  lines.push(
    doc.projectId
      ? `Project ${doc.projectId}${doc.running ? ` (running: pid ${doc.lock?.pid} on ${doc.lock?.host})` : ''}`
      : 'No project configured yet.',
  );
  if (doc.run) {
    // Recorded as running, but nobody runs it: the process was killed or crashed.
    const status =
      doc.run.status === 'running' && !doc.running
        ? 'interrupted (its process is gone; run execute again to resume)'
        : doc.run.status;
    lines.push(
      `Last run ${doc.run.id}: ${status}, started ${doc.run.startedAt}${doc.run.finishedAt ? `, finished ${doc.run.finishedAt}` : ''}`,
    );
  }
  for (const p of doc.phases) {
    const status = PHASE_STATUS_LABELS[p.status as keyof typeof PHASE_STATUS_LABELS] ?? p.status;
    const label = p.stale ? `${status} (stale)` : status;
    const done = p.steps.filter((s) => s.status === 'done').length;
    const extra = p.stale
      ? ` (${p.stale})`
      : p.blockedBy
        ? ` (blocked by ${p.blockedBy})`
        : p.error
          ? ` (${p.error})`
          : '';
    const steps = p.steps.length
      ? ` ${done}/${p.steps.length} steps, ${(p.metrics.durationMs / 1000).toFixed(1)}s`
      : '';
    lines.push(`${p.order}. ${p.title.padEnd(28)} ${label.padEnd(12)}${steps}${extra}`.trimEnd());
  }
  const m = doc.metrics;
  if (m.runs) {
    lines.push(
      `Runs ${m.runs}; steps ${m.steps}: ${m.created} created, ${m.updated} updated, ${m.unchanged} unchanged, ${m.failed} failed, ${m.blocked} blocked; ${m.requests} requests, ${m.retries} retries.`,
    );
  }
  if (typeof doc.outputs.apiUrl === 'string') lines.push(`API URL: ${doc.outputs.apiUrl}`);
  return lines.join('\n');
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'Show the migration phases, their status and metrics (from the state file)',
  usage: `${USAGE}\n\nReads .orchestra/state-<project>.json (never calls Google). --json prints the stable document\ndescribed in docs/cli.md.`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--json'], values: [], usage: USAGE });
    const resolved = await loadConfig({ dir: ctx.cwd, env: ctx.env });
    const projectId = resolved.config.projectId || null;
    let doc: StatusDocument;
    if (!projectId) {
      doc = statusDocument(snapshotOf(emptyState('')), null, null, null);
    } else {
      const dir = path.resolve(resolved.root, resolved.config.state.dir);
      const file = statePath(dir, projectId);
      const state = (await readStateFile(file, projectId)) ?? emptyState(projectId);
      doc = statusDocument(snapshotOf(state), file, await lockOnDisk(lockPath(dir, projectId)), projectId);
    }
    ctx.stdout.write((flags.booleans.has('--json') ? JSON.stringify(doc, null, 2) : formatStatus(doc)) + '\n');
    return EXIT_OK;
  },
};
