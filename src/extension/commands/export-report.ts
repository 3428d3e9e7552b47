import * as path from 'node:path';
import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/**
 * `orchestra-migrate report` from the editor (and the report tab's title bar): the
 * Markdown report saved where the user picks, by default where the command line writes
 * it (report.dir). `{ to: path }` (other code, the tests) saves there without asking.
 */
export const exportReportCommand: OrchestraCommand = {
  id: COMMAND_IDS.exportReport,
  async run(ctx, arg) {
    // Checked first: no project or no run yet is an error message, not a save dialog.
    const { projectId } = await ctx.report.read();
    const given = arg && typeof arg === 'object' ? (arg as { to?: unknown }).to : undefined;
    let target: vscode.Uri | undefined;
    if (typeof given === 'string') {
      target = vscode.Uri.file(given);
    } else {
      const loaded = ctx.presenter.lastLoad;
      const suggested = loaded?.ok ? loaded.reportFile : undefined;
      target = await vscode.window.showSaveDialog({
        title: `Save the migration report of ${projectId}`,
        saveLabel: 'Save Report',
        filters: { Markdown: ['md'] },
        ...(suggested ? { defaultUri: vscode.Uri.file(suggested) } : {}),
      });
      if (!target) return undefined;
    }
    if (target.scheme === 'file' && !/\.(md|markdown)$/i.test(target.fsPath)) {
      throw new InputError(`The report is Markdown: ${target.fsPath} does not end in .md, nothing was written.`, {
        fix: 'Save it as a .md file.',
      });
    }
    // The chart goes beside the Markdown, as `orchestra-migrate report` writes it.
    const chartName = path.posix.basename(target.path).replace(/(\.md|\.markdown)$/i, '.timeline.svg');
    const chart = vscode.Uri.joinPath(target, '..', chartName);
    const { markdown, timeline } = await ctx.report.read(chartName);
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, '..'));
    if (timeline) await vscode.workspace.fs.writeFile(chart, Buffer.from(timeline, 'utf8'));
    await vscode.workspace.fs.writeFile(target, Buffer.from(markdown, 'utf8'));
    ctx.log.info(
      `migration report of ${projectId} saved to ${target.fsPath}${timeline ? ` (chart: ${chartName})` : ''}`,
    );
    if (typeof given !== 'string') {
      void vscode.window
        .showInformationMessage(`Orchestra: report saved to ${vscode.workspace.asRelativePath(target)}.`, 'Open')
        .then((choice) => choice && vscode.window.showTextDocument(target));
    }
    return { projectId, file: target.fsPath, ...(timeline ? { chart: chart.fsPath } : {}) };
  },
};
