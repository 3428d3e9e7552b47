/**
 * Every command, registered in one place through one wrapper that logs each call
 * and shows failures to the user (with a way to the log). Add a command: one file
 * here, its id in constants.ts, its entry in package.json `contributes.commands`.
 */
import * as vscode from 'vscode';
import type { OrchestraContext } from '../context';
import type { OrchestraCommand } from './command';
import { checkHealthCommand } from './check-health';
import { cutoverCommand, rollbackCutoverCommand } from './cutover';
import { destroyCommand } from './destroy';
import { executeCommand } from './execute';
import { exportReportCommand } from './export-report';
import { initConfigCommand } from './init-config';
import { resetPhaseCommand, skipPhaseCommand } from './phase-state';
import { refreshCommand } from './refresh';
import { setMemoryApiKeyCommand } from './set-memory-api-key';
import { showEnvironmentCommand } from './show-environment';
import { showReportCommand } from './show-report';
import { verifyCommand } from './verify';
import { showLogCommand } from './show-log';
import { showPlanCommand } from './show-plan';

export const ALL_COMMANDS: readonly OrchestraCommand[] = [
  refreshCommand,
  showLogCommand,
  showEnvironmentCommand,
  initConfigCommand,
  showReportCommand,
  exportReportCommand,
  verifyCommand,
  executeCommand,
  setMemoryApiKeyCommand,
  checkHealthCommand,
  skipPhaseCommand,
  resetPhaseCommand,
  showPlanCommand,
  destroyCommand,
  cutoverCommand,
  rollbackCutoverCommand,
];

/**
 * Runs a command; a failure is recorded (ctx.failures), logged once and shown once, never
 * rethrown into VS Code's own error toast.
 */
export async function runCommand(ctx: OrchestraContext, command: OrchestraCommand, args: unknown[]): Promise<unknown> {
  ctx.log.debug(`command ${command.id}`);
  try {
    return await command.run(ctx, ...args);
  } catch (error) {
    const failure = ctx.failures.record(command.id, error);
    ctx.log.error(
      `command ${command.id} failed: ${failure.message}`,
      ...(error instanceof Error && error.stack ? [error.stack] : []),
    );
    void vscode.window.showErrorMessage(failure.toast, ...failure.actions).then(async (choice) => {
      if (!choice) return;
      await ctx.failures.choose(failure, choice).catch((error: unknown) => {
        ctx.log.error(`${choice} after the failure of ${command.id} failed: ${String(error)}`);
      });
    });
    return undefined;
  }
}

export function registerCommands(
  ctx: OrchestraContext,
  commands: readonly OrchestraCommand[] = ALL_COMMANDS,
): vscode.Disposable[] {
  return commands.map((command) =>
    vscode.commands.registerCommand(command.id, (...args: unknown[]) => runCommand(ctx, command, args)),
  );
}
