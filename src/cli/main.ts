/**
 * `orchestra-migrate`: the command-line twin of the extension, over the same engine.
 * Exit codes: 0 ok, 1 migration failure, 2 bad input; 130 / 143 after SIGINT / SIGTERM.
 */
import { constants as osConstants } from 'node:os';
import { errorMessage, InputError, isInputError } from '../core/errors';
import type { Logger, LogLevel } from '../core/logger';
import { createRedactor, LOG_LEVELS, MEMORY_API_KEY_VARIABLE, streamLogger } from '../core/workspace';
import { EXIT_BAD_INPUT, EXIT_MIGRATION_FAILED, EXIT_OK, type CliCommand, type CliContext } from './command';
import { COMMANDS } from './commands';

declare const ORCHESTRA_VERSION: string | undefined;

function version(): string {
  // esbuild can define it; fall back to package.json when run from source (tsx).
  if (typeof ORCHESTRA_VERSION === 'string') return ORCHESTRA_VERSION;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: orchestra-migrate <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options: --version, --help; `orchestra-migrate help <command>` for a command.',
    'Exit codes: 0 ok, 1 migration failure, 2 bad input, 130 / 143 stopped by SIGINT / SIGTERM.',
  ].join('\n');
}

/**
 * Diagnostics go to stderr (stdout stays clean for --json), redacted, at the level of
 * ORCHESTRA_LOG__LEVEL (the nested-variable rule for `log.level`; default warn).
 */
function cliLogger(env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): Logger {
  const wanted = env.ORCHESTRA_LOG__LEVEL as LogLevel | undefined;
  const level = wanted && LOG_LEVELS.includes(wanted) ? wanted : 'warn';
  return streamLogger(stderr, level, createRedactor([env[MEMORY_API_KEY_VARIABLE]]));
}

export async function main(argv: string[], partial: Partial<CliContext> = {}): Promise<number> {
  const stdout = partial.stdout ?? process.stdout;
  const stderr = partial.stderr ?? process.stderr;
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    stdout.write(version() + '\n');
    return EXIT_OK;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = COMMANDS.find((c) => c.name === rest[0]);
    stdout.write((target ? `${target.summary}\n\nUsage: ${(await target.load()).usage}` : help()) + '\n');
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    stderr.write(`orchestra-migrate: unknown command '${name}'.\n\n${help()}\n`);
    return EXIT_BAD_INPUT;
  }
  // `execute --help` as every CLI answers it: the command's usage, exit 0, nothing run.
  if (rest.includes('--help') || rest.includes('-h')) {
    stdout.write(`${entry.summary}\n\nUsage: ${(await entry.load()).usage}\n`);
    return EXIT_OK;
  }
  const controller = new AbortController();
  // The first signal stops the command cleanly (a run records itself cancelled and lets go
  // of its lock); a second one is the default: the process ends at once.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    stderr.write(`orchestra-migrate ${name}: ${signal}: stopping (a second ${signal} ends at once)\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let command: CliCommand | undefined;
  const exitCode = (code: number) => (interrupted && !command?.runsUntilStopped ? signalExitCode(interrupted) : code);
  try {
    command = await entry.load();
    const { argv: commandArgv, hosts } = allowEndpointOption(rest);
    const code = await command.run({
      argv: commandArgv,
      command: name,
      allowEndpoints: hosts,
      cwd: partial.cwd ?? process.cwd(),
      env: partial.env ?? process.env,
      stdout,
      stderr,
      logger: partial.logger ?? cliLogger(partial.env ?? process.env, stderr),
      signal: partial.signal ?? controller.signal,
    });
    return exitCode(code);
  } catch (error) {
    stderr.write(`orchestra-migrate ${name}: ${errorMessage(error)}\n`);
    return exitCode(isInputError(error) ? EXIT_BAD_INPUT : EXIT_MIGRATION_FAILED);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** 128 + the signal's number, as shells report a command a signal stopped: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

/**
 * `--allow-endpoint HOST` (repeatable, any command): the user's consent to send the memory
 * API key to HOST over plain http. Taken out before the command parses its own flags.
 */
function allowEndpointOption(argv: string[]): { argv: string[]; hosts: string[] } {
  const out: string[] = [];
  const hosts: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--allow-endpoint') {
      const host = argv[++i];
      if (!host || host.startsWith('-')) {
        throw new InputError('--allow-endpoint needs a host.', {
          fix: 'Write --allow-endpoint HOST or HOST:PORT, e.g. --allow-endpoint memory.internal:8080.',
        });
      }
      hosts.push(host);
    } else if (arg.startsWith('--allow-endpoint=')) {
      hosts.push(arg.slice('--allow-endpoint='.length));
    } else {
      out.push(arg);
    }
  }
  return { argv: out, hosts };
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`orchestra-migrate: ${errorMessage(error)}\n`);
      process.exitCode = EXIT_MIGRATION_FAILED;
    },
  );
}
