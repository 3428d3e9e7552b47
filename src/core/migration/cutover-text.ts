/**
 * Cutover and rollback plans as people read them: in the terminal before the question,
 * and in the editor's confirmation.
 */
import type { CutoverPlan } from './cutover';
import { describeOverride } from './cutover-overrides';
import type { RollbackPlan } from './cutover-rollback';
import type { Delta } from './memory-sync';

const UNSET = 'unset';

interface Change {
  readonly file: string;
  readonly setting: string;
  readonly before?: string;
  readonly after?: string;
}

/** 'config/local.json, config/staging.json' as 'config/: local.json, staging.json' when they share a folder. */
function fileList(files: readonly string[]): string {
  const dirs = new Set(files.map((f) => f.slice(0, f.lastIndexOf('/') + 1)));
  if (files.length < 2 || dirs.size !== 1) return files.join(', ');
  const [dir] = dirs;
  return `${dir ? `${dir}: ` : ''}${files.map((f) => f.slice(dir.length)).join(', ')}`;
}

/**
 * One line per setting and new value, naming its files once, then what they held before:
 * the cutover sets the same two endpoints in every environment's file, and one line per
 * file and setting made the editor's confirmation taller than its window.
 */
function changeLines(changes: readonly Change[]): string[] {
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const key = `${c.setting}\u0000${c.after ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map((group) => {
    const { setting, after } = group[0];
    const byBefore = new Map<string, string[]>();
    for (const c of group) byBefore.set(c.before ?? UNSET, [...(byBefore.get(c.before ?? UNSET) ?? []), c.file]);
    // The value most files held is said once; the files that held another are named.
    const [usual, ...others] = [...byBefore.entries()].sort((a, b) => b[1].length - a[1].length);
    const was = [`was ${usual[0]}`, ...others.map(([value, files]) => `${files.join(', ')}: ${value}`)].join('; ');
    const files = fileList(group.map((c) => c.file));
    const what = after === undefined ? `${setting} removed from ${files}` : `${setting} -> ${after} in ${files}`;
    return `       ${what} (${was})`;
  });
}

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
    ...changeLines(plan.switches.map((s) => ({ file: s.file, setting: s.setting, before: s.from, after: s.to }))),
    plan.secret ? `     and a new version of secret ${plan.secret} with the switched configuration.` : '',
    ...plan.overrides.map((o) => `  REFUSED while set: ${describeOverride(o)}`),
    ...plan.notes.map((n) => `  Note: ${n}`),
    'A failure before step 4 makes the source writable again; orchestra-migrate rollback-cutover undoes a finished cutover.',
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
    ...changeLines(plan.restores.map((r) => ({ file: r.file, setting: r.setting, before: r.from, after: r.to }))),
    plan.secret ? "     and a new version of Hybrid Config's secret with the restored configuration." : '',
    ...plan.notes.map((n) => `  Note: ${n}`),
  ];
  return lines.filter(Boolean).join('\n');
}
