/**
 * What verify, execute, status, monitor, skip and reset share: flag parsing, and the
 * engine session (core/migration/session.ts, which the editor uses too).
 */
import { InputError } from '../../core/errors';
import { openMigrationSession, type MigrationSession } from '../../core/migration/session';
import type { CliContext } from '../command';

export { recordCloudRunEndpoint, type MigrationSession } from '../../core/migration/session';

export interface Flags {
  booleans: Set<string>;
  /** Repeatable values (`--phase a --phase b` or `--phase a,b`). */
  values: Map<string, string[]>;
  positional: string[];
}

export function parseFlags(argv: string[], spec: { booleans: string[]; values: string[]; usage: string }): Flags {
  const flags: Flags = { booleans: new Set(), values: new Map(), positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (spec.booleans.includes(name)) {
      flags.booleans.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--'))
        throw new InputError(`${name} needs a value.`, { fix: `Usage: ${spec.usage}` });
      flags.values.set(name, [...(flags.values.get(name) ?? []), ...value.split(',').filter(Boolean)]);
    } else if (arg.startsWith('-')) {
      throw new InputError(`Unknown option ${arg}.`, { fix: `Usage: ${spec.usage}` });
    } else {
      flags.positional.push(arg);
    }
  }
  return flags;
}

export function phasesFlag(flags: Flags): string[] | undefined {
  const phases = flags.values.get('--phase');
  return phases && phases.length ? phases : undefined;
}

/** The engine for the current folder, from its config files and ORCHESTRA_* variables. */
export function openMigration(ctx: CliContext): Promise<MigrationSession> {
  return openMigrationSession({ dir: ctx.cwd, env: ctx.env, logger: ctx.logger });
}
