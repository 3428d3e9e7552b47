/**
 * The Plan & Run panel's host side: one webview panel per window, scripts on but limited
 * by the page's CSP to the webview bundle (dist/webview, its only local resource root).
 * It sends the last Verify's plan and the live run through the typed protocol
 * (src/shared/plan-protocol.ts), and answers the webview's requests by running the same
 * commands the palette runs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { Workspace } from '../core/workspace';
import {
  isWebviewMessage,
  PROTOCOL_VERSION,
  type HostMessage,
  type PanelRequest,
  type WebviewMessage,
} from '../shared/plan-protocol';
import { COMMAND_IDS, OUTPUT_CHANNEL_NAME, PLAN_VIEW_TYPE } from './constants';
import type { CommandFailures } from './failures';
import type { WorkspaceGateway } from './gateway';
import type { PlanTracker } from './plan-tracker';
import type { MigrationPresenter } from './presenter';
import { planPanelHtml } from './plan-panel-html';
import { RunModel, toPanelPlan } from './plan-panel-model';

/** What the panel uses of the extension (the context's parts, so the context may own the panel). */
export interface PlanPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly logUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  readonly gateway: WorkspaceGateway;
  readonly presenter: MigrationPresenter;
  readonly plans: PlanTracker;
  readonly failures: CommandFailures;
  /** This window's run: its Cancel, while one runs. */
  readonly runs: { cancel?: () => void };
}

export class PlanPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private ready = false;
  private run?: RunModel;
  private readonly subscriptions: { dispose(): unknown }[] = [];
  private readonly shownListeners = new Set<(message: Extract<WebviewMessage, { type: 'shown' }>) => void>();
  private followed?: Workspace;
  private followedEvents?: { dispose(): unknown };

  constructor(private readonly deps: PlanPanelDeps) {}

  private ctx(): PlanPanelDeps {
    return this.deps;
  }

  /** Opens (or reveals) the panel. */
  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const root = vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(PLAN_VIEW_TYPE, 'Plan & Run', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [root],
    });
    this.panel = panel;
    this.ready = false;
    panel.webview.html = planPanelHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'plan.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'plan.css')).toString(),
    });
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      this.ctx().plans.onDidChange(() => this.postPlan()),
      this.ctx().presenter.onDidRender(() => this.follow()),
    );
    panel.onDidDispose(() => this.closed());
    this.follow();
  }

  /** The open panel's HTML (tests assert its CSP). */
  get html(): string | undefined {
    return this.panel?.webview.html;
  }

  /** The webview's reports that it drew a step update (the UI bench's clock). */
  onDidShow(listener: (message: Extract<WebviewMessage, { type: 'shown' }>) => void): { dispose(): void } {
    this.shownListeners.add(listener);
    return { dispose: () => this.shownListeners.delete(listener) };
  }

  /** Sends a message (tests and the bench inject engine events through follow()). */
  post(message: HostMessage): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  /** Feeds one engine event to the live run (what the workspace's events do during a run). */
  event(event: Parameters<RunModel['apply']>[0]): void {
    if (event.type === 'run-started') {
      const view = this.ctx().presenter.lastLoad;
      const steps = view?.ok ? view.steps.filter((s) => event.phases.includes(s.phase)) : [];
      this.run = new RunModel(event.runId, Date.parse(event.at), steps);
      this.post({ type: 'run', run: this.run.snapshot() });
      return;
    }
    const message = this.run?.apply(event);
    if (message) this.post(message);
  }

  /** Follows the current workspace's engine events; the state's attempts give the retries. */
  private follow(): void {
    const workspace = this.ctx().gateway.current();
    if (workspace !== this.followed) {
      this.followedEvents?.dispose();
      this.followed = workspace;
      this.followedEvents = workspace?.events.on((event) => this.event(event));
    }
    if (!this.run) return;
    for (const phase of this.ctx().presenter.phases()) {
      for (const step of phase.detail.steps ?? []) {
        const message = this.run.retried(step.id, step.attempts);
        if (message) this.post(message);
      }
    }
  }

  private postPlan(): void {
    const latest = this.ctx().plans.latest();
    this.post({ type: 'plan', plan: latest && toPanelPlan(latest.plan, latest.stale) });
  }

  private receive(raw: unknown): void {
    if (!isWebviewMessage(raw)) {
      this.ctx().log.warn(
        `Plan & Run panel: dropped a message outside the protocol: ${JSON.stringify(raw)?.slice(0, 200)}`,
      );
      return;
    }
    if (raw.type === 'ready') {
      this.ready = true;
      const latest = this.ctx().plans.latest();
      this.post({
        type: 'init',
        protocol: PROTOCOL_VERSION,
        ...(latest ? { plan: toPanelPlan(latest.plan, latest.stale) } : {}),
        ...(this.run ? { run: this.run.snapshot() } : {}),
      });
    } else if (raw.type === 'shown') {
      for (const listener of this.shownListeners) listener(raw);
    } else {
      void this.handle(raw.requestId, raw.request);
    }
  }

  private async handle(requestId: number, request: PanelRequest): Promise<void> {
    try {
      await this.perform(request);
      this.post({ type: 'reply', requestId, ok: true });
    } catch (error) {
      this.post({ type: 'reply', requestId, ok: false, error: errorMessage(error) });
    }
  }

  private async perform(request: PanelRequest): Promise<void> {
    const ctx = this.ctx();
    switch (request.kind) {
      case 'verify':
        return this.command(COMMAND_IDS.verify);
      case 'execute':
        return this.command(COMMAND_IDS.execute, { reviewed: true });
      case 'cancel':
        if (!ctx.runs.cancel) throw new Error('No run of this window is going on.');
        ctx.runs.cancel();
        return;
      case 'revealStep':
        await ctx.presenter.revealStep(request.step);
        return;
      case 'showLog':
        await showLogLines(ctx, request.step);
        return;
      case 'openConsole':
        await vscode.env.openExternal(vscode.Uri.parse(request.url, true));
        return;
    }
  }

  /** Runs a command as the palette does; its failure (already shown as a toast) becomes the reply's error. */
  private async command(id: string, arg?: unknown): Promise<void> {
    const before = this.ctx().failures.last;
    const result = await vscode.commands.executeCommand(id, arg);
    const failure = this.ctx().failures.last;
    if (result === undefined && failure && failure !== before) throw new Error(failure.message);
  }

  private closed(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.followedEvents?.dispose();
    this.followedEvents = undefined;
    this.followed = undefined;
    this.panel = undefined;
    this.ready = false;
  }

  dispose(): void {
    this.panel?.dispose();
    this.closed();
  }
}

/** Opens the log file of the Output channel at the last line about the step. */
async function showLogLines(ctx: PlanPanelDeps, step: string): Promise<void> {
  const file = vscode.Uri.file(path.join(ctx.logUri.fsPath, `${OUTPUT_CHANNEL_NAME}.log`));
  let document: vscode.TextDocument;
  try {
    document = await vscode.workspace.openTextDocument(file);
  } catch {
    ctx.log.show(true);
    return;
  }
  const lines = document.getText().split('\n');
  let line = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].includes(step)) {
      line = i;
      break;
    }
  }
  const editor = await vscode.window.showTextDocument(document, {
    preview: true,
    viewColumn: vscode.ViewColumn.Beside,
  });
  if (line >= 0) {
    const range = new vscode.Range(line, 0, line, lines[line].length);
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
  }
}
