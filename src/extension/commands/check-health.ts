import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import type { HealthReport } from '../../core/health';
import { COMMAND_IDS } from '../constants';
import type { OrchestraContext } from '../context';
import { HEALTH_ICONS, healthStateText, healthSummary } from '../health-text';
import type { OrchestraCommand } from './command';

const ORDER = { down: 0, slow: 1, ok: 2 } as const;

interface Row extends vscode.QuickPickItem {
  readonly run?: () => unknown;
}

/** The report as a quick pick: one row a service (worst first), then what can be done about it. */
function showReport(ctx: OrchestraContext, report: HealthReport): void {
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
    { label: '$(output) Show Log', run: () => ctx.log.show(true) },
  );
  const pick = vscode.window.createQuickPick<Row>();
  pick.title = `Orchestra services: ${healthSummary(report)}`;
  pick.placeholder = `Checked ${new Date(report.checkedAt).toLocaleTimeString()}`;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.items = rows;
  pick.onDidAccept(() => {
    const chosen = pick.selectedItems[0];
    pick.hide();
    void chosen?.run?.();
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
}

/**
 * `orchestra-migrate health` from the palette or the status bar item: checks now, updates
 * the item, and shows each service in a quick pick (worst first) with what to do next.
 * `{ quiet: true }` (other code, the tests) only checks and returns the report.
 */
export const checkHealthCommand: OrchestraCommand = {
  id: COMMAND_IDS.checkHealth,
  async run(ctx, arg) {
    if (!vscode.workspace.isTrusted) {
      throw new InputError(
        'This workspace is not trusted: Orchestra Migrate does not call the servers its files name. Trust the workspace to check them.',
      );
    }
    const report = await ctx.health.check();
    const quiet = typeof arg === 'object' && arg !== null && (arg as { quiet?: unknown }).quiet === true;
    if (report && !quiet) showReport(ctx, report);
    return report;
  },
};
