import { InputError } from '../../core/errors';
import { noProjectError, type DestroyPlan } from '../../core/workspace';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand, type CliContext } from '../command';
import { ask } from '../prompt';
import { parseFlags, phasesFlag, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate destroy [--phase P]... [--include-data] [--yes] [--json] [--plan-only]';

const MARK = { delete: '-', gone: '=', keep: '~' } as const;

export function formatDestroyPlan(plan: DestroyPlan): string {
  const lines = plan.steps.map((s) => `  ${MARK[s.action]} ${s.id}: ${s.target} (${s.action}: ${s.reason})`);
  const deleting = plan.steps.filter((s) => s.action === 'delete').length;
  const kept = plan.steps.filter((s) => s.action === 'keep').length;
  return [
    `Destroy plan for project ${plan.projectId}${plan.includeData ? ' (data included)' : ''}, in deletion order:`,
    ...lines,
    `${deleting} to delete, ${kept} kept.`,
  ].join('\n');
}

/** Typing the project id, as deleting a Google Cloud project asks: a stray "y" deletes nothing. */
async function confirm(ctx: CliContext, projectId: string, count: number): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new InputError(
      'destroy deletes resources in your Google Cloud project and there is no terminal to confirm it.',
      {
        fix: 'Pass --yes to confirm (as CI does), after checking the plan with orchestra-migrate destroy --plan-only.',
      },
    );
  }
  const answer = await ask(ctx, `Type the project id (${projectId}) to delete ${count} resource(s): `);
  return answer.trim() === projectId;
}

export const destroyCommand: CliCommand = {
  usage: `${USAGE}\n\nDeletes what this migration created, as the state file records it, in reverse dependency order:\nnever a resource it found existing and adopted. Data-holding resources (the Firestore database, a\nbucket with objects, the vector store) stay unless --include-data. Prints the plan first (- delete,\n= already gone, ~ kept, with the reason) and asks for the project id unless --yes; --plan-only stops\nthere. Resumable: a killed destroy, run again, finishes the same. Exit 0 done, 1 failed or cancelled,\n2 bad input (including "locked by another run").`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, {
      booleans: ['--json', '--yes', '-y', '--include-data', '--plan-only'],
      values: ['--phase'],
      usage: USAGE,
    });
    if (flags.positional.length)
      throw new InputError(`Unexpected argument '${flags.positional[0]}'.`, { fix: `Usage: ${USAGE}` });
    const request = {
      phases: phasesFlag(flags),
      includeData: flags.booleans.has('--include-data'),
      signal: ctx.signal,
    };
    const json = flags.booleans.has('--json');
    return withWorkspace(ctx, async (workspace) => {
      const { projectId } = await workspace.config();
      if (!projectId) throw noProjectError(ctx.env);
      const plan = await workspace.destroyPlan(request);
      const count = plan.steps.filter((s) => s.action === 'delete').length;
      if (flags.booleans.has('--plan-only')) {
        ctx.stdout.write((json ? JSON.stringify(plan, null, 2) : formatDestroyPlan(plan)) + '\n');
        return EXIT_OK;
      }
      ctx.stderr.write(formatDestroyPlan(plan) + '\n');
      if (!flags.booleans.has('--yes') && !flags.booleans.has('-y') && count > 0) {
        if (!(await confirm(ctx, projectId, count))) {
          ctx.stderr.write('Nothing deleted.\n');
          return EXIT_OK;
        }
      }
      const subscription = workspace.events.on((event, text) => {
        if (event.type === 'step-progress') ctx.stderr.write(`${text}\n`);
      });
      try {
        const { projectId: _p, ...result } = await workspace.destroy(request);
        if (json) ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else {
          ctx.stdout.write(
            result.cancelled
              ? `Destroy cancelled after ${result.deleted.length} resource(s); run destroy again to finish.\n`
              : `Destroy done: ${result.deleted.length} deleted or already gone, ${result.kept.length} kept.\n`,
          );
        }
        return result.cancelled ? EXIT_MIGRATION_FAILED : EXIT_OK;
      } finally {
        subscription.dispose();
      }
    });
  },
};
