/**
 * The "Migration Phases" tree: the presenter's rows (presentation.ts) as VS Code tree
 * items, with their icons and tooltips.
 */
import * as vscode from 'vscode';
import type { PhaseStatus } from '../core/migration/catalog';
import type { StepStatus } from '../core/migration/types';
import type { PlanAction } from '../core/workspace';
import { PHASE_STATUS_LABELS } from '../core/workspace/catalog';
import { forEditor, PALETTE_TITLES } from './wording';
import {
  cutoverTooltip,
  deltaDescription,
  isInterrupted,
  isStale,
  md,
  phaseDescription,
  PLAN_ACTION_LABELS,
  planCounts,
  plannedDescription,
  shortValue,
  STEP_STATUS_LABELS,
  stepDescription,
  stepFigures,
  stepNodes,
  stepShows,
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
/** The planned action, as Terraform marks it: + create, ~ update, = up to date. */
const PLAN_ICONS: Readonly<Record<PlanAction, vscode.ThemeIcon>> = {
  create: new vscode.ThemeIcon('diff-added', new vscode.ThemeColor('gitDecoration.addedResourceForeground')),
  update: new vscode.ThemeIcon('diff-modified', new vscode.ThemeColor('gitDecoration.modifiedResourceForeground')),
  ok: new vscode.ThemeIcon('check', new vscode.ThemeColor('disabledForeground')),
  run: new vscode.ThemeIcon('play', new vscode.ThemeColor('debugIcon.startForeground')),
  blocked: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('errorForeground')),
};
const DRIFT_ICON = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
const STALE_PLAN_ICON = new vscode.ThemeIcon('history', new vscode.ThemeColor('disabledForeground'));
const UNPLANNED_ICON = new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'));

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

  /** A step's phase row (TreeView.reveal walks up with it). */
  getParent(node: PhaseTreeNode): PhaseTreeNode | undefined {
    return node.kind === 'step' ? this.nodes.find((p) => p.phase.id === node.phase.id) : undefined;
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
    const hasSteps = (node.detail.steps?.length ?? 0) > 0 || (node.detail.defined?.length ?? 0) > 0;
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
        `$(debug-pause) The run stopped before finishing this phase: ${md(node.detail.interrupted!)}. Run ${md(`"${PALETTE_TITLES.execute}"`)} again to resume it.`,
      );
    }
    if (node.detail.error) lines.push('', `$(error) ${md(forEditor(node.detail.error))}`);
    if (node.detail.blockedBy) lines.push('', `Blocked by \`${md(node.detail.blockedBy)}\`.`);
    if (node.detail.finishedAt) lines.push('', `Finished ${md(node.detail.finishedAt)}.`);
    if (node.detail.cutover) lines.push('', md(cutoverTooltip(node.detail.cutover)));
    const plan = node.detail.plan;
    if (plan) {
      const summary = plan.phase.excluded ? `${plan.phase.excluded}, not planned` : planCounts(plan.phase.steps);
      lines.push('', `Planned ${md(plan.createdAt)}: ${md(summary)}.`);
      if (plan.stale) lines.push('', `$(history) The plan is stale: ${md(plan.stale)}.`);
    }
    // The statuses below come from defaults, not from the state: say why where the user looks.
    if (this.problem) lines.push('', '---', '', `$(warning) ${md(forEditor(this.problem))}`);
    item.tooltip = new vscode.MarkdownString(lines.join('\n'), true);
    // Status then phase id: the menus offer Skip and Reset by status, and the cutover on the
    // Memory System row (package.json, view/item/context).
    item.contextValue = `phase.${node.status}.${node.phase.id}`;
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
  const shows = stepShows(node);
  if (shows !== 'record') return plannedItem(node);
  const { step } = node;
  const item = new vscode.TreeItem(node.title ?? step.id, vscode.TreeItemCollapsibleState.None);
  item.id = `${node.phase.id}/${step.id}`;
  const interrupted = node.interrupted === true && step.status === 'running';
  item.description = stepDescription(step, node.interrupted);
  item.iconPath = interrupted ? INTERRUPTED_ICON : STEP_ICONS[step.status];
  const lines = [`**${md(node.title ?? step.id)}** — ${interrupted ? 'interrupted' : STEP_STATUS_LABELS[step.status]}`];
  if (node.title) lines.push('', `\`${step.id}\``);
  if (step.error) lines.push('', `$(error) ${md(forEditor(step.error))}`);
  if (step.blockedBy) lines.push('', `Waits on \`${md(step.blockedBy)}\`.`);
  if (step.durationMs !== undefined) lines.push('', stepFigures(step));
  item.tooltip = new vscode.MarkdownString(lines.join('\n'), true);
  item.contextValue = `step.${step.status}`;
  item.accessibilityInformation = { label: `${node.title ?? step.id}, ${item.description}` };
  return item;
}

/** A step before its run: the planned action with its reason and field diff, or "not planned yet". */
function plannedItem(node: StepNode): vscode.TreeItem {
  const title = node.title ?? node.step.id;
  const item = new vscode.TreeItem(title, vscode.TreeItemCollapsibleState.None);
  item.id = `${node.phase.id}/${node.step.id}`;
  item.description = plannedDescription(node);
  const planned = node.planned;
  const step = planned?.step;
  item.iconPath = !step
    ? UNPLANNED_ICON
    : planned.stale
      ? STALE_PLAN_ICON
      : step.drift
        ? DRIFT_ICON
        : PLAN_ICONS[step.action];
  const lines = [`**${md(title)}** — ${md(item.description)}`, '', `\`${node.step.id}\``];
  if (!step) lines.push('', 'Run Verify to see what execute would do here (it changes nothing).');
  if (step?.target) lines.push('', md(step.target));
  if (step?.reason) lines.push('', `${step.action === 'blocked' ? '$(circle-slash) ' : ''}${md(step.reason)}`);
  if (step?.diff?.length) {
    lines.push('', '| field | live | desired |', '| --- | --- | --- |');
    for (const d of step.diff) {
      lines.push(`| ${md(d.field)} | ${md(shortValue(d.live))} | ${md(shortValue(d.desired))} |`);
    }
  }
  if (step?.missingPermissions?.length) lines.push('', `Missing: ${step.missingPermissions.map(md).join(', ')}`);
  if (planned) lines.push('', `Planned ${md(planned.createdAt)}.`);
  if (planned?.stale) lines.push('', `$(history) The plan is stale: ${md(planned.stale)}.`);
  item.tooltip = new vscode.MarkdownString(lines.join('\n'), true);
  item.contextValue = step ? `step.planned.${step.action}` : 'step.unplanned';
  item.accessibilityInformation = {
    label: `${title}, ${!step ? 'not planned yet' : step.delta && step.action === 'run' ? deltaDescription(step.delta) : PLAN_ACTION_LABELS[step.action]}${step?.drift ? `, drift: ${step.drift}` : ''}${planned?.stale ? ', plan stale' : ''}`,
  };
  return item;
}
