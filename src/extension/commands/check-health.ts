import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/**
 * `orchestra-migrate health` from the palette or the status bar item: checks now, updates
 * the item, and shows each service in a quick pick (worst first) with what to do next; the
 * pick follows later checks while it is open. `{ quiet: true }` (other code, the tests)
 * only checks and returns the report.
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
    // The newest report, as the status bar shows it (a check may have finished since this one).
    const latest = report && ctx.health.lastReport ? ctx.health.lastReport : report;
    if (latest && !quiet) ctx.health.pick.show(latest);
    return report;
  },
};
