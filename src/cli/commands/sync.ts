import { InputError } from '../../core/errors';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate sync [--json]';

export const syncCommand: CliCommand = {
  usage: `${USAGE}\n\nAfter the first full copy (execute), moves only what changed on the source memory server since the\nlast copy or sync: new, updated and deleted records (by the source's changes feed, else a checksummed\nscan of both stores), embeddings with their records; then compares checksums. Runs the Memory System\nphase, so it needs no confirmation beyond execute's first run. Exit 0 in sync, 1 failed or cancelled,\n2 bad input (including "no full copy yet").`,
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--json'], values: [], usage: USAGE });
    if (flags.positional.length)
      throw new InputError(`Unexpected argument '${flags.positional[0]}'.`, { fix: `Usage: ${USAGE}` });
    return withWorkspace(ctx, async (workspace) => {
      const subscription = workspace.events.on((event, text) => {
        if (event.type !== 'progress' && event.type !== 'step-progress') ctx.stderr.write(`${text}\n`);
      });
      try {
        const { projectId: _p, stateFile, ...result } = await workspace.sync({ signal: ctx.signal });
        const { synced } = result;
        if (flags.booleans.has('--json')) {
          ctx.stdout.write(JSON.stringify({ ...result, state: stateFile }, null, 2) + '\n');
        } else {
          ctx.stdout.write(
            `Synced ${synced.added} new, ${synced.updated} updated, ${synced.deleted} deleted record(s) (${result.summary})\n`,
          );
          for (const f of result.failures) ctx.stdout.write(`  failed: ${f.step}: ${f.error}\n`);
        }
        return result.status === 'completed' ? EXIT_OK : EXIT_MIGRATION_FAILED;
      } finally {
        subscription.dispose();
      }
    });
  },
};
