import { describeCutover, PHASE_STATUS_LABELS, type StatusDocument } from '../../core/workspace';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate status [--json]';

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
  if (doc.cutover) {
    const names = { cutover: 'orchestra-migrate cutover', rollback: 'orchestra-migrate rollback-cutover' };
    lines.push(`Cutover: ${describeCutover(doc.cutover, names)}`);
  }
  return lines.join('\n');
}

export const statusCommand: CliCommand = {
  usage: `${USAGE}\n\nReads .orchestra/state-<project>.json (never calls Google). --json prints the stable document\ndescribed in docs/cli.md.`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--json'], values: [], usage: USAGE });
    const doc = await withWorkspace(ctx, (workspace) => workspace.status(), { runLog: false });
    ctx.stdout.write((flags.booleans.has('--json') ? JSON.stringify(doc, null, 2) : formatStatus(doc)) + '\n');
    return EXIT_OK;
  },
};
