import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import type { DestroyPlan, Workspace, WorkspaceDestroyResult } from '../../core/workspace';
import { COMMAND_IDS } from '../constants';
import type { OrchestraContext } from '../context';
import type { PhaseTreeNode } from '../presentation';
import {
  confirmationProblem,
  teardownCounts,
  teardownRows,
  teardownSummary,
  type TeardownChoice,
} from '../teardown-view';
import type { OrchestraCommand } from './command';
import { abortOn } from './run-args';
import { withRunLog } from './run-log';

/**
 * What Destroy was asked: from the palette, every phase (the user reviews and types);
 * from a phase's row, that phase. Other code and the tests pass `{ phases, includeData,
 * confirm }`: `confirm` is the project id as typed, skipping the pick and the input box.
 */
export interface DestroyArgs {
  phases?: string[];
  includeData?: boolean;
  confirm?: string;
  /** Another way to cancel besides the notification's button. */
  token?: vscode.CancellationToken;
}

export function destroyArgs(arg: unknown): DestroyArgs {
  if (!arg || typeof arg !== 'object') return {};
  const node = arg as Partial<PhaseTreeNode>;
  if ((node.kind === 'phase' || node.kind === 'step') && node.phase) return { phases: [node.phase.id] };
  const given = arg as DestroyArgs;
  return {
    ...(Array.isArray(given.phases) && given.phases.length ? { phases: given.phases.map(String) } : {}),
    ...(given.includeData === true ? { includeData: true } : {}),
    ...(typeof given.confirm === 'string' ? { confirm: given.confirm } : {}),
    ...(typeof given.token?.onCancellationRequested === 'function' ? { token: given.token } : {}),
  };
}

/**
 * `orchestra-migrate destroy` from the editor: the plan of what would be deleted (only
 * what the state records this migration created; adopted resources kept; data-holding
 * ones only when the user includes data), confirmed by typing the project id, then run
 * with progress and cancellation as Execute is. The tree follows the state file.
 */
export const destroyCommand: OrchestraCommand = {
  id: COMMAND_IDS.destroy,
  async run(ctx, arg) {
    const args = destroyArgs(arg);
    if (ctx.runs.running)
      throw new InputError('A migration run is going on in this window: destroy waits until it ends.');
    const workspace = ctx.gateway.forRun();
    let includeData = args.includeData === true;
    let plan = await planTeardown(workspace, args.phases, includeData);
    let typed = args.confirm;
    if (typed === undefined) {
      for (;;) {
        const choice = await pickFromPlan(plan, args.phases);
        if (!choice) return undefined;
        if (choice === 'delete') break;
        includeData = choice === 'include-data';
        plan = await planTeardown(workspace, args.phases, includeData);
      }
      typed = await typeProjectId(plan);
      if (typed === undefined) return undefined;
    }
    const problem = confirmationProblem(typed, plan.projectId);
    if (problem) {
      throw new InputError(`Destroy was not confirmed: ${problem} Nothing was deleted.`, {
        where: `project ${plan.projectId}`,
        fix: 'Run Destroy again and type the project id exactly as shown.',
      });
    }
    if (teardownCounts(plan).deleting === 0) {
      void vscode.window.showInformationMessage(
        `Orchestra: nothing to destroy in ${plan.projectId}: ${teardownSummary(plan)}.`,
      );
      return { plan, deleted: [], kept: plan.steps.map((s) => s.id), cancelled: false };
    }
    await refuseChanged(workspace, plan, args.phases);
    return runTeardown(ctx, workspace, { phases: args.phases, includeData, token: args.token });
  },
};

