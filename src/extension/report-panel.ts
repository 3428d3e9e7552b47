/**
 * The migration report (core/report) in a webview whose Content Security Policy allows
 * the extension's stylesheet and nothing else; scripts and command links are off. One
 * panel per window, shown again rather than opened twice; while open it follows the
 * state file: each change redraws it.
 */
import * as vscode from 'vscode';
import type { WorkspaceReport } from '../core/workspace';
import { REPORT_VIEW_TYPE } from './constants';
import type { WorkspaceGateway } from './gateway';
import type { MigrationPresenter } from './presenter';
import { forEditor } from './wording';

export interface ReportPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly gateway: WorkspaceGateway;
  readonly presenter: MigrationPresenter;
  readonly log: vscode.LogOutputChannel;
}

export class ReportPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;

  constructor(private readonly deps: ReportPanelDeps) {}

  /** The report of the first folder's project; an error when there is no project or no run yet. */
  read(timelineImage?: string): Promise<WorkspaceReport> {
    return this.deps.gateway.require('the report describes the migration of its project').report({ timelineImage });
  }

  /** Opens (or reveals) the panel and draws the report in it. */
  async show(): Promise<WorkspaceReport> {
    // No project or no run yet is an error message, not an empty tab.
    const { projectId } = await this.read();
    const panel = this.panel ?? this.open(projectId);
    if (panel === this.panel) panel.reveal();
    this.panel = panel;
    return this.render(panel);
  }

  /** The open panel's HTML (tests read what the webview shows). */
  get html(): string | undefined {
    return this.panel?.webview.html;
  }

  private open(projectId: string): vscode.WebviewPanel {
    const media = vscode.Uri.joinPath(this.deps.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      `Migration Report: ${projectId}`,
      vscode.ViewColumn.Active,
      { enableScripts: false, enableCommandUris: false, localResourceRoots: [media] },
    );
    const subscription = this.deps.presenter.onDidRender(() => {
      this.render(panel).catch((error: unknown) =>
        this.deps.log.warn(`report: not redrawn (${error instanceof Error ? error.message : String(error)})`),
      );
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      if (this.panel === panel) this.panel = undefined;
    });
    return panel;
  }

  /** Draws the report into the panel: markdown-it's HTML, styled by media/report.css only. */
  private async render(panel: vscode.WebviewPanel): Promise<WorkspaceReport> {
    const media = vscode.Uri.joinPath(this.deps.extensionUri, 'media');
    const report = await this.deps.gateway.require('the report describes the migration of its project').report({
      page: {
        cspSource: panel.webview.cspSource,
        styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css')).toString(),
        title: 'Migration report',
      },
      wording: forEditor,
    });
    panel.title = `Migration Report: ${report.projectId}`;
    // Setting html reloads the webview (scroll position lost): only when the page changed.
    if (panel.webview.html !== report.html) panel.webview.html = report.html ?? '';
    return report;
  }

  dispose(): void {
    this.panel?.dispose();
    this.panel = undefined;
  }
}
