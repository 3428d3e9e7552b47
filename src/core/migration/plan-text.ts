/**
 * A plan as people read it: one line per step (+ create, ~ update with the field diff,
 * = ok, > run, ! blocked) and a summary line. The command line prints it; the editor
 * logs it and shows the summary.
 */
import type { Plan, StepPlan } from './planner';

const MARK: Record<StepPlan['action'], string> = { create: '+', update: '~', ok: '=', run: '>', blocked: '!' };

export function formatPlan(plan: Plan): string {
  const lines = [`Plan for project ${plan.projectId} (${plan.requests} read calls, ${plan.durationMs} ms):`];
  for (const phase of plan.phases) {
    lines.push('', `${phase.title} [${phase.status}]${phase.excluded ? ` (${phase.excluded}: not planned)` : ''}`);
    for (const step of phase.steps) {
      lines.push(`  ${MARK[step.action]} ${step.action.padEnd(7)} ${step.id}${step.reason ? `: ${step.reason}` : ''}`);
      for (const d of step.diff ?? [])
        lines.push(`      ${d.field}: ${JSON.stringify(d.live)} -> ${JSON.stringify(d.desired)}`);
    }
  }
  lines.push('', `Summary: ${planSummary(plan)}.`);
  if (plan.preflightError) lines.push('', `Permission preflight skipped: ${plan.preflightError}`);
  if (plan.missingPermissions.length) lines.push('', `Missing permissions: ${plan.missingPermissions.join(', ')}`);
  return lines.join('\n');
}

/** "10 to create, 3 to update, 1 up to date, 4 to run, 0 blocked" */
export function planSummary(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const step of plan.phases.flatMap((p) => p.steps)) counts.set(step.action, (counts.get(step.action) ?? 0) + 1);
  const words: Record<StepPlan['action'], string> = {
    create: 'to create',
    update: 'to update',
    ok: 'up to date',
    run: 'to run',
    blocked: 'blocked',
  };
  return (Object.keys(words) as StepPlan['action'][]).map((a) => `${counts.get(a) ?? 0} ${words[a]}`).join(', ');
}
