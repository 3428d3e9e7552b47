import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import type { EngineEvent } from '../../core/migration/events';
import type { WorkspaceExecuteResult } from '../../core/workspace';
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
    const { phases, yes, token: extraToken } = runArgs(arg);
    if (ctx.runs.running) throw new InputError('A migration is already running in this window.');
    const loaded = ctx.presenter.lastLoad;
    const project = loaded?.ok && loaded.projectId ? `project "${loaded.projectId}"` : 'the configured project';
    if (!yes) {
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
            const subscription = workspace.events.on((event, text) => {
              const message = progressMessage(event, text);
              if (message) {
                ctx.runs.progress?.push(message);
                progress.report({ message });
              }
              if (event.type !== 'step-progress' && event.type !== 'progress') ctx.log.info(text);
            });
            try {
              return await workspace.execute({ phases, signal: abortOn(token, extraToken) });
            } finally {
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
