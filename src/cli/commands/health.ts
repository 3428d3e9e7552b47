import { MEMORY_API_KEY_VARIABLE } from '../../core/workspace';
import { formatHealth } from '../../core/workspace/health';
import { EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';

const USAGE = 'orchestra-migrate health [--json]';

/** Version of the `health --json` document (docs/cli.md); bumped only on incompatible changes. */
export const HEALTH_JSON_VERSION = 1;

export const healthCommand: CliCommand = {
  usage:
    `${USAGE}\n\nOne check of each service the migration depends on: the memory server (endpoints.memory), the\n` +
    'copy target (phases.memorySystem.targetEndpoint) and, once API Deployment ran, the API URL. Latency is\n' +
    `judged against validation.targets. The memory API key comes from ${MEMORY_API_KEY_VARIABLE}.\n` +
    'Exit status 0 when every service answers (ok or slow), 1 when one is down.',
  async run(ctx) {
    const flags = parseFlags(ctx.argv, { booleans: ['--json'], values: [], usage: USAGE });
    const report = await withWorkspace(ctx, (workspace) => workspace.health({ signal: ctx.signal }));
    ctx.stdout.write(
      (flags.booleans.has('--json')
        ? JSON.stringify({ healthVersion: HEALTH_JSON_VERSION, ...report }, null, 2)
        : formatHealth(report)) + '\n',
    );
    return report.level === 'down' ? EXIT_MIGRATION_FAILED : EXIT_OK;
  },
};
