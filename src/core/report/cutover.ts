/**
 * The report's Cutover section: when it happened (or where it stopped), what the final
 * delta moved, both sides checked equal, and every setting switched with its value before.
 */
import type { MigrationState } from '../migration/state';
import { code, count, number, text } from './markdown-text';

/** The cutover as people check it: when, what moved last, both sides equal, which settings now name what. */
export function cutoverSection(state: MigrationState): string[] {
  const c = state.cutover;
  if (!c) return [];
  const verdicts: Record<typeof c.status, string> = {
    'in-progress': `⏳ In progress since ${text(c.startedAt)} (stage ${text(c.stage)})`,
    failed: `❌ Stopped at ${text(c.stage)}: ${text(c.error ?? '')}`,
    done: `✅ Cut over at ${text(c.finishedAt ?? '?')}`,
    'rolled-back': `↩️ Rolled back at ${text(c.rollback?.finishedAt ?? '?')} (cut over at ${text(c.finishedAt ?? '?')})`,
  };
  const lines = ['## Cutover', '', `- ${verdicts[c.status]}`];
  lines.push(`- Memory: ${code(c.source.endpoint)} -> ${code(c.target.endpoint)}`);
  lines.push(
    `- Source write mode: ${c.source.readOnlySupported ? (c.source.readOnly ? 'read-only (writes refused)' : 'writable') : 'no read-only mode on this server'}`,
  );
  if (c.delta)
    lines.push(
      `- Final delta: ${count(c.delta.added)} new, ${count(c.delta.updated)} updated, ${count(c.delta.deleted)} deleted`,
    );
  if (c.records !== undefined && c.checksum)
    lines.push(`- Checked: ${number(c.records)} records on both sides, sha256 ${code(c.checksum)}`);
  if (c.secretVersion) lines.push(`- Secret version: ${code(c.secretVersion)}`);
  const back = c.rollback?.copiedBack;
  if (back)
    lines.push(
      `- Rollback copied back from the cloud: ${count(back.added)} new, ${count(back.updated)} updated, ${count(back.deleted)} deleted`,
    );
  if (c.rollback?.error) lines.push(`- ❌ Rollback stopped: ${text(c.rollback.error)}`);
  if (c.switched.length) {
    lines.push('', '| File | Setting | Before | Cloud |', '|---|---|---|---|');
    for (const s of c.switched)
      lines.push(`| ${text(s.file)} | ${text(s.setting)} | ${text(s.from ?? '(unset)')} | ${text(s.to)} |`);
  }
  return [...lines, ''];
}
