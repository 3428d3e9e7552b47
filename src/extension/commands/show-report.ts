import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/** The migration report in its webview panel (ReportPanel), following the state file while open. */
export const showReportCommand: OrchestraCommand = {
  id: COMMAND_IDS.showReport,
  async run(ctx) {
    const report = await ctx.report.show();
    return { projectId: report.projectId, markdown: report.markdown, html: report.html };
  },
};
