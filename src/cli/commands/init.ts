/**
 * `orchestra-migrate init`: writes config/common.json, the four environment files
 * and their schema, and git-ignores .orchestra/. Never overwrites a file.
 */
import { InputError } from '../../core/errors';
import { EXIT_OK, type CliCommand } from '../command';
import { withWorkspace } from '../flags';

function parseArgs(argv: string[]): { json: boolean } {
  const json = argv.includes('--json');
  const unknown = argv.filter((a) => a !== '--json');
  if (unknown.length) {
    throw new InputError(`init: unknown argument '${unknown[0]}'`, { fix: 'Usage: orchestra-migrate init [--json]' });
  }
  return { json };
}

export const initCommand: CliCommand = {
  usage:
    'orchestra-migrate init [--json]\n\nWrites config/common.json, config/<environment>.json for local, codespaces, workstation and cloud_run, and config/schema/orchestra.schema.json (ORCHESTRA_CONFIG_DIR moves them). Existing files are left untouched and listed as skipped.',
  async run(ctx) {
    const { json } = parseArgs(ctx.argv);
    const result = await withWorkspace(ctx, (workspace) => workspace.init());
    if (json) {
      const out = { written: result.written, skipped: result.skipped, gitignore: result.gitignore };
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return EXIT_OK;
    }
    for (const file of result.written) ctx.stdout.write(`created  ${file}\n`);
    for (const file of result.skipped) ctx.stdout.write(`kept     ${file} (exists)\n`);
    const gitignore = {
      added: 'added .orchestra/ to .gitignore',
      created: 'created .gitignore with .orchestra/',
      unchanged: '.gitignore already ignores .orchestra/',
    };
    ctx.stdout.write(`${gitignore[result.gitignore]}\n`);
    if (result.written.length)
      ctx.stdout.write('Next: set "projectId" in config/common.json (or ORCHESTRA_PROJECT_ID).\n');
    return EXIT_OK;
  },
};
