import * as vscode from 'vscode';
import type { EnvironmentDetection, EnvironmentKind } from '../core/environment';
import { COMMAND_IDS, STATUS_BAR_ITEM_ID } from './constants';
import { ENVIRONMENT_LABELS, md, type MigrationSummary } from './presentation';

const ENVIRONMENT_ICONS: Readonly<Record<EnvironmentKind, string>> = {
  local: 'device-desktop',
  codespaces: 'github',
  workstation: 'cloud',
  cloud_run: 'cloud',
};

/** Inline code: markdown escapes do not apply inside backticks, so only backticks are kept out. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function migrationLines(summary: MigrationSummary): string[] {
  const lines: string[] = ['', '---', ''];
  if (summary.problem) lines.push(`$(warning) ${md(summary.problem)}`, '');
  if (summary.running) {
    const progress = summary.progress ? ` (${summary.progress.done}/${summary.progress.total} steps)` : '';
    lines.push(`$(sync~spin) A migration run is in progress${progress}.`, '');
  }
  if (summary.interrupted) {
    lines.push(
      `$(debug-pause) The last run stopped before finishing (${md(summary.interrupted)}): run execute again to resume.`,
      '',
    );
  }
  if (summary.projectId) lines.push(`Project: ${code(summary.projectId)}`, '');
  if (summary.endpoints.length) {
    lines.push('| Service | Endpoint |', '| --- | --- |');
    for (const e of summary.endpoints) lines.push(`| ${md(e.name)} | ${code(e.url)} |`);
    lines.push('');
  }
  // With a problem nothing was applied: "no files" would read as a cause.
  if (summary.problem) return lines;
  const files = summary.files.length ? summary.files.map(code).join(', ') : 'none (built-in defaults)';
  lines.push(`Config files: ${files}`);
  return lines;
}

export function environmentTooltip(detection: EnvironmentDetection, summary?: MigrationSummary): vscode.MarkdownString {
  const lines = [`**Orchestra Migrate** — environment: **${ENVIRONMENT_LABELS[detection.kind]}**`, ''];
  if (detection.forcedBy) lines.push(`Forced by ${code(detection.forcedBy)}.`, '');
  lines.push('| Signal | Value | Points to |', '| --- | --- | --- |');
  for (const e of detection.evidence) {
    const suggests = e.suggests ? ENVIRONMENT_LABELS[e.suggests] : '—';
    lines.push(`| ${md(e.signal)} | ${md(e.value || '—')} | ${suggests} |`);
  }
  if (summary) lines.push(...migrationLines(summary));
  lines.push('', 'Click for details.');
  const tooltip = new vscode.MarkdownString(lines.join('\n'));
  tooltip.supportThemeIcons = true;
  return tooltip;
}

/** The status bar item: where the editor runs, with the evidence in its tooltip. */
export class EnvironmentStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private detection?: EnvironmentDetection;
  private summary?: MigrationSummary;

  constructor() {
    this.item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Orchestra Environment';
    this.item.command = COMMAND_IDS.showEnvironment;
  }

  update(detection: EnvironmentDetection): void {
    this.detection = detection;
    this.render();
  }

  /** The migration as the state file tells it: a spinner while a run is in progress, endpoints in the tooltip. */
  setMigration(summary: MigrationSummary | undefined): void {
    this.summary = summary;
    this.render();
  }

  private render(): void {
    if (!this.detection) return;
    const label = ENVIRONMENT_LABELS[this.detection.kind];
    const running = this.summary?.running === true;
    this.item.text = `$(${ENVIRONMENT_ICONS[this.detection.kind]}) Orchestra: ${label}${running ? ' $(sync~spin)' : ''}`;
    this.item.tooltip = environmentTooltip(this.detection, this.summary);
    this.item.accessibilityInformation = {
      label: `Orchestra environment: ${label}${running ? ', migration in progress' : ''}`,
    };
    this.item.show();
  }

  /** The tooltip now (for tests). */
  get tooltip(): string {
    const tooltip = this.item.tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }

  /** What the item shows now (for tests). */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }
}
