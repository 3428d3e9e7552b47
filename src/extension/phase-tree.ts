import * as vscode from 'vscode';
import { PHASES, PHASE_STATUS_LABELS, type PhaseInfo, type PhaseStatus } from '../core/migration/catalog';

/** One row of the "Migration Phases" tree. */
export interface PhaseNode {
  readonly phase: PhaseInfo;
  readonly status: PhaseStatus;
}

/** Where the tree reads each phase's status. The foundation knows none yet: every phase is not started. */
export type PhaseStatusSource = (phase: PhaseInfo) => PhaseStatus;

const notStarted: PhaseStatusSource = () => 'not-started';

const STATUS_ICONS: Readonly<Record<PhaseStatus, vscode.ThemeIcon>> = {
  'not-started': new vscode.ThemeIcon('circle-large-outline'),
  'in-progress': new vscode.ThemeIcon('sync~spin'),
  completed: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  skipped: new vscode.ThemeIcon('debug-step-over', new vscode.ThemeColor('disabledForeground')),
};

export class PhaseTreeProvider implements vscode.TreeDataProvider<PhaseNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PhaseNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private statusOf: PhaseStatusSource = notStarted) {}

  /** The phases in their order, each with its current status. */
  phases(): PhaseNode[] {
    return [...PHASES].sort((a, b) => a.order - b.order).map((phase) => ({ phase, status: this.statusOf(phase) }));
  }

  getChildren(element?: PhaseNode): PhaseNode[] {
    return element ? [] : this.phases();
  }

  getTreeItem(node: PhaseNode): vscode.TreeItem {
    const item = new vscode.TreeItem(`${node.phase.order}. ${node.phase.title}`, vscode.TreeItemCollapsibleState.None);
    item.id = node.phase.id;
    item.description = PHASE_STATUS_LABELS[node.status];
    item.iconPath = STATUS_ICONS[node.status];
    item.tooltip = new vscode.MarkdownString(
      `**${node.phase.title}** — ${PHASE_STATUS_LABELS[node.status]}\n\n${node.phase.description}`,
    );
    item.contextValue = `phase.${node.status}`;
    item.accessibilityInformation = {
      label: `Phase ${node.phase.order}, ${node.phase.title}, ${PHASE_STATUS_LABELS[node.status]}`,
    };
    return item;
  }

  /** Replaces where statuses come from (the migration engine plugs in here) and redraws. */
  setStatusSource(statusOf: PhaseStatusSource): void {
    this.statusOf = statusOf;
    this.refresh();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
