/**
 * What the commands share: flag parsing, and the workspace of the current folder (the
 * application layer the editor opens too).
 */
import { InputError } from '../core/errors';
import { openWorkspace, type Workspace } from '../core/workspace';
import type { CliContext } from './command';

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

/** The workspace of the current folder, from its config files and ORCHESTRA_* variables. */
export function cliWorkspace(ctx: CliContext): Workspace {
  return openWorkspace({
    folder: ctx.cwd,
    env: ctx.env,
    logger: ctx.logger,
    keyConsent: { allowHosts: ctx.allowEndpoints },
  });
}

/**
 * Runs `use` on the current folder's workspace and closes it after (its health checker, clients).
 * Each run writes its own log file, except a query that changes nothing (`runLog: false`):
 * `status` is polled by scripts, and the log folder keeps only the newest files, so each poll
 * would push a real run's log out.
 */
export async function withWorkspace<T>(
  ctx: CliContext,
  use: (workspace: Workspace) => Promise<T>,
  options: { runLog?: boolean } = {},
): Promise<T> {
  const workspace = cliWorkspace(ctx);
  try {
    if (options.runLog !== false) await workspace.startRunLog(ctx.command ?? 'cli');
    return await use(workspace);
  } finally {
    await workspace.close();
  }
}
