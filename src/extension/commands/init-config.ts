import * as vscode from 'vscode';
import { COMMAND_IDS } from '../constants';
import type { OrchestraCommand } from './command';

/**
 * `orchestra-migrate init` from the editor: writes config/common.json, the four
 * environment files and their schema into the workspace folder, and git-ignores
 * .orchestra/. Never overwrites a file; says what it created and what it kept.
 */
export const initConfigCommand: OrchestraCommand = {
  id: COMMAND_IDS.initConfig,
  async run(ctx) {
    const workspace = ctx.gateway.require('the configuration files are written into the workspace folder');
    const result = await workspace.init();
    await ctx.presenter.reload();
    for (const file of result.written) ctx.log.info(`init: created ${file}`);
    for (const file of result.skipped) ctx.log.info(`init: kept ${file} (it exists)`);
    ctx.log.info(
      `init: .gitignore ${result.gitignore === 'unchanged' ? 'already ignores .orchestra/' : result.gitignore}`,
    );
    const kept = result.skipped.length ? `, kept the ${result.skipped.length} that existed` : '';
    const message = result.written.length
      ? `Orchestra: created ${result.written.length} configuration files${kept}. Next: set "projectId" in config/common.json.`
      : `Orchestra: all ${result.skipped.length} configuration files exist already; none was changed.`;
    // Not awaited: the command is done whether or not anyone clicks.
    void vscode.window.showInformationMessage(message, 'Open common.json').then(async (choice) => {
      if (choice) await vscode.window.showTextDocument(vscode.Uri.file(result.commonFile));
    });
    return result;
  },
};
