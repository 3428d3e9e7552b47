/**
 * The shape of one CLI command. Each command lives in its own file under commands/
 * and is listed once in commands/index.ts, which loads it only when it runs.
 */
import type { Logger } from '../core/logger';

export const EXIT_OK = 0;
export const EXIT_MIGRATION_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export interface CliContext {
  /** Arguments after the command name. */
  argv: string[];
  /** The command's name (names its log file). */
  command?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  logger: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Hosts the user allowed to receive the memory API key over plain http (--allow-endpoint, any command). */
  allowEndpoints?: string[];
}

export interface CliCommand {
  /** Usage lines shown by `orchestra-migrate help <name>`. */
  usage: string;
  /**
   * The command serves until it is stopped (the sandbox): SIGINT/SIGTERM is its normal end,
   * so it exits with its own code rather than the 130/143 of an interrupted command.
   */
  runsUntilStopped?: boolean;
  run(ctx: CliContext): Promise<number>;
}

/** A command as `help` lists it; its module is imported only when it runs or its usage is asked for. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CliCommand>;
}
