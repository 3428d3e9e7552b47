import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/** The Plan & Run panel: the last Verify's plan with its diffs, "Execute this plan", the live run. */
export const showPlanCommand: OrchestraCommand = {
  id: COMMAND_IDS.showPlan,
  run(ctx) {
    ctx.planPanel.show();
    return { shown: true };
  },
};
