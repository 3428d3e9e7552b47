import { InputError } from '../../core/errors';
import * as path from 'node:path';
import { noProjectError, planSummary, readPlanFile, type SavedPlan } from '../../core/workspace';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand, type CliContext } from '../command';
import { ask } from '../prompt';
import { parseFlags, phasesFlag, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate execute [--phase P]... [--plan PLAN.json] [--yes] [--json] [--verify-only]';

async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    throw new InputError('execute changes your Google Cloud project and there is no terminal to confirm it.', {
      fix: 'Pass --yes to confirm (as CI does), after checking the plan with orchestra-migrate verify.',
    });
  }
  return /^y(es)?$/i.test((await ask(ctx, question)).trim());
}

export const executeCommand: CliCommand = {
  usage: `${USAGE}\n\nApplies every step in dependency order, independent steps in parallel, recording each in\n.orchestra/state-<project>.json; a rerun resumes and changes nothing already done. Progress goes\nto stderr; --json prints the result on stdout. Exit 0 completed, 1 failed or cancelled, 2 bad input\n(including "locked by another run", and a stale plan), 130 / 143 stopped by SIGINT / SIGTERM (the run is recorded as cancelled). --plan runs a plan saved by verify --out: its phases,\nrefused (exit 2, nothing changed) when the config or the state changed since, and stopped before any\nstep whose resource no longer matches what the plan read. --verify-only runs verify instead (changes nothing). Phases may be\nnamed memory-system or MEMORY_SYSTEM.`,
  async run(ctx) {
    // The origin project's `execute --verify-only`: a verify, which changes nothing.
    if (ctx.argv.includes('--verify-only')) {
      const { verifyCommand } = await import('./verify');
      const argv = ctx.argv.filter((a) => !['--verify-only', '--yes', '-y'].includes(a));
      return verifyCommand.run({ ...ctx, argv });
    }
    const flags = parseFlags(ctx.argv, {
      booleans: ['--json', '--yes', '-y'],
      values: ['--phase', '--plan'],
      usage: USAGE,
    });
    const phases = phasesFlag(flags);
    const planFile = flags.values.get('--plan')?.join(',');
    if (planFile !== undefined && phases) {
      throw new InputError('execute: --plan and --phase exclude each other (the plan names its phases).', {
        where: '--phase',
        fix: 'Drop --phase, or verify --phase P --out plan.json for a plan of those phases.',
      });
    }
    const planPath = planFile === undefined ? undefined : path.resolve(ctx.cwd, planFile);
    const plan = planPath ? await readPlanFile(planPath) : undefined;
    return withWorkspace(ctx, async (workspace) => {
      if (!flags.booleans.has('--yes') && !flags.booleans.has('-y')) {
        const { projectId } = await workspace.config();
        if (!projectId) throw noProjectError(ctx.env);
        const ok = await confirm(ctx, `Execute ${describeRun(phases, plan)} against project ${projectId}? [y/N] `);
        if (!ok) {
          ctx.stderr.write('Nothing done.\n');
          return EXIT_OK;
        }
      }
      const subscription = workspace.events.on((event, text) => {
        if (event.type !== 'progress' && event.type !== 'step-progress') ctx.stderr.write(`${text}\n`);
      });
      try {
        const {
          projectId: _projectId,
          stateFile,
          ...result
        } = await workspace.execute({
          phases,
          plan,
          planFile: planPath,
          signal: ctx.signal,
        });
        if (flags.booleans.has('--json')) {
          ctx.stdout.write(JSON.stringify({ ...result, state: stateFile }, null, 2) + '\n');
        } else {
          ctx.stdout.write(`${result.summary} (run ${result.runId})\n`);
          for (const f of result.failures) ctx.stdout.write(`  failed: ${f.step}: ${f.error}\n`);
          for (const b of result.blocked) ctx.stdout.write(`  blocked: ${b.step} (by ${b.blockedBy})\n`);
          if (result.status !== 'completed')
            ctx.stdout.write('Fix the cause, then run execute again: it resumes where it stopped.\n');
        }
        return result.status === 'completed' ? EXIT_OK : EXIT_MIGRATION_FAILED;
      } finally {
        subscription.dispose();
      }
    });
  },
};

function describeRun(phases: string[] | undefined, plan: SavedPlan | undefined): string {
  if (plan) return `the plan of ${plan.createdAt} (${planSummary(plan)})`;
  return phases ? `phases ${phases.join(', ')}` : 'every phase';
}
