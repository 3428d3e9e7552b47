import { errorMessage } from '../../core/errors';
import { formatPlan } from '../../core/migration/plan-text';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand } from '../command';
import { openMigration, parseFlags, phasesFlag } from './migration-context';

const USAGE = 'orchestra-migrate verify [--phase P]... [--json] [--no-preflight]';

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
