import * as vscode from 'vscode';
import { COMMAND_IDS, REPORT_VIEW_TYPE } from '../constants';
import type { OrchestraContext } from '../context';
import type { OrchestraCommand } from './command';

/** One report panel per window, shown again rather than opened twice. */
let open: vscode.WebviewPanel | undefined;

/** Draws the report into the panel: markdown-it's HTML, styled by media/report.css only. */
async function render(ctx: OrchestraContext, panel: vscode.WebviewPanel) {
  const media = vscode.Uri.joinPath(ctx.extension.extensionUri, 'media');
  const report = await ctx.migration.report({
    cspSource: panel.webview.cspSource,
    styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css')).toString(),
    title: 'Migration report',
  });
  panel.title = `Migration Report: ${report.projectId}`;
  // Setting html reloads the webview (scroll position lost): only when the page changed.
  if (panel.webview.html !== report.html) panel.webview.html = report.html ?? '';
  return report;
}

/**
 * The migration report (core/report) in a webview whose Content Security Policy allows
 * the extension's stylesheet and nothing else; scripts and command links are off. While
 * open it follows the state file: each change redraws it.
 */
export const showReportCommand: OrchestraCommand = {
  id: COMMAND_IDS.showReport,
  async run(ctx) {
    // No project or no run yet is an error message, not an empty tab.
    const { projectId } = await ctx.migration.report();
    if (open) {
      open.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(
        REPORT_VIEW_TYPE,
        `Migration Report: ${projectId}`,
        vscode.ViewColumn.Active,
        {
          enableScripts: false,
          enableCommandUris: false,
          localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'media')],
        },
      );
      const subscription = ctx.migration.onDidRender(() => {
        render(ctx, panel).catch((error: unknown) =>
          ctx.log.warn(`report: not redrawn (${error instanceof Error ? error.message : String(error)})`),
        );
      });
      panel.onDidDispose(() => {
        subscription.dispose();
        open = undefined;
      });
      open = panel;
    }
    const report = await render(ctx, open);
    return { projectId: report.projectId, markdown: report.markdown, html: report.html };
  },
};

/** The open panel's HTML, for OrchestraApi.reportHtml. */
export function openReportHtml(): string | undefined {
  return open?.webview.html;
}