/** The plan, read-only (GETs only), under a notification that can cancel it. */
function planTeardown(workspace: Workspace, phases: string[] | undefined, includeData: boolean): Promise<DestroyPlan> {
  return Promise.resolve(
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Orchestra: planning the teardown${phases ? ` of ${phases.join(', ')}` : ''} (read-only)`,
        cancellable: true,
      },
      (_progress, token) => workspace.destroyPlan({ phases, includeData, signal: abortOn(token) }),
    ),
  );
}

/** The plan in a quick pick: accepting a choice returns it; accepting a plan row does nothing. */
function pickFromPlan(plan: DestroyPlan, phases: string[] | undefined): Promise<TeardownChoice | undefined> {
  type Item = vscode.QuickPickItem & { choice?: TeardownChoice };
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = `Orchestra: Destroy in ${plan.projectId}${phases ? ` (${phases.join(', ')})` : ''}`;
  pick.placeholder = `${teardownSummary(plan)}. Choose an action; the rows below are the plan.`;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.ignoreFocusOut = true;
  pick.items = teardownRows(plan).map((r) =>
    r.separator
      ? { label: r.label, kind: vscode.QuickPickItemKind.Separator }
      : { label: r.label, description: r.description, detail: r.detail, choice: r.choice },
  );
  return new Promise((resolve) => {
    let chosen: TeardownChoice | undefined;
    pick.onDidAccept(() => {
      chosen = pick.selectedItems[0]?.choice;
      if (chosen) pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(chosen);
    });
    pick.show();
  });
}

/** The typed confirmation, as the Cloud console asks before deleting a project. */
function typeProjectId(plan: DestroyPlan): Thenable<string | undefined> {
  const { deleting } = teardownCounts(plan);
  return vscode.window.showInputBox({
    title: `Orchestra: Destroy ${deleting} resource${deleting === 1 ? '' : 's'} in ${plan.projectId}`,
    prompt: `This deletes them from Google Cloud${plan.includeData ? ', with their data' : ''}. Type the project id (${plan.projectId}) to confirm.`,
    placeHolder: plan.projectId,
    ignoreFocusOut: true,
    validateInput: (value) => confirmationProblem(value, plan.projectId),
  });
}

/**
 * The plan confirmed must be the plan run: read again just before, and refused when what
 * would be deleted changed meanwhile (another window, the CLI, a change in the console).
 */
async function refuseChanged(workspace: Workspace, reviewed: DestroyPlan, phases: string[] | undefined): Promise<void> {
  const now = await workspace.destroyPlan({ phases, includeData: reviewed.includeData });
  const ids = (p: DestroyPlan) =>
    p.steps
      .filter((s) => s.action === 'delete')
      .map((s) => s.id)
      .join(',');
  if (ids(now) !== ids(reviewed)) {
    throw new InputError('What destroy would delete changed since you reviewed the plan. Nothing was deleted.', {
      where: `project ${reviewed.projectId}`,
      fix: 'Run Destroy again, review the new plan, and confirm it.',
    });
  }
}

async function runTeardown(
  ctx: OrchestraContext,
  workspace: Workspace,
  request: { phases?: string[]; includeData: boolean; token?: vscode.CancellationToken },
): Promise<WorkspaceDestroyResult> {
  ctx.runs.running = true;
  ctx.runs.progress = [];
  try {
    const result = await withRunLog(ctx, workspace, 'editor-destroy', () =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Orchestra: destroying', cancellable: true },
        async (progress, token) => {
          const signal = abortOn(token, request.token);
          const subscription = workspace.events.on((event, text) => {
            if (event.type !== 'step-progress') return;
            const message = `${event.done} of ${event.total}: ${event.message ?? text}`;
            ctx.runs.progress?.push(message);
            progress.report({ message });
            ctx.log.info(text);
          });
          try {
            return await workspace.destroy({ phases: request.phases, includeData: request.includeData, signal });
          } finally {
            subscription.dispose();
            // A plan made before the teardown describes resources that are gone: Verify again.
            ctx.plans.clear();
            // The tree shows what is gone before the command reports it.
            await ctx.presenter.refreshState();
          }
        },
      ),
    );
    void ctx.health.check();
    showOutcome(result);
    return result;
  } finally {
    ctx.runs.running = false;
  }
}

function showOutcome(result: WorkspaceDestroyResult): void {
  if (result.cancelled) {
    void vscode.window.showWarningMessage(
      `Orchestra: destroy cancelled after ${result.deleted.length} resource(s) in ${result.projectId}. Run Destroy again to finish it.`,
    );
    return;
  }
  void vscode.window.showInformationMessage(
    `Orchestra: destroy of ${result.projectId} done: ${result.deleted.length} deleted or already gone, ${result.kept.length} kept.`,
  );
}
