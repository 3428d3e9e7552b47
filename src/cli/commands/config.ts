/**
 * `orchestra-migrate config`: the resolved configuration, each value with the
 * layer and source it came from, the environment verdict with its evidence, and
 * each service's endpoint. Invalid configuration: every problem, exit code 2.
 */
import { InputError } from '../../core/errors';
import {
  ConfigValidationError,
  ENVIRONMENT_KINDS,
  isEnvironmentKind,
  type EnvironmentKind,
} from '../../core/workspace';
import { EXIT_BAD_INPUT, EXIT_OK, type CliCommand } from '../command';
import { withWorkspace } from '../flags';

interface ConfigArgs {
  json: boolean;
  kind?: EnvironmentKind;
}

function parseArgs(argv: string[]): ConfigArgs {
  const args: ConfigArgs = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') {
      args.json = true;
    } else if (arg === '--env') {
      const value = argv[++i];
      if (!isEnvironmentKind(value)) {
        throw new InputError(`--env needs one of ${ENVIRONMENT_KINDS.join(', ')}, got '${value ?? ''}'`, {
          fix: 'e.g. --env codespaces',
        });
      }
      args.kind = value;
    } else {
      throw new InputError(`config: unknown argument '${arg}'`, {
        fix: 'Usage: orchestra-migrate config [--env KIND] [--json]',
      });
    }
  }
  return args;
}

export const configCommand: CliCommand = {
  usage:
    'orchestra-migrate config [--env local|codespaces|workstation|cloud_run] [--json]\n\n' +
    'Layers, later wins: built-in defaults < config/common.json < config/<env>.json < editor settings < ORCHESTRA_* variables.\n' +
    '--json: { "environment": {kind, forcedBy, evidence}, "files": [...], "values": [{path, value, layer, source}], "endpoints": [...] };\n' +
    'on invalid configuration: { "issues": [{code, layer, source, file, line, column, path, message, expected, fix}] } and exit code 2.',
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    let described;
    try {
      described = await withWorkspace(ctx, (workspace) => workspace.describe(args.kind));
    } catch (error) {
      if (args.json && error instanceof ConfigValidationError) {
        ctx.stdout.write(JSON.stringify({ issues: error.issues }, null, 2) + '\n');
        return EXIT_BAD_INPUT;
      }
      throw error;
    }
    const { environment, files, values: lines, endpoints } = described;
    if (args.json) {
      const out = {
        environment: { kind: environment.kind, forcedBy: environment.forcedBy ?? null, evidence: environment.evidence },
        files,
        values: lines.map(({ path, value, layer, source }) => ({ path, value, layer, source })),
        endpoints,
      };
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return EXIT_OK;
    }
    const out: string[] = [];
    out.push(`Environment: ${environment.kind}${environment.forcedBy ? ` (forced by ${environment.forcedBy})` : ''}`);
    for (const e of environment.evidence) out.push(`  ${e.signal}${e.value ? `=${e.value}` : ''}: ${e.note}`);
    out.push(
      `Files: ${files.length ? files.join(', ') : '(none: built-in defaults only; run `orchestra-migrate init`)'}`,
    );
    out.push('');
    const pathWidth = Math.max(...lines.map((l) => l.path.length));
    const sourceWidth = Math.max(...lines.map((l) => l.source.length));
    for (const line of lines) {
      out.push(
        `${line.path.padEnd(pathWidth)}  ${line.layer.padEnd(11)}  ${line.source.padEnd(sourceWidth)}  ${line.display}`,
      );
    }
    out.push('', 'Endpoints:');
    for (const e of endpoints)
      out.push(`  ${e.service.padEnd(11)} ${e.url ? `${e.url}  (${e.rule})` : `none: ${e.error}`}`);
    ctx.stdout.write(out.join('\n') + '\n');
    return EXIT_OK;
  },
};
