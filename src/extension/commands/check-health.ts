import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/**
 * `orchestra-migrate health` from the palette or the status bar item: checks now, updates
 * the item, and says the result in one message (the worst service first).
 */
export const checkHealthCommand: OrchestraCommand = {
  id: COMMAND_IDS.checkHealth,
  async run(ctx) {
    if (!vscode.workspace.isTrusted) {
      throw new InputError(
        'This workspace is not trusted: Orchestra Migrate does not call the servers its files name. Trust the workspace to check them.',
      );
    }
    const report = await ctx.health.check();
    if (!report) return undefined;
    const order = { down: 0, slow: 1, ok: 2 } as const;
    const checks = [...report.checks].sort((a, b) => order[a.level] - order[b.level]);
    const parts = checks.map((c) => {
      const latency = c.latencyMs !== undefined ? ` in ${c.latencyMs} ms` : '';
      return c.level === 'ok'
        ? `${c.label} ok${latency}`
        : `${c.label} ${c.level} (${c.endpoint || 'no endpoint'}${latency}): ${c.message}${c.fix ? ` ${c.fix}` : ''}`;
    });
    const text = parts.length ? `Orchestra: ${parts.join('; ')}.` : 'Orchestra: no memory server is configured.';
    if (report.level === 'down') {
      void vscode.window.showErrorMessage(text, 'Show Log').then((choice) => choice && ctx.log.show(true));
    } else if (report.level === 'slow') {
      void vscode.window.showWarningMessage(text);
    } else {
      void vscode.window.showInformationMessage(text);
    }
    return report;
  },
};
