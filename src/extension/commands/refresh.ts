import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/** Detects the environment again, reloads the configuration and the migration state, and redraws. */
export const refreshCommand: OrchestraCommand = {
  id: COMMAND_IDS.refresh,
  async run(ctx) {
    const detection = ctx.redetectEnvironment();
    await ctx.presenter.reload();
    ctx.phaseTree.refresh();
    ctx.log.info(`refreshed: environment ${detection.kind}`);
  },
};
