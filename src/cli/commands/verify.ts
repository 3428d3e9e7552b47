import { errorMessage } from '../../core/errors';
import type { Plan, StepPlan } from '../../core/migration/planner';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand } from '../command';
import { openMigration, parseFlags, phasesFlag } from './migration-context';

const USAGE = 'orchestra-migrate verify [--phase P]... [--json] [--no-preflight]';

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
  const counts = new Map<string, number>();
  for (const step of plan.phases.flatMap((p) => p.steps)) counts.set(step.action, (counts.get(step.action) ?? 0) + 1);
  const words: Record<StepPlan['action'], string> = {
    create: 'to create',
    update: 'to update',
    ok: 'up to date',
    run: 'to run',
    blocked: 'blocked',
  };
  const summary = (Object.keys(words) as StepPlan['action'][]).map((a) => `${counts.get(a) ?? 0} ${words[a]}`);
  lines.push('', `Summary: ${summary.join(', ')}.`);
  if (plan.preflightError) lines.push('', `Permission preflight skipped: ${plan.preflightError}`);
  if (plan.missingPermissions.length) lines.push('', `Missing permissions: ${plan.missingPermissions.join(', ')}`);
  return lines.join('\n');
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'Plan the migration: what execute would create, update or leave (read-only)',
  usage: `${USAGE}\n\nReads every resource (GETs, plus the read-only getIamPolicy and testIamPermissions) and prints\none line per step: + create, ~ update (with the field diff), = ok, > run (an action), ! blocked.\nExit 0 when nothing is blocked, 1 when a step is blocked, 2 on bad input.`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--json', '--no-preflight'], values: ['--phase'], usage: USAGE });
    const session = await openMigration(ctx);
    try {
      const plan = await session.engine.verify(phasesFlag(flags), {
        signal: ctx.signal,
        preflight: !flags.booleans.has('--no-preflight'),
      });
      ctx.stdout.write((flags.booleans.has('--json') ? JSON.stringify(plan, null, 2) : formatPlan(plan)) + '\n');
      const blocked = plan.phases.some((p) => p.steps.some((s) => s.action === 'blocked'));
      return blocked ? EXIT_MIGRATION_FAILED : EXIT_OK;
    } catch (error) {
      ctx.logger.debug(`verify failed: ${errorMessage(error)}`);
      throw error;
    } finally {
      await session.close();
    }
  },
};
