import { InputError } from '../../core/errors';
import { formatCutoverPlan, formatRollbackPlan } from '../../core/workspace';
import { EXIT_OK, type CliCommand, type CliContext } from '../command';
import { ask } from '../prompt';
import { parseFlags, withWorkspace, type Flags } from '../flags';

const USAGE = 'orchestra-migrate cutover [--yes] [--json] [--plan-only]';
const ROLLBACK_USAGE = 'orchestra-migrate rollback-cutover [--yes] [--json] [--plan-only]';

/** A yes/no question on the terminal; no terminal and no --yes is bad input, as for execute. */
async function confirm(ctx: CliContext, command: string, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new InputError(`${command} switches your team's endpoints and there is no terminal to confirm it.`, {
      fix: `Pass --yes to confirm (as CI does), after checking the plan with orchestra-migrate ${command} --plan-only.`,
    });
  }
  return /^y(es)?$/i.test((await ask(ctx, question)).trim());
}

function parse(ctx: CliContext, usage: string): Flags {
  const flags = parseFlags(ctx.argv, { booleans: ['--json', '--yes', '-y', '--plan-only'], values: [], usage });
  if (flags.positional.length)
    throw new InputError(`Unexpected argument '${flags.positional[0]}'.`, { fix: `Usage: ${usage}` });
  return flags;
}

const confirmed = (flags: Flags) => flags.booleans.has('--yes') || flags.booleans.has('-y');

export const cutoverCommand: CliCommand = {
  usage: `${USAGE}\n\nSwitches the team to the cloud, after execute made the full memory copy: makes the source memory\nserver read-only (where it can: writes are then refused with 409, never lost), moves the final delta\n(a sync), compares both stores' counts and checksums, then sets memory.endpoint and endpoints.api to\nthe cloud in every config/<env>.json and adds a version of Hybrid Config's secret. Prints the plan and\nasks unless --yes; --plan-only stops there. A failure before the switch makes the source writable\nagain; a rerun finishes a stopped cutover; once done, a rerun changes nothing. rollback-cutover\nundoes it. Exit 0 done, 1 failed or cancelled, 2 bad input (no execute yet, copy not finished, no\nterminal to confirm, locked by another run).`,
  async run(ctx) {
    const flags = parse(ctx, USAGE);
    const json = flags.booleans.has('--json');
    return withWorkspace(ctx, async (workspace) => {
      const plan = await workspace.cutoverPlan({ signal: ctx.signal });
      if (flags.booleans.has('--plan-only') || plan.state === 'done') {
        ctx.stdout.write((json ? JSON.stringify(plan, null, 2) : formatCutoverPlan(plan)) + '\n');
        return EXIT_OK;
      }
      ctx.stderr.write(formatCutoverPlan(plan) + '\n');
      if (
        !confirmed(flags) &&
        !(await confirm(ctx, 'cutover', `Cut project ${plan.projectId} over to the cloud? [y/N] `))
      ) {
        ctx.stderr.write('Nothing done.\n');
        return EXIT_OK;
      }
      const subscription = workspace.events.on((event, text) => {
        if (event.type !== 'progress') ctx.stderr.write(`${text}\n`);
      });
      try {
        const { projectId: _p, ...result } = await workspace.cutover({ signal: ctx.signal });
        if (json) ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else {
          const r = result.record;
          ctx.stdout.write(
            result.alreadyDone
              ? `Already cut over at ${r.finishedAt}: nothing changed.\n`
              : `Cut over at ${r.finishedAt}: ${r.records ?? '?'} records on both sides, checksums equal; ` +
                  `${new Set(r.switched.map((s) => s.file)).size} config files${r.secretVersion ? ` and ${r.secretVersion}` : ''} name ${r.target.endpoint}.` +
                  `${r.source.readOnly ? ` The source ${r.source.endpoint} is read-only.` : ''}\n`,
          );
        }
        return EXIT_OK;
      } finally {
        subscription.dispose();
      }
    });
  },
};

export const rollbackCutoverCommand: CliCommand = {
  usage: `${ROLLBACK_USAGE}\n\nUndoes a cutover: copies the writes made on the cloud since back to the source, restores every\nsetting the cutover switched in config/<env>.json to its value before, adds a version of Hybrid\nConfig's secret with them, and makes the source writable again. Prints what it restores and asks\nunless --yes. Refused (exit 2, nothing changed) when no cutover happened. Resumable.`,
  async run(ctx) {
    const flags = parse(ctx, ROLLBACK_USAGE);
    const json = flags.booleans.has('--json');
    return withWorkspace(ctx, async (workspace) => {
      const plan = await workspace.rollbackCutoverPlan({ signal: ctx.signal });
      if (flags.booleans.has('--plan-only')) {
        ctx.stdout.write((json ? JSON.stringify(plan, null, 2) : formatRollbackPlan(plan)) + '\n');
        return EXIT_OK;
      }
      ctx.stderr.write(formatRollbackPlan(plan) + '\n');
      if (
        !confirmed(flags) &&
        !(await confirm(ctx, 'rollback-cutover', `Roll project ${plan.projectId} back to the source? [y/N] `))
      ) {
        ctx.stderr.write('Nothing done.\n');
        return EXIT_OK;
      }
      const { projectId: _p, ...result } = await workspace.rollbackCutover({ signal: ctx.signal });
      if (json) ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else {
        const back = result.record.rollback?.copiedBack;
        ctx.stdout.write(
          `Rolled back: the endpoints name ${result.record.source.endpoint} again and it takes writes` +
            `${back ? ` (${back.added + back.updated + back.deleted} record(s) copied back from the cloud)` : ''}.\n`,
        );
      }
      return EXIT_OK;
    });
  },
};
