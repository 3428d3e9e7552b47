/**
 * The two HTML renderings of a workspace's report a reader sees: the editor's report tab
 * (a webview page) and `report --html` (a standalone file with the stylesheet inlined).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Workspace, WorkspaceReport } from '../../../src/core/workspace';

export async function renderedReports(
  workspace: Workspace,
): Promise<{ page: WorkspaceReport; standalone: WorkspaceReport }> {
  const page = await workspace.report({
    page: { cspSource: 'https://webview.test', styleUri: 'https://webview.test/report.css', title: 'Report' },
  });
  const stylesheet = await readFile(path.resolve(__dirname, '../../../media/report.css'), 'utf8');
  const standalone = await workspace.report({ standalone: { stylesheet, title: 'Report' } });
  return { page, standalone };
}
