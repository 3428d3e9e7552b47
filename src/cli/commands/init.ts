/**
 * `orchestra-migrate init`: writes config/common.json, the four environment files
 * and their schema, and git-ignores .orchestra/. Never overwrites a file.
 */
import { InputError } from '../../core/errors';
import { EXIT_OK, type CliCommand } from '../command';
import { parseFlags, withWorkspace } from '../flags';
import type { InitValues } from '../../core/workspace';

const USAGE = 'orchestra-migrate init [--project=ID] [--location=REGION] [--json]';

function parseArgs(argv: string[]): { json: boolean; values: InitValues } {
  const flags = parseFlags(argv, { booleans: ['--json'], values: ['--project', '--location'], usage: USAGE });
  if (flags.positional.length) {
    throw new InputError(`init: unknown argument '${flags.positional[0]}'`, { fix: `Usage: ${USAGE}` });
  }
  const one = (name: string): string | undefined => {
    const given = flags.values.get(name);
    if (given && given.length > 1) throw new InputError(`${name} is given twice.`, { fix: `Usage: ${USAGE}` });
    return given?.[0];
  };
  return { json: flags.booleans.has('--json'), values: { projectId: one('--project'), location: one('--location') } };
}

export const initCommand: CliCommand = {
  usage: `${USAGE}\n\nWrites config/common.json, config/<environment>.json for local, codespaces, workstation and cloud_run, and config/schema/orchestra.schema.json (ORCHESTRA_CONFIG_DIR moves them). Existing files are left untouched and listed as skipped. --project and --location are written into config/common.json (also when it exists), keeping the rest of the file.`,
  async run(ctx) {
    const { json, values } = parseArgs(ctx.argv);
    const result = await withWorkspace(ctx, (workspace) => workspace.init(values));
    if (json) {
      const out = { written: result.written, skipped: result.skipped, gitignore: result.gitignore, set: result.set };
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
    for (const key of result.set)
      ctx.stdout.write(`set      ${key} = ${values[key as keyof InitValues]} in config/common.json\n`);
    if (result.written.length && !values.projectId)
      ctx.stdout.write('Next: set "projectId" in config/common.json (or ORCHESTRA_PROJECT_ID).\n');
    return EXIT_OK;
  },
};
