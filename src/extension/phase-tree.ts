import * as vscode from 'vscode';
import { PHASES, PHASE_STATUS_LABELS, type PhaseInfo, type PhaseStatus } from '../core/migration/catalog';
import type { StepRecord, StepStatus } from '../core/migration/types';
import { md } from './status-bar';

/** What the tree knows of one phase: its status and, once a run recorded them, its steps. */
export interface PhaseDetail {
  readonly status: PhaseStatus;
  readonly steps?: readonly StepRecord[];
  readonly error?: string;
  readonly blockedBy?: string;
  readonly finishedAt?: string;
  /** Set when the run that left this phase in progress is gone: why (no live process holds its lock). */
  readonly interrupted?: string;
}

/** A phase row of the "Migration Phases" tree. */
export interface PhaseNode {
  readonly kind: 'phase';
  readonly phase: PhaseInfo;
  readonly status: PhaseStatus;
  readonly detail: PhaseDetail;
}

/** A step (resource or action) row under its phase. */
export interface StepNode {
  readonly kind: 'step';
  readonly phase: PhaseInfo;
  readonly step: StepRecord;
  /** The run that left this step running is gone. */
  readonly interrupted?: boolean;
}

export type PhaseTreeNode = PhaseNode | StepNode;

/** Where the tree reads each phase's status. Until a state is loaded, every phase is not started. */
export type PhaseStatusSource = (phase: PhaseInfo) => PhaseDetail;

const notStarted: PhaseStatusSource = () => ({ status: 'not-started' });

const STATUS_ICONS: Readonly<Record<PhaseStatus, vscode.ThemeIcon>> = {
  'not-started': new vscode.ThemeIcon('circle-large-outline'),
  'in-progress': new vscode.ThemeIcon('sync~spin'),
  completed: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  // Stopped by the user, not broken: the stop icon its cancelled steps show too.
  cancelled: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('testing.iconSkipped')),
  skipped: new vscode.ThemeIcon('debug-step-over', new vscode.ThemeColor('disabledForeground')),
};

export const STEP_STATUS_LABELS: Readonly<Record<StepStatus, string>> = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'failed',
  blocked: 'blocked',
  cancelled: 'cancelled',
};

const STEP_ICONS: Readonly<Record<StepStatus, vscode.ThemeIcon>> = {
  pending: new vscode.ThemeIcon('circle-outline'),
  running: new vscode.ThemeIcon('sync~spin'),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  blocked: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconSkipped')),
  cancelled: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('disabledForeground')),
};

const ACTION_LABELS: Readonly<Record<string, string>> = {
  create: 'created',
  update: 'updated',
  none: 'unchanged',
  run: 'ran',
};

/** No spinner for work that nobody is doing any more. */
const INTERRUPTED_ICON = new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('list.warningForeground'));

function isInterrupted(detail: PhaseDetail): boolean {
  return detail.interrupted !== undefined && detail.status === 'in-progress';
}

/** "completed · 4/4": the status, then steps done out of steps recorded. */
export function phaseDescription(detail: PhaseDetail): string {
  const label = isInterrupted(detail) ? 'interrupted' : PHASE_STATUS_LABELS[detail.status];
  const steps = detail.steps ?? [];
  if (!steps.length) return label;
  return `${label} · ${steps.filter((s) => s.status === 'done').length}/${steps.length}`;
}

export function stepDescription(step: StepRecord, interrupted = false): string {
  if (interrupted && step.status === 'running') return 'interrupted';
  const action = step.status === 'done' && step.action ? ACTION_LABELS[step.action] : undefined;
  return action ? `${STEP_STATUS_LABELS[step.status]} · ${action}` : STEP_STATUS_LABELS[step.status];
}

export class PhaseTreeProvider implements vscode.TreeDataProvider<PhaseTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PhaseTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private problem?: string;

  constructor(private statusOf: PhaseStatusSource = notStarted) {}

  /** The phases in their order, each with its current status. */
  phases(): PhaseNode[] {
    return [...PHASES]
      .sort((a, b) => a.order - b.order)
      .map((phase) => {
        const detail = this.statusOf(phase);
        return { kind: 'phase', phase, status: detail.status, detail };
      });
  }

  getChildren(element?: PhaseTreeNode): PhaseTreeNode[] {
    if (!element) return this.phases();
    if (element.kind === 'step') return [];
    const interrupted = element.detail.interrupted !== undefined;
    return (element.detail.steps ?? []).map((step) => ({ kind: 'step', phase: element.phase, step, interrupted }));
  }

  getTreeItem(node: PhaseTreeNode): vscode.TreeItem {
    return node.kind === 'phase' ? this.phaseItem(node) : stepItem(node);
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
    item.iconPath = interrupted ? INTERRUPTED_ICON : STATUS_ICONS[node.status];
    const lines = [`**${node.phase.title}** — ${interrupted ? 'interrupted' : label}`, '', node.phase.description];
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

  /** Replaces where statuses come from (the migration state plugs in here) and redraws. */
  setStatusSource(statusOf: PhaseStatusSource): void {
    this.statusOf = statusOf;
    this.refresh();
  }

  /** Why the statuses may not be the real ones (a configuration error); shown in every phase's tooltip. */
  setProblem(problem: string | undefined): void {
    this.problem = problem;
    this.refresh();
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
  if (step.durationMs !== undefined) lines.push('', `${step.durationMs} ms, ${step.attempts} attempt(s).`);
  item.tooltip = new vscode.MarkdownString(lines.join('\n'), true);
  item.contextValue = `step.${step.status}`;
  item.accessibilityInformation = { label: `${step.id}, ${item.description}` };
  return item;
}
