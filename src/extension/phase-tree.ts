/**
 * The "Migration Phases" tree: the presenter's rows (presentation.ts) as VS Code tree
 * items, with their icons and tooltips.
 */
import * as vscode from 'vscode';
import type { PhaseStatus } from '../core/migration/catalog';
import type { StepStatus } from '../core/migration/types';
import { PHASE_STATUS_LABELS } from '../core/workspace/catalog';
import {
  isInterrupted,
  isStale,
  md,
  phaseDescription,
  STEP_STATUS_LABELS,
  stepDescription,
  stepFigures,
  stepNodes,
  type PhaseNode,
  type PhaseTreeNode,
  type StepNode,
} from './presentation';

const STATUS_ICONS: Readonly<Record<PhaseStatus, vscode.ThemeIcon>> = {
  'not-started': new vscode.ThemeIcon('circle-large-outline'),
  'in-progress': new vscode.ThemeIcon('sync~spin'),
  completed: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  // Stopped by the user, not broken: the stop icon its cancelled steps show too.
  cancelled: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('testing.iconSkipped')),
  skipped: new vscode.ThemeIcon('debug-step-over', new vscode.ThemeColor('disabledForeground')),
};

const STEP_ICONS: Readonly<Record<StepStatus, vscode.ThemeIcon>> = {
  pending: new vscode.ThemeIcon('circle-outline'),
  running: new vscode.ThemeIcon('sync~spin'),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  blocked: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconSkipped')),
  cancelled: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('disabledForeground')),
};

/** A result that may no longer hold: something it built on was reset since it ran. */
const STALE_ICON = new vscode.ThemeIcon('history', new vscode.ThemeColor('list.warningForeground'));

/** No spinner for work that nobody is doing any more. */
const INTERRUPTED_ICON = new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('list.warningForeground'));

export class PhaseTreeProvider implements vscode.TreeDataProvider<PhaseTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PhaseTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private nodes: PhaseNode[] = [];
  private problem?: string;

  /** The phases in their order, each with its current status (none before the first load). */
  phases(): PhaseNode[] {
    return this.nodes;
  }

  getChildren(element?: PhaseTreeNode): PhaseTreeNode[] {
    if (!element) return this.nodes;
    return element.kind === 'phase' ? stepNodes(element) : [];
  }

  getTreeItem(node: PhaseTreeNode): vscode.TreeItem {
    return node.kind === 'phase' ? this.phaseItem(node) : stepItem(node);
  }

  /**
   * Shows these rows; `problem` says why the statuses may not be the real ones (a
   * configuration error, an unreadable state file), in every phase's tooltip.
   */
  show(nodes: PhaseNode[], problem: string | undefined): void {
    this.nodes = nodes;
    this.problem = problem;
    this.refresh();
  }

  private phaseItem(node: PhaseNode): vscode.TreeItem {
    const hasSteps = (node.detail.steps?.length ?? 0) > 0;
    const item = new vscode.TreeItem(
      `${node.phase.order}. ${node.phase.title}`,
      hasSteps ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    const label = PHASE_STATUS_LABELS[node.status];
    item.id = node.phase.id;
    item.description = phaseDescription(node.detail);
    const interrupted = isInterrupted(node.detail);
    const stale = isStale(node.detail);
    item.iconPath = interrupted ? INTERRUPTED_ICON : stale ? STALE_ICON : STATUS_ICONS[node.status];
    const shown = interrupted ? 'interrupted' : stale ? `${label}, stale` : label;
    const lines = [`**${node.phase.title}** — ${shown}`, '', node.phase.description];
    if (stale) lines.push('', `$(history) Stale: ${md(node.detail.stale!)}.`);
    if (interrupted) {
      lines.push(
        '',
        `$(debug-pause) The run stopped before finishing this phase: ${md(node.detail.interrupted!)}. Run execute again to resume it.`,
      );
    }
    if (node.detail.error) lines.push('', `$(error) ${md(node.detail.error)}`);
    if (node.detail.blockedBy) lines.push('', `Blocked by \`${md(node.detail.blockedBy)}\`.`);
    if (node.detail.finishedAt) lines.push('', `Finished ${md(node.detail.finishedAt)}.`);
    // The statuses below come from defaults, not from the state: say why where the user looks.
    if (this.problem) lines.push('', '---', '', `$(warning) ${md(this.problem)}`);
    item.tooltip = new vscode.MarkdownString(lines.join('\n'), true);
    item.contextValue = `phase.${node.status}`;
    item.accessibilityInformation = {
      label: `Phase ${node.phase.order}, ${node.phase.title}, ${item.description}`,
    };
    return item;
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function stepItem(node: StepNode): vscode.TreeItem {
  const { step } = node;
  const item = new vscode.TreeItem(step.id, vscode.TreeItemCollapsibleState.None);
  item.id = `${node.phase.id}/${step.id}`;
  const interrupted = node.interrupted === true && step.status === 'running';
  item.description = stepDescription(step, node.interrupted);
  item.iconPath = interrupted ? INTERRUPTED_ICON : STEP_ICONS[step.status];
  const lines = [`**${md(step.id)}** — ${interrupted ? 'interrupted' : STEP_STATUS_LABELS[step.status]}`];
  if (step.error) lines.push('', `$(error) ${md(step.error)}`);
  if (step.blockedBy) lines.push('', `Waits on \`${md(step.blockedBy)}\`.`);
  if (step.durationMs !== undefined) lines.push('', stepFigures(step));
  item.tooltip = new vscode.MarkdownString(lines.join('\n'), true);
  item.contextValue = `step.${step.status}`;
  item.accessibilityInformation = { label: `${step.id}, ${item.description}` };
  return item;
}
