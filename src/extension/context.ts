import type * as vscode from 'vscode';
import type { EnvironmentDetection } from '../core/environment';
import type { CommandFailures } from './commands/failures';
import type { HealthItem } from './health-item';
import type { MigrationView } from './migration-view';
import type { PhaseTreeProvider } from './phase-tree';
import type { EnvironmentStatusItem } from './status-bar';

/** What commands and views share: built once in activate(), passed to every command. */
export interface OrchestraContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly phaseTree: PhaseTreeProvider;
  readonly statusItem: EnvironmentStatusItem;
  /** Follows the configuration and the migration state file. */
  readonly migration: MigrationView;
  /** The status bar's service health indicator. */
  readonly health: HealthItem;
  /** Every command failure, as the user was told it. */
  readonly failures: CommandFailures;
  /** The last detection, as the status bar shows it. */
  environment(): EnvironmentDetection;
  /** Detects again (settings or variables changed) and updates the status bar. */
  redetectEnvironment(): EnvironmentDetection;
}
