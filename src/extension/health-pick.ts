/**
 * The health report as a quick pick: one row a service (worst first), then what can be done
 * about it. While it is open it follows the checks: a newer check redraws it, so it never
 * shows an older result than the status bar item beside it.
 */
import * as vscode from 'vscode';
import type { HealthReport } from '../core/health';
import { COMMAND_IDS } from './constants';
import { HEALTH_ICONS, healthStateText, healthSummary } from './health-text';

const ORDER = { down: 0, slow: 1, ok: 2 } as const;

interface Row extends vscode.QuickPickItem {
  readonly run?: () => unknown;
}

export interface HealthPickDeps {
  /** Fires after every check, with its report. */
  readonly onDidCheck: vscode.Event<HealthReport>;
  readonly log: vscode.LogOutputChannel;
}

export class HealthPick implements vscode.Disposable {
  private pick?: vscode.QuickPick<Row>;
  private shown?: HealthReport;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly deps: HealthPickDeps) {
    this.subscription = deps.onDidCheck((report) => this.redraw(report));
  }

  /** Opens the pick on this report (or redraws the open one). */
  show(report: HealthReport): void {
    if (!this.pick) this.pick = this.create();
    this.render(report);
    this.pick.show();
  }

  /** The open pick's title and rows as shown (for tests); undefined when closed. */
  get current(): { readonly title: string; readonly checkedAt: string; readonly rows: readonly string[] } | undefined {
    if (!this.pick || !this.shown) return undefined;
    return {
      title: this.pick.title ?? '',
      checkedAt: this.shown.checkedAt,
      rows: this.pick.items.map((r) => [r.label, r.description, r.detail].filter(Boolean).join(' | ')),
    };
  }

  private redraw(report: HealthReport): void {
    // Checks finish in order, but a report handed to show() late must not replace a newer one.
    if (!this.pick || (this.shown && report.checkedAt < this.shown.checkedAt)) return;
    this.render(report);
  }

  private create(): vscode.QuickPick<Row> {
    const pick = vscode.window.createQuickPick<Row>();
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0];
      pick.hide();
      void chosen?.run?.();
    });
    pick.onDidHide(() => {
      pick.dispose();
      if (this.pick === pick) {
        this.pick = undefined;
        this.shown = undefined;
      }
    });
    return pick;
  }

  private render(report: HealthReport): void {
    const pick = this.pick!;
    this.shown = report;
    pick.title = `Orchestra services: ${healthSummary(report)}`;
    pick.placeholder = `Checked ${new Date(report.checkedAt).toLocaleTimeString()}`;
    pick.items = this.rows(report);
  }

  private rows(report: HealthReport): Row[] {
    const checks = [...report.checks].sort((a, b) => ORDER[a.level] - ORDER[b.level]);
    const rows: Row[] = checks.map((c) => ({
      label: `$(${HEALTH_ICONS[c.level]}) ${c.label}`,
      description: c.endpoint || '(no endpoint)',
      detail: healthStateText(c),
    }));
    if (report.unconfigured) {
      rows.push({
        label: '$(new-file) Initialize Configuration',
        detail: 'Nothing is configured in this folder yet, so no server was checked.',
        run: () => vscode.commands.executeCommand(COMMAND_IDS.initConfig),
      });
    } else if (rows.length === 0) {
      rows.push({ label: 'No memory server is configured', detail: 'Set endpoints.memory in config/common.json.' });
    }
    rows.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    if (report.checks.some((c) => c.fix)) {
      rows.push({
        label: '$(key) Set Memory API Key',
        run: () => vscode.commands.executeCommand(COMMAND_IDS.setMemoryApiKey),
      });
    }
    rows.push(
      { label: '$(refresh) Check again', run: () => vscode.commands.executeCommand(COMMAND_IDS.checkHealth) },
      { label: '$(output) Show Log', run: () => this.deps.log.show(true) },
    );
    return rows;
  }

  dispose(): void {
    this.subscription.dispose();
    this.pick?.dispose();
    this.pick = undefined;
  }
}
