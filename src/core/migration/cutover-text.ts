/**
 * Cutover and rollback plans as people read them: in the terminal before the question,
 * and in the editor's confirmation.
 */
import type { CutoverPlan } from './cutover';
import { describeOverride } from './cutover-overrides';
import type { RollbackPlan } from './cutover-rollback';
import type { Delta } from './memory-sync';

const UNSET = '(unset)';

/** Kept here rather than borrowed from memory-sync: the editor loads this text without the copy's modules. */
function describeDelta(d: Delta): string {
  const how = d.method === 'changes' ? "by the source's changes feed" : 'by a checksummed scan of both stores';
  return `${d.added} new, ${d.updated} updated, ${d.deleted} deleted record(s), ${how}`;
}

export function formatCutoverPlan(plan: CutoverPlan): string {
  if (plan.state === 'done') return `Project ${plan.projectId}: ${plan.notes.join(' ')}`;
  const delta = plan.delta ? describeDelta(plan.delta) : 'not counted now (see the note below)';
  const lines = [
    `Cutover plan for project ${plan.projectId}${plan.state === 'resume' ? ' (finishing a stopped cutover)' : ''}:`,
    `  1. Source ${plan.source.endpoint}: ${plan.source.note}.`,
    `  2. Final delta to ${plan.target.endpoint}: ${delta}.`,
    '  3. Check: record counts and checksums of both stores compared; any difference stops the cutover.',
    '  4. Switch the memory and API endpoints to the cloud for every environment:',
    ...plan.switches.map((s) => `       ${s.file}  ${s.setting}: ${s.from ?? UNSET} -> ${s.to}`),
    plan.secret ? `     and a new version of secret ${plan.secret} with the switched configuration.` : '',
    ...plan.overrides.map((o) => `  REFUSED while set: ${describeOverride(o)}`),
    ...plan.notes.map((n) => `  Note: ${n}`),
    'A failure before step 4 makes the source writable again; rollback-cutover undoes a finished cutover.',
  ];
  return lines.filter(Boolean).join('\n');
}

export function formatRollbackPlan(plan: RollbackPlan): string {
  const c = plan.cutover;
  const lines = [
    `Rollback of the cutover of ${c.startedAt} for project ${plan.projectId}:`,
    plan.copyBack
      ? `  1. Writes made on ${c.target.endpoint} since the cutover are copied back to ${c.source.endpoint} (the cloud held read-only meanwhile where it can).`
      : '',
    plan.sourceWritable ? `  2. Source ${c.source.endpoint} takes writes again.` : '',
    plan.restores.length ? '  3. Endpoints restored to what they were before the cutover:' : '',
    ...plan.restores.map((r) => `       ${r.file}  ${r.setting}: ${r.from} -> ${r.to ?? UNSET}`),
    plan.secret ? "     and a new version of Hybrid Config's secret with the restored configuration." : '',
    ...plan.notes.map((n) => `  Note: ${n}`),
  ];
  return lines.filter(Boolean).join('\n');
}
