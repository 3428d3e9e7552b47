import * as vscode from 'vscode';
import type { EnvironmentDetection } from '../../core/environment';
import { COMMAND_IDS, SETTING_KEYS, settingId } from '../constants';
import { ENVIRONMENT_LABELS } from '../presentation';
import type { OrchestraCommand } from './command';

interface EnvironmentPickItem extends vscode.QuickPickItem {
  action?: 'openSetting' | 'showLog';
}

export function environmentPickItems(detection: EnvironmentDetection): EnvironmentPickItem[] {
  const items: EnvironmentPickItem[] = [
    { label: 'Evidence', kind: vscode.QuickPickItemKind.Separator },
    ...detection.evidence.map((e) => ({
      label: e.signal,
      description: e.value || undefined,
      detail: e.suggests ? `${e.note} → ${ENVIRONMENT_LABELS[e.suggests]}` : e.note,
    })),
    { label: 'Actions', kind: vscode.QuickPickItemKind.Separator },
    {
      label: '$(settings-gear) Choose the environment…',
      description: settingId(SETTING_KEYS.environment),
      action: 'openSetting',
    },
    { label: '$(output) Show Log', action: 'showLog' },
  ];
  return items;
}

/** Shows the detected environment and the evidence for it in a quick pick. */
export const showEnvironmentCommand: OrchestraCommand = {
  id: COMMAND_IDS.showEnvironment,
  async run(ctx) {
    const detection = ctx.redetectEnvironment();
    const forced = detection.forcedBy ? ` (forced by ${detection.forcedBy})` : '';
    const picked = await vscode.window.showQuickPick(environmentPickItems(detection), {
      title: `Orchestra environment: ${ENVIRONMENT_LABELS[detection.kind]}${forced}`,
      placeHolder: 'The signals behind the verdict',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (picked?.action === 'openSetting') {
      await vscode.commands.executeCommand('workbench.action.openSettings', settingId(SETTING_KEYS.environment));
    } else if (picked?.action === 'showLog') {
      ctx.log.show(true);
    }
  },
};
