import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/** Detects the environment again and redraws the phase tree. */
export const refreshCommand: OrchestraCommand = {
  id: COMMAND_IDS.refresh,
  run(ctx) {
    const detection = ctx.redetectEnvironment();
    ctx.phaseTree.refresh();
    ctx.log.info(`refreshed: environment ${detection.kind}`);
  },
};
