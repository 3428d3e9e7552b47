import * as path from 'node:path';
import { formatPlan, writePlanFile } from '../../core/workspace';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand } from '../command';
import { parseFlags, phasesFlag, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate verify [--phase P]... [--json] [--no-preflight] [--out PLAN.json]';

export const verifyCommand: CliCommand = {
  usage: `${USAGE}\n\nReads every resource (GETs, plus the read-only getIamPolicy and testIamPermissions) and prints\none line per step: + create, ~ update (with the field diff), = ok, > run (an action), ! blocked.\n--out writes the plan (with what it was computed from) for execute --plan.\nExit 0 when nothing is blocked, 1 when a step is blocked, 2 on bad input.`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, {
      // --verify-only: the origin project's spelling of a verify; accepted, changes nothing.
      booleans: ['--json', '--no-preflight', '--verify-only'],
      values: ['--phase', '--out'],
      usage: USAGE,
    });
    const out = flags.values.get('--out')?.join(',');
    const plan = await withWorkspace(ctx, async (workspace) => {
      const plan = await workspace.verify({
        phases: phasesFlag(flags),
        signal: ctx.signal,
        preflight: !flags.booleans.has('--no-preflight'),
      });
      if (out) await writePlanFile(plan, path.resolve(ctx.cwd, out), (await workspace.config()).paths.root);
      return plan;
    });
    ctx.stdout.write((flags.booleans.has('--json') ? JSON.stringify(plan, null, 2) : formatPlan(plan)) + '\n');
    if (out && !flags.booleans.has('--json')) {
      ctx.stdout.write(`\nSaved the plan to ${out}: orchestra-migrate execute --plan ${out} applies exactly it.\n`);
    }
    const blocked = plan.phases.some((p) => p.steps.some((s) => s.action === 'blocked'));
    return blocked ? EXIT_MIGRATION_FAILED : EXIT_OK;
  },
};
