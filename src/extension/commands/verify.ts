import * as vscode from 'vscode';
import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';
import { abortOn, runArgs } from './run-args';
import { withRunLog } from './run-log';
import { forEditor } from '../wording';

/**
 * `orchestra-migrate verify` from the editor: every resource read (GETs only), the plan
 * written to the log, its summary in a notification. Changes nothing.
 */
export const verifyCommand: OrchestraCommand = {
  id: COMMAND_IDS.verify,
  async run(ctx, arg) {
    const { phases } = runArgs(arg);
    const { plan, text, summary } = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Orchestra: planning ${phases ? phases.join(', ') : 'the migration'} (read-only)`,
        cancellable: true,
      },
      async (_progress, token) => {
        const workspace = ctx.gateway.forRun();
        const plan = await withRunLog(ctx, workspace, 'editor-verify', () =>
          workspace.verify({ phases, signal: abortOn(token) }),
        );
        const { formatPlan, planSummary } = ctx.gateway.engine;
        return { plan, text: forEditor(formatPlan(plan)), summary: planSummary(plan) };
      },
    );
    ctx.log.info(text);
    ctx.plans.set(plan);
    const blocked = plan.phases.some((p) => p.steps.some((s) => s.action === 'blocked'));
    const message = `Orchestra plan for ${plan.projectId}: ${summary}.`;
    const show = blocked ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    // Not awaited: the command is done whether or not anyone clicks.
    void show(message, 'Show Plan').then((choice) => {
      if (choice) ctx.log.show(true);
    });
    return plan;
  },
};
