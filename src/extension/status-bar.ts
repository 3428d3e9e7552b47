import * as vscode from 'vscode';
import type { EnvironmentDetection, EnvironmentKind } from '../core/environment';
import { COMMAND_IDS, STATUS_BAR_ITEM_ID } from './constants';

export const ENVIRONMENT_LABELS: Readonly<Record<EnvironmentKind, string>> = {
  local: 'Local',
  codespaces: 'Codespaces',
  workstation: 'Cloud Workstation',
  cloud_run: 'Cloud Run',
};

const ENVIRONMENT_ICONS: Readonly<Record<EnvironmentKind, string>> = {
  local: 'device-desktop',
  codespaces: 'github',
  workstation: 'cloud',
  cloud_run: 'cloud',
};

/** Escapes text for a MarkdownString built by hand (evidence values come from the environment). */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function environmentTooltip(detection: EnvironmentDetection): vscode.MarkdownString {
  const lines = [`**Orchestra Migrate** — environment: **${ENVIRONMENT_LABELS[detection.kind]}**`, ''];
  if (detection.forcedBy) lines.push(`Forced by \`${md(detection.forcedBy)}\`.`, '');
  lines.push('| Signal | Value | Points to |', '| --- | --- | --- |');
  for (const e of detection.evidence) {
    const suggests = e.suggests ? ENVIRONMENT_LABELS[e.suggests] : '—';
    lines.push(`| ${md(e.signal)} | ${md(e.value || '—')} | ${suggests} |`);
  }
  lines.push('', 'Click for details.');
  const tooltip = new vscode.MarkdownString(lines.join('\n'));
  tooltip.supportThemeIcons = true;
  return tooltip;
}

/** The status bar item: where the editor runs, with the evidence in its tooltip. */
export class EnvironmentStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Orchestra Environment';
    this.item.command = COMMAND_IDS.showEnvironment;
  }

  update(detection: EnvironmentDetection): void {
    const label = ENVIRONMENT_LABELS[detection.kind];
    this.item.text = `$(${ENVIRONMENT_ICONS[detection.kind]}) Orchestra: ${label}`;
    this.item.tooltip = environmentTooltip(detection);
    this.item.accessibilityInformation = { label: `Orchestra environment: ${label}` };
    this.item.show();
  }

  /** What the item shows now (for tests). */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }
}
