/**
 * Every command, registered in one place through one wrapper that logs each call
 * and shows failures to the user (with a way to the log). Add a command: one file
 * here, its id in constants.ts, its entry in package.json `contributes.commands`, its
 * line in COMMANDS below.
 *
 * Activation registers a stub per id; a command's module loads when it first runs (each
 * is a bundle file of its own, esbuild.js EXTENSION_CHUNKS), so the extension's start-up
 * reads none of them. require() of a literal path, not import(): the build turns it into
 * a require() of the command's file, and tsx's CommonJS hook (the tests) resolves it from
 * source, which import() there cannot.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import * as vscode from 'vscode';
import { COMMAND_IDS, type CommandId } from '../constants';
import type { OrchestraContext } from '../context';
import type { OrchestraCommand } from './command';
import type * as CheckHealthModule from './check-health';
import type * as CutoverModule from './cutover';
import type * as DestroyModule from './destroy';
import type * as ExecuteModule from './execute';
import type * as ExportReportModule from './export-report';
import type * as InitConfigModule from './init-config';
import type * as PhaseStateModule from './phase-state';
import type * as RefreshModule from './refresh';
import type * as SetMemoryApiKeyModule from './set-memory-api-key';
import type * as ShowEnvironmentModule from './show-environment';
import type * as ShowLogModule from './show-log';
import type * as ShowPlanModule from './show-plan';
import type * as ShowReportModule from './show-report';
import type * as VerifyModule from './verify';

/** A command as activation registers it: its id, and its module, loaded when it first runs. */
export interface CommandEntry {
  readonly id: CommandId;
  load(): OrchestraCommand;
}

export const COMMANDS: readonly CommandEntry[] = [
  { id: COMMAND_IDS.refresh, load: () => (require('./refresh') as typeof RefreshModule).refreshCommand },
  { id: COMMAND_IDS.showLog, load: () => (require('./show-log') as typeof ShowLogModule).showLogCommand },
  {
    id: COMMAND_IDS.showEnvironment,
    load: () => (require('./show-environment') as typeof ShowEnvironmentModule).showEnvironmentCommand,
  },
  { id: COMMAND_IDS.initConfig, load: () => (require('./init-config') as typeof InitConfigModule).initConfigCommand },
  { id: COMMAND_IDS.showReport, load: () => (require('./show-report') as typeof ShowReportModule).showReportCommand },
  {
    id: COMMAND_IDS.exportReport,
    load: () => (require('./export-report') as typeof ExportReportModule).exportReportCommand,
  },
  { id: COMMAND_IDS.verify, load: () => (require('./verify') as typeof VerifyModule).verifyCommand },
  { id: COMMAND_IDS.execute, load: () => (require('./execute') as typeof ExecuteModule).executeCommand },
  {
    id: COMMAND_IDS.setMemoryApiKey,
    load: () => (require('./set-memory-api-key') as typeof SetMemoryApiKeyModule).setMemoryApiKeyCommand,
  },
  {
    id: COMMAND_IDS.checkHealth,
    load: () => (require('./check-health') as typeof CheckHealthModule).checkHealthCommand,
  },
  { id: COMMAND_IDS.skipPhase, load: () => (require('./phase-state') as typeof PhaseStateModule).skipPhaseCommand },
  { id: COMMAND_IDS.resetPhase, load: () => (require('./phase-state') as typeof PhaseStateModule).resetPhaseCommand },
  { id: COMMAND_IDS.showPlan, load: () => (require('./show-plan') as typeof ShowPlanModule).showPlanCommand },
  { id: COMMAND_IDS.destroy, load: () => (require('./destroy') as typeof DestroyModule).destroyCommand },
  { id: COMMAND_IDS.cutover, load: () => (require('./cutover') as typeof CutoverModule).cutoverCommand },
  {
    id: COMMAND_IDS.rollbackCutover,
    load: () => (require('./cutover') as typeof CutoverModule).rollbackCutoverCommand,
  },
];

/** The entry's command module; an error names the id when the table points at the wrong one. */
export function loadCommand(entry: CommandEntry): OrchestraCommand {
  const command = entry.load();
  if (command?.id !== entry.id)
    throw new Error(
      `command ${entry.id}: its module gave ${String(command?.id)}; fix its line in src/extension/commands/index.ts`,
    );
  return command;
}

/**
 * Runs a command, loading its module first; a failure (of the load too) is recorded
 * (ctx.failures), logged once and shown once, never rethrown into VS Code's own error toast.
 */
export async function runCommand(ctx: OrchestraContext, entry: CommandEntry, args: unknown[]): Promise<unknown> {
  ctx.log.debug(`command ${entry.id}`);
  try {
    return await loadCommand(entry).run(ctx, ...args);
  } catch (error) {
    const failure = ctx.failures.record(entry.id, error);
    ctx.log.error(
      `command ${entry.id} failed: ${failure.message}`,
      ...(error instanceof Error && error.stack ? [error.stack] : []),
    );
    void vscode.window.showErrorMessage(failure.toast, ...failure.actions).then(async (choice) => {
      if (!choice) return;
      await ctx.failures.choose(failure, choice).catch((error: unknown) => {
        ctx.log.error(`${choice} after the failure of ${entry.id} failed: ${String(error)}`);
      });
    });
    return undefined;
  }
}

export function registerCommands(
  ctx: OrchestraContext,
  commands: readonly CommandEntry[] = COMMANDS,
): vscode.Disposable[] {
  return commands.map((entry) =>
    vscode.commands.registerCommand(entry.id, (...args: unknown[]) => runCommand(ctx, entry, args)),
  );
}
