import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import { maskSecret } from '../../core/workspace/secrets';
import { COMMAND_IDS, MEMORY_API_KEY_SECRET } from '../constants';
import type { OrchestraCommand } from './command';

/**
 * Keeps the memory servers' API key in the editor's SecretStorage (the OS keychain
 * where there is one), never in a file or a setting. An empty entry removes it. Runs
 * from the editor use it before ORCHESTRA_MEMORY_API_KEY; the log shows it masked.
 */
export const setMemoryApiKeyCommand: OrchestraCommand = {
  id: COMMAND_IDS.setMemoryApiKey,
  async run(ctx, arg) {
    const given =
      typeof arg === 'string'
        ? arg
        : await vscode.window.showInputBox({
            title: 'Orchestra: Memory API Key',
            prompt: 'The API key of the memory servers. Kept in the editor’s secret storage; empty removes it.',
            password: true,
            ignoreFocusOut: true,
          });
    if (given === undefined) return undefined;
    const key = given.trim();
    if (!key) {
      await ctx.extension.secrets.delete(MEMORY_API_KEY_SECRET);
      ctx.log.info('memory API key removed from the secret storage');
      void vscode.window.showInformationMessage('Orchestra: the memory API key was removed.');
      return { stored: false };
    }
    if (/\s/.test(key)) {
      throw new InputError('A memory API key has no spaces or line breaks: nothing was stored.', {
        fix: 'Paste the key alone.',
      });
    }
    await ctx.extension.secrets.store(MEMORY_API_KEY_SECRET, key);
    ctx.log.info(`memory API key stored in the secret storage (${maskSecret(key)})`);
    void vscode.window.showInformationMessage(`Orchestra: memory API key stored (${maskSecret(key)}).`);
    return { stored: true };
  },
};
