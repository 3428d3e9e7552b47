import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import type { Workspace } from '../../core/workspace';
import { COMMAND_IDS } from '../constants';
import type { OrchestraContext } from '../context';
import type { OrchestraCommand } from './command';
import { abortOn } from './run-args';
import { withRunLog } from './run-log';
import { forEditor } from '../wording';

/** From other code and the tests: `{ yes: true }` skips the modal (the CLI's --yes). */
interface CutoverArgs {
  yes?: boolean;
  token?: vscode.CancellationToken;
}

function cutoverArgs(arg: unknown): CutoverArgs {
  if (!arg || typeof arg !== 'object') return {};
  const given = arg as CutoverArgs;
  return {
    ...(given.yes === true ? { yes: true } : {}),
    ...(typeof given.token?.onCancellationRequested === 'function' ? { token: given.token } : {}),
  };
}

/** Reads a plan (GETs and counts only) under a notification that can cancel it. */
function planning<T>(title: string, read: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (_progress, token) => read(abortOn(token)),
    ),
  );
}

/** Runs `work` as Execute runs: one run per window, its own log file, progress that can cancel it. */
async function runLikeExecute<T>(
  ctx: OrchestraContext,
  workspace: Workspace,
  name: string,
  title: string,
  token: vscode.CancellationToken | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  ctx.runs.running = true;
  ctx.runs.progress = [];
  try {
    return await withRunLog(ctx, workspace, name, () =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, notification) => {
          const subscription = workspace.events.on((event, text) => {
            if (event.type === 'step-progress') {
              const message = event.message ?? text;
              ctx.runs.progress?.push(message);
              progress.report({ message });
            }
            if (event.type !== 'progress') ctx.log.info(text);
          });
          try {
            return await work(abortOn(notification, token));
          } finally {
            subscription.dispose();
            // The config files and the state changed: the views show it before the command returns.
            await ctx.presenter.refreshState();
            void ctx.presenter.reload();
          }
        },
      ),
    );
  } finally {
    ctx.runs.running = false;
  }
}

function refuseWhileRunning(ctx: OrchestraContext, what: string): void {
  if (ctx.runs.running)
    throw new InputError(`A migration run is going on in this window: ${what} waits until it ends.`);
}

/**
 * `orchestra-migrate cutover` from the editor: the plan (source read-only, the final
 * delta, each endpoint switched file by file, the secret version) in a modal to confirm,
 * as Execute asks; then run with progress and cancellation.
 */
export const cutoverCommand: OrchestraCommand = {
  id: COMMAND_IDS.cutover,
  async run(ctx, arg) {
    const { yes, token } = cutoverArgs(arg);
    refuseWhileRunning(ctx, 'cutover');
    const workspace = ctx.gateway.forRun();
    const plan = await planning('Orchestra: planning the cutover (read-only)', (signal) =>
      workspace.cutoverPlan({ signal }),
    );
    // The plan's last lines advise CLI commands; the editor names its palette commands.
    const formatCutoverPlan = (p: typeof plan) => forEditor(ctx.gateway.engine.formatCutoverPlan(p));
    if (plan.state === 'done') {
      void vscode.window.showInformationMessage(`Orchestra: ${formatCutoverPlan(plan)}`);
      return { plan };
    }
    if (!yes && plan.overrides.length > 0) {
      // No button to go on: the engine refuses while an override would keep the old endpoint live.
      await vscode.window.showWarningMessage(
        `Cutover of "${plan.projectId}" is blocked: ${plan.overrides.map((o) => o.source).join(', ')} would keep the old endpoint live.`,
        { modal: true, detail: formatCutoverPlan(plan) },
      );
      return { plan };
    }
    if (!yes) {
      const choice = await vscode.window.showWarningMessage(
        `Cut project "${plan.projectId}" over to the cloud?`,
        { modal: true, detail: formatCutoverPlan(plan) },
        'Cut Over',
      );
      if (choice !== 'Cut Over') return undefined;
    }
    const result = await runLikeExecute(ctx, workspace, 'editor-cutover', 'Orchestra: cutting over', token, (signal) =>
      workspace.cutover({ signal }),
    );
    const files = new Set(result.record.switched.map((s) => s.file)).size;
    void vscode.window.showInformationMessage(
      `Orchestra: ${result.projectId} is cut over: the memory and API endpoints name the cloud in ${files} config file(s)${result.record.secretVersion ? ' and the secret' : ''}. Rollback Cutover undoes it.`,
    );
    return result;
  },
};

/**
 * `orchestra-migrate rollback-cutover` from the editor: before a cutover it says there is
 * nothing to undo (the engine's error); after one, the plan in a modal, then back to the
 * source (writes made on the cloud copied back, endpoints restored, the source writable).
 */
export const rollbackCutoverCommand: OrchestraCommand = {
  id: COMMAND_IDS.rollbackCutover,
  async run(ctx, arg) {
    const { yes, token } = cutoverArgs(arg);
    refuseWhileRunning(ctx, 'rollback');
    const workspace = ctx.gateway.forRun();
    const plan = await planning('Orchestra: planning the cutover rollback (read-only)', (signal) =>
      workspace.rollbackCutoverPlan({ signal }),
    );
    if (!yes) {
      const choice = await vscode.window.showWarningMessage(
        `Roll the cutover of project "${plan.projectId}" back to the source?`,
        { modal: true, detail: forEditor(ctx.gateway.engine.formatRollbackPlan(plan)) },
        'Roll Back',
      );
      if (choice !== 'Roll Back') return undefined;
    }
    const result = await runLikeExecute(
      ctx,
      workspace,
      'editor-rollback-cutover',
      'Orchestra: rolling the cutover back',
      token,
      (signal) => workspace.rollbackCutover({ signal }),
    );
    void vscode.window.showInformationMessage(
      `Orchestra: the cutover of ${result.projectId} is rolled back: the endpoints name the source again, which takes writes.`,
    );
    return result;
  },
};
