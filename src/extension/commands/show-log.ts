import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

export const showLogCommand: OrchestraCommand = {
  id: COMMAND_IDS.showLog,
  run(ctx) {
    ctx.log.show(true);
  },
};
