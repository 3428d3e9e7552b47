import { InputError } from '../../core/errors';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';

const SKIP_USAGE = 'orchestra-migrate skip <phase>';
const RESET_USAGE = 'orchestra-migrate reset <phase>';

function phaseArgument(argv: string[], usage: string): string {
  const flags = parseFlags(argv, { booleans: [], values: [], usage });
  if (flags.positional.length !== 1) throw new InputError('Name exactly one phase.', { fix: `Usage: ${usage}` });
  return flags.positional[0];
}

export const skipCommand: CliCommand = {
  usage: SKIP_USAGE,
  async run(ctx) {
    const phase = phaseArgument(ctx.argv, SKIP_USAGE);
    await withWorkspace(ctx, (workspace) => workspace.skip(phase));
    ctx.stdout.write(`Phase ${phase} skipped.\n`);
    return EXIT_OK;
  },
};

export const resetCommand: CliCommand = {
  usage: `${RESET_USAGE}\n\nNothing in Google Cloud is deleted: execute re-reads each resource and only creates what is missing.\nResetting the Memory System phase makes the next execute copy from the start.`,
  async run(ctx) {
    const phase = phaseArgument(ctx.argv, RESET_USAGE);
    await withWorkspace(ctx, (workspace) => workspace.reset(phase));
    ctx.stdout.write(`Phase ${phase} reset.\n`);
    return EXIT_OK;
  },
};
