import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import type { EngineEvent } from '../../core/migration/events';
import type { WorkspaceExecuteResult } from '../../core/workspace';
import type { SavedPlan } from '../../core/workspace';
import { countActions, describeCounts } from '../../shared/plan-protocol';
import type { OrchestraContext } from '../context';
import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';
import { abortOn, runArgs } from './run-args';
import { withRunLog } from './run-log';

/**
 * The notification's line for an event: steps done, and a long step's own progress (the
 * memory copy's records copied of total, rate, checksum verdict) while it runs.
 */
function progressMessage(event: EngineEvent, text: string): string | undefined {
  if (event.type === 'progress') return `${event.done} of ${event.total} steps`;
  if (event.type === 'step-progress') return text;
  return undefined;
}

/**
 * `orchestra-migrate execute` from the editor: asks first (unless `{ yes: true }`), then
 * runs with progress in a notification that can cancel it. The tree follows the state
 * file as steps finish; the result offers the report. The run writes its own log file
 * under log.dir, as a CLI run does.
 */
export const executeCommand: OrchestraCommand = {
  id: COMMAND_IDS.execute,
  async run(ctx, arg) {
    const { phases, yes, token: extraToken, reviewed } = runArgs(arg);
    if (ctx.runs.running) throw new InputError('A migration is already running in this window.');
    const loaded = ctx.presenter.lastLoad;
    const project = loaded?.ok && loaded.projectId ? `project "${loaded.projectId}"` : 'the configured project';
    const plan = reviewed ? await reviewedPlan(ctx, project, yes === true) : undefined;
    if (reviewed && !plan) return undefined;
    if (!yes && !reviewed) {
      const what = phases ? `the ${phases.join(', ')} phase${phases.length > 1 ? 's' : ''}` : 'every phase';
      const choice = await vscode.window.showWarningMessage(
        `Execute ${what} of the migration against Google Cloud ${project}?`,
        {
          modal: true,
          detail:
            'Each step creates or updates resources, and is recorded in .orchestra/: a rerun resumes and changes nothing already done. "Orchestra: Verify Migration Plan" shows what would change.',
        },
        'Execute',
      );
      if (choice !== 'Execute') return undefined;
    }
    const workspace = ctx.gateway.forRun();
    ctx.runs.running = true;
    ctx.runs.progress = [];
    try {
      const result = await withRunLog(ctx, workspace, 'editor-execute', () =>
        vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Orchestra: migrating', cancellable: true },
          async (progress, token) => {
            const signal = abortOn(token, extraToken);
            const controller = new AbortController();
            signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
            ctx.runs.cancel = () => controller.abort(new Error('cancelled from the Plan & Run panel'));
            const subscription = workspace.events.on((event, text) => {
              const message = progressMessage(event, text);
              if (message) {
                ctx.runs.progress?.push(message);
                progress.report({ message });
              }
              if (event.type !== 'step-progress' && event.type !== 'progress') ctx.log.info(text);
            });
            try {
              return await workspace.execute({ phases, plan, signal: controller.signal });
            } finally {
              ctx.runs.cancel = undefined;
              subscription.dispose();
              // The file watcher may lag the run's last write: the tree shows the final
              // statuses before the command reports the result, not a moment after.
              await ctx.presenter.refreshState();
            }
          },
        ),
      );
      // A run may have deployed the API or moved the memory: the status bar checks again.
      void ctx.health.check();
      showOutcome(ctx, result);
      return result;
    } finally {
      ctx.runs.running = false;
    }
  },
};

function showOutcome(ctx: OrchestraContext, result: WorkspaceExecuteResult): void {
  const took = `${(result.durationMs / 1000).toFixed(1)} s`;
  if (result.status === 'completed') {
    void vscode.window
      .showInformationMessage(`Orchestra: the migration of ${result.projectId} completed in ${took}.`, 'Show Report')
      .then((choice) => choice && vscode.commands.executeCommand(COMMAND_IDS.showReport));
    return;
  }
  const first = result.failures[0];
  const why = first ? ` ${first.step}: ${first.error}` : '';
  void vscode.window
    .showErrorMessage(
      `Orchestra: the migration run ${result.status} after ${took}.${why} Run it again to resume.`,
      'Show Log',
      'Show Report',
    )
    .then((choice) => {
      if (choice === 'Show Log') ctx.log.show(true);
      if (choice === 'Show Report') void vscode.commands.executeCommand(COMMAND_IDS.showReport);
    });
}

/**
 * The last Verify's plan, refused when stale; asks first (modal, with the counts) unless
 * `yes`. Undefined when the user declines.
 */
async function reviewedPlan(ctx: OrchestraContext, project: string, yes: boolean): Promise<SavedPlan | undefined> {
  const latest = ctx.plans.latest();
  if (!latest) {
    throw new InputError('There is no plan to execute yet.', {
      fix: 'Run Verify first, review the plan, then execute it.',
    });
  }
  const { plan, stale } = latest;
  if (stale) {
    throw new InputError(`The plan is stale: ${stale}. Nothing was changed.`, {
      fix: 'Run Verify again, review the new plan, then execute it.',
    });
  }
  const saved = ctx.gateway.engine.savedPlan(plan);
  if (yes) return saved;
  const steps = plan.phases.flatMap((p) => p.steps);
  const lines = plan.phases
    .filter((p) => !p.excluded && p.steps.length)
    .map((p) => `${p.title}: ${describeCounts(countActions(p.steps))}`);
  const choice = await vscode.window.showWarningMessage(
    `Execute this plan against Google Cloud ${project}? ${describeCounts(countActions(steps))}.`,
    {
      modal: true,
      detail: `Planned ${plan.createdAt}.\n${lines.join('\n')}\n\nExecution stops, changing nothing more, at the first resource that changed since the plan.`,
    },
    'Execute',
  );
  return choice === 'Execute' ? saved : undefined;
}
